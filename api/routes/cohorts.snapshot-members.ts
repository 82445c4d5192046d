import { createRoute, z } from "@hono/zod-openapi";
import { snapshotMembers } from "../../domain/cohorts/snapshots.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cohortMemberPage, presentCohortMember } from "../schemas/cohort.ts";
import { idParams, pageBody, pageInput, pageQuery, pathId, security } from "../schemas/common.ts";

const params = idParams("cohort").extend({
  snapshot: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "snapshot", in: "path" }, description: "The snapshot's hash id." }),
});

export const snapshotMembersRoute = createRoute({
  method: "get",
  path: "/api/v1/cohorts/{id}/snapshots/{snapshot}/members",
  tags: ["Cohorts"],
  summary: "List a snapshot's members",
  description:
    "The accounts the snapshot froze, by account (`cursor` is the last account seen). Who is a member is as it was when the snapshot was taken; each member's details (email, totals) are as they are now.",
  security,
  request: { params, query: pageQuery },
  responses: {
    200: {
      description: "A page of the snapshot's members.",
      content: { "application/json": { schema: cohortMemberPage } },
    },
    ...problemResponses(401, 403, 404, 422),
  },
});

export type SnapshotMembersResponse = z.infer<typeof cohortMemberPage>;

export function registerSnapshotMembers(app: ApiApp): void {
  app.openapi(snapshotMembersRoute, async (c) => {
    const ids = c.var.ids;
    const param = c.req.valid("param");
    const cohortId = pathId(ids, "cohort", param.id);
    const snapshotId = pathId(ids, "cohortSnapshot", param.snapshot, "cohort snapshot");
    const { page } = await snapshotMembers({
      ctx: verbContext(c),
      input: { cohortId, snapshotId, page: pageInput(ids, "account", c.req.valid("query")) },
    });
    return c.json(
      pageBody(ids, "account", page, (member) => presentCohortMember(ids, member)),
      200,
    );
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { listSnapshots } from "../../domain/cohorts/snapshots.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cohortSnapshotPage, presentSnapshot } from "../schemas/cohort.ts";
import { idParams, pageBody, pageInput, pageQuery, pathId, security } from "../schemas/common.ts";

export const listSnapshotsRoute = createRoute({
  method: "get",
  path: "/api/v1/cohorts/{id}/snapshots",
  tags: ["Cohorts"],
  summary: "List a cohort's snapshots",
  description: "Manual and nightly snapshots of the cohort, newest first.",
  security,
  request: { params: idParams("cohort"), query: pageQuery },
  responses: {
    200: {
      description: "A page of snapshots.",
      content: { "application/json": { schema: cohortSnapshotPage } },
    },
    ...problemResponses(401, 403, 404, 422),
  },
});

export type ListSnapshotsResponse = z.infer<typeof cohortSnapshotPage>;

export function registerListSnapshots(app: ApiApp): void {
  app.openapi(listSnapshotsRoute, async (c) => {
    const ids = c.var.ids;
    const id = pathId(ids, "cohort", c.req.valid("param").id);
    const page = await listSnapshots({
      ctx: verbContext(c),
      input: { cohortId: id, page: pageInput(ids, "cohortSnapshot", c.req.valid("query")) },
    });
    return c.json(
      pageBody(ids, "cohortSnapshot", page, (snapshot) => presentSnapshot(ids, snapshot)),
      200,
    );
  });
}

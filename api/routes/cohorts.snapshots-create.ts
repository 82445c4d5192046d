import { createRoute, type z } from "@hono/zod-openapi";
import { createSnapshot } from "../../domain/cohorts/snapshots.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cohortSnapshotSchema, presentSnapshot } from "../schemas/cohort.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const createSnapshotRoute = createRoute({
  method: "post",
  path: "/api/v1/cohorts/{id}/snapshots",
  tags: ["Cohorts"],
  summary: "Snapshot a cohort",
  description:
    "Freezes the cohort's members as its definition selects them now: the snapshot holds the accounts (rows, not a definition), written in one statement. Later orders, refunds or definition changes change the cohort's live members, never the snapshot's.",
  security,
  request: { params: idParams("cohort") },
  responses: {
    201: {
      description: "The snapshot and its member count.",
      content: { "application/json": { schema: cohortSnapshotSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type CreateSnapshotResponse = z.infer<typeof cohortSnapshotSchema>;

export function registerCreateSnapshot(app: ApiApp): void {
  app.openapi(createSnapshotRoute, async (c) => {
    const param = c.req.valid("param").id;
    const id = pathId(c.var.ids, "cohort", param);
    const snapshot = await createSnapshot({ ctx: verbContext(c), input: { cohortId: id } });
    const json = presentSnapshot(c.var.ids, snapshot);
    return c.json(json, 201, { location: `/api/v1/cohorts/${param}/snapshots/${json.id}/members` });
  });
}

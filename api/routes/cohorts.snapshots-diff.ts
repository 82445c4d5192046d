import { createRoute, type z } from "@hono/zod-openapi";
import { diffSnapshots } from "../../domain/cohorts/snapshots.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { presentSnapshotDiff, snapshotDiffQuery, snapshotDiffSchema } from "../schemas/cohort.ts";
import { idParams, pageInput, pathId, security } from "../schemas/common.ts";

export const snapshotDiffRoute = createRoute({
  method: "get",
  path: "/api/v1/cohorts/{id}/snapshots/diff",
  tags: ["Cohorts"],
  summary: "Compare two snapshots",
  description:
    "Who joined (in `to`, not in `from`) and who left (in `from`, not in `to`) between two snapshots of the cohort: both counts, and a page of one side's members (`change`, by account; `cursor` is the last account seen). A snapshot that is not this cohort's is a 422 naming `from` or `to`.",
  security,
  request: { params: idParams("cohort"), query: snapshotDiffQuery },
  responses: {
    200: {
      description: "The counts and a page of members.",
      content: { "application/json": { schema: snapshotDiffSchema } },
    },
    ...problemResponses(401, 403, 404, 422),
  },
});

export type SnapshotDiffResponse = z.infer<typeof snapshotDiffSchema>;

export function registerSnapshotDiff(app: ApiApp): void {
  app.openapi(snapshotDiffRoute, async (c) => {
    const ids = c.var.ids;
    const cohortId = pathId(ids, "cohort", c.req.valid("param").id);
    const query = c.req.valid("query");
    const diff = await diffSnapshots({
      ctx: verbContext(c),
      input: {
        cohortId,
        from: ids.decode("cohortSnapshot", query.from),
        to: ids.decode("cohortSnapshot", query.to),
        change: query.change,
        page: pageInput(ids, "account", query),
      },
    });
    return c.json(presentSnapshotDiff(ids, diff), 200);
  });
}

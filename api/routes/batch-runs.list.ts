import { createRoute, z } from "@hono/zod-openapi";
import { listBatchRuns } from "../../domain/batches/runs.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  batchDate,
  batchJobName,
  batchRunOutcomes,
  batchRunSchema,
  presentBatchRun,
} from "../schemas/batch-run.ts";
import { pageBody, pageInput, pageOf, pageQuery, security } from "../schemas/common.ts";

const listQuery = pageQuery.extend({
  job: batchJobName
    .optional()
    .openapi({ param: { name: "job", in: "query" }, description: "Only this job's runs." }),
  outcome: z
    .enum(batchRunOutcomes)
    .optional()
    .openapi({
      param: { name: "outcome", in: "query" },
      description: "Only runs that ended so (or still run).",
    }),
  from: batchDate
    .optional()
    .openapi({ param: { name: "from", in: "query" }, description: "Run dates on or after." }),
  to: batchDate
    .optional()
    .openapi({ param: { name: "to", in: "query" }, description: "Run dates on or before." }),
});
const batchRunPage = pageOf(batchRunSchema, "BatchRunPage");

export const listBatchRunsRoute = createRoute({
  method: "get",
  path: "/api/v1/batch-runs",
  tags: ["Batches"],
  summary: "List nightly batch runs",
  description:
    "Every run of the nightly jobs, newest first: its date, trigger, outcome, rows, error and timing. Runs are global (they touch every brand's data), so this needs a key for every brand.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of runs, newest first.",
      content: { "application/json": { schema: batchRunPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListBatchRunsResponse = z.infer<typeof batchRunPage>;

export function registerListBatchRuns(app: ApiApp): void {
  app.openapi(listBatchRunsRoute, async (c) => {
    const query = c.req.valid("query");
    if (query.from !== undefined && query.to !== undefined && query.to < query.from)
      throw new ValidationFailed([
        { field: "to", category: "out_of_range", message: "Must not be before from." },
      ]);
    const ids = c.var.ids;
    const page = await listBatchRuns({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "batchRun", query),
        job: query.job,
        outcome: query.outcome,
        from: query.from,
        to: query.to,
      },
    });
    return c.json(
      pageBody(ids, "batchRun", page, (item) => presentBatchRun(ids, item)),
      200,
    );
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { getExperimentResults } from "../../domain/funnel/experiment-results.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { experimentResultsSchema, presentExperimentResults } from "../schemas/funnel.ts";

export const experimentResultsRoute = createRoute({
  method: "get",
  path: "/api/v1/experiments/{id}/results",
  tags: ["Experiments"],
  summary: "The results of an experiment",
  description:
    "Counts per arm now (n = the arm's members, holdout included; conversions = those who purchased in their goal window: intent to treat), the stored daily counts as the sequential looks, and `evaluate()` with the experiment's design: per arm n, conversions, rate, and for a variant the lift with its intervals, z, p, the always-valid p and confidence sequence, Holm's adjusted p, power; the minimum sample, the sample-ratio check and the verdict.",
  security,
  request: { params: idParams("experiment") },
  responses: {
    200: {
      description: "The results.",
      content: { "application/json": { schema: experimentResultsSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type ExperimentResultsResponse = z.infer<typeof experimentResultsSchema>;

export function registerExperimentResults(app: ApiApp): void {
  app.openapi(experimentResultsRoute, async (c) => {
    const id = pathId(c.var.ids, "experiment", c.req.valid("param").id);
    const results = await getExperimentResults({ ctx: verbContext(c), input: { id } });
    return c.json(presentExperimentResults(c.var.ids, results), 200);
  });
}

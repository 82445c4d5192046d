import { createRoute, type z } from "@hono/zod-openapi";
import { getCohort } from "../../domain/cohorts/cohorts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cohortDetailSchema, presentCohortDetail } from "../schemas/cohort.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getCohortRoute = createRoute({
  method: "get",
  path: "/api/v1/cohorts/{id}",
  tags: ["Cohorts"],
  summary: "Get a cohort",
  description: "The cohort with how many accounts its definition selects now.",
  security,
  request: { params: idParams("cohort") },
  responses: {
    200: {
      description: "The cohort and its member count.",
      content: { "application/json": { schema: cohortDetailSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type GetCohortResponse = z.infer<typeof cohortDetailSchema>;

export function registerGetCohort(app: ApiApp): void {
  app.openapi(getCohortRoute, async (c) => {
    const id = pathId(c.var.ids, "cohort", c.req.valid("param").id);
    const cohort = await getCohort({ ctx: verbContext(c), input: { id } });
    return c.json(presentCohortDetail(c.var.ids, cohort), 200);
  });
}

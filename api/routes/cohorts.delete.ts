import { createRoute, type z } from "@hono/zod-openapi";
import { deleteCohort } from "../../domain/cohorts/cohorts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cohortSchema, presentCohort } from "../schemas/cohort.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const deleteCohortRoute = createRoute({
  method: "delete",
  path: "/api/v1/cohorts/{id}",
  tags: ["Cohorts"],
  summary: "Delete a cohort",
  description:
    "The cohort is gone from the API (404 from then on, its snapshots included) and the nightly job no longer snapshots it.",
  security,
  request: { params: idParams("cohort") },
  responses: {
    200: { description: "The cohort as it was.", content: { "application/json": { schema: cohortSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type DeleteCohortResponse = z.infer<typeof cohortSchema>;

export function registerDeleteCohort(app: ApiApp): void {
  app.openapi(deleteCohortRoute, async (c) => {
    const id = pathId(c.var.ids, "cohort", c.req.valid("param").id);
    const cohort = await deleteCohort({ ctx: verbContext(c), input: { id } });
    return c.json(presentCohort(c.var.ids, cohort), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { listCohorts } from "../../domain/cohorts/cohorts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cohortPage, presentCohort } from "../schemas/cohort.ts";
import { hashId, pageBody, pageInput, pageQuery, queryId, security } from "../schemas/common.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's cohorts.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});

export const listCohortsRoute = createRoute({
  method: "get",
  path: "/api/v1/cohorts",
  tags: ["Cohorts"],
  summary: "List cohorts",
  description:
    "Saved cohorts not deleted, oldest first. A key limited to some brands sees only theirs. Member counts are on each cohort's own page (`GET /api/v1/cohorts/{id}`): a count runs its definition.",
  security,
  request: { query: listQuery },
  responses: {
    200: { description: "A page of cohorts.", content: { "application/json": { schema: cohortPage } } },
    ...problemResponses(401, 403, 422),
  },
});

export type ListCohortsResponse = z.infer<typeof cohortPage>;

export function registerListCohorts(app: ApiApp): void {
  app.openapi(listCohortsRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listCohorts({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "cohort", query),
        brandId: query.brand === undefined ? undefined : queryId(ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(ids, "cohort", page, (cohort) => presentCohort(ids, cohort)),
      200,
    );
  });
}

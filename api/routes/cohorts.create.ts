import { createRoute, type z } from "@hono/zod-openapi";
import { createCohort } from "../../domain/cohorts/cohorts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  cohortDetailSchema,
  createCohortBody,
  definitionBodyHook,
  presentCohortDetail,
} from "../schemas/cohort.ts";
import { security } from "../schemas/common.ts";

export const createCohortRoute = createRoute({
  method: "post",
  path: "/api/v1/cohorts",
  tags: ["Cohorts"],
  summary: "Save a cohort",
  description:
    "A named cohort of one brand: its definition (as in the preview) only ever selects that brand's accounts. A brand outside the key's scope, or a brand, influencer or product in the definition outside it, is a 403; a 422 names each bad field by its path (`definition.rules[1].rules[0].value`). `refresh: daily` has the nightly job snapshot it every day. Answers the cohort with how many accounts it selects now.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createCohortBody } } } },
  responses: {
    201: {
      description: "The new cohort and its member count.",
      content: { "application/json": { schema: cohortDetailSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type CreateCohortRequest = z.input<typeof createCohortBody>;
export type CreateCohortResponse = z.infer<typeof cohortDetailSchema>;

export function registerCreateCohort(app: ApiApp): void {
  app.openapi(
    createCohortRoute,
    async (c) => {
      const body = c.req.valid("json");
      const cohort = await createCohort({
        ctx: verbContext(c),
        input: {
          brand: body.brand,
          name: body.name,
          definition: body.definition,
          refresh: body.refresh,
          path: "definition.",
        },
      });
      const json = presentCohortDetail(c.var.ids, cohort);
      return c.json(json, 201, { location: `/api/v1/cohorts/${json.id}` });
    },
    (result, c) => definitionBodyHook(result, c),
  );
}

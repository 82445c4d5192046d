import { createRoute, type z } from "@hono/zod-openapi";
import { updateCohort } from "../../domain/cohorts/cohorts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  cohortDetailSchema,
  definitionBodyHook,
  presentCohortDetail,
  updateCohortBody,
} from "../schemas/cohort.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const updateCohortRoute = createRoute({
  method: "patch",
  path: "/api/v1/cohorts/{id}",
  tags: ["Cohorts"],
  summary: "Change a cohort",
  description:
    "Changes the name, the definition (checked as on create: 422 by path, 403 outside the key's brands) or the refresh; the brand stays. Snapshots already taken keep the members they froze.",
  security,
  request: {
    params: idParams("cohort"),
    body: { required: true, content: { "application/json": { schema: updateCohortBody } } },
  },
  responses: {
    200: {
      description: "The cohort as changed, and its member count.",
      content: { "application/json": { schema: cohortDetailSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type UpdateCohortRequest = z.input<typeof updateCohortBody>;
export type UpdateCohortResponse = z.infer<typeof cohortDetailSchema>;

export function registerUpdateCohort(app: ApiApp): void {
  app.openapi(
    updateCohortRoute,
    async (c) => {
      const id = pathId(c.var.ids, "cohort", c.req.valid("param").id);
      const body = c.req.valid("json");
      const cohort = await updateCohort({
        ctx: verbContext(c),
        input: {
          id,
          name: body.name,
          definition: body.definition,
          refresh: body.refresh,
          path: "definition.",
        },
      });
      return c.json(presentCohortDetail(c.var.ids, cohort), 200);
    },
    (result, c) => definitionBodyHook(result, c),
  );
}

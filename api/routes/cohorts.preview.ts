import { createRoute, type z } from "@hono/zod-openapi";
import { previewCohort } from "../../domain/cohorts/preview.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  cohortPreviewSchema,
  definitionBodyHook,
  presentCohortPreview,
  previewCohortBody,
} from "../schemas/cohort.ts";
import { security } from "../schemas/common.ts";

export const previewCohortRoute = createRoute({
  method: "post",
  path: "/api/v1/cohorts/preview",
  tags: ["Cohorts"],
  summary: "Preview a cohort",
  description:
    "How many customer accounts an unsaved cohort definition selects within the API key's brands, and the first `sample_size` of them (by account). The definition is compiled to one SQL query; a 422 names each bad field by its path (`definition.rules[1].rules[0].value`), and a brand, influencer or product of a brand outside the key's scope is a 403.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: previewCohortBody } } } },
  responses: {
    200: {
      description: "The member count and a sample.",
      content: { "application/json": { schema: cohortPreviewSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type PreviewCohortRequest = z.input<typeof previewCohortBody>;
export type PreviewCohortResponse = z.infer<typeof cohortPreviewSchema>;

export function registerPreviewCohort(app: ApiApp): void {
  app.openapi(
    previewCohortRoute,
    async (c) => {
      const body = c.req.valid("json");
      const preview = await previewCohort({
        ctx: verbContext(c),
        input: { definition: body.definition, sampleSize: body.sample_size, path: "definition." },
      });
      return c.json(presentCohortPreview(c.var.ids, preview), 200);
    },
    (result, c) => definitionBodyHook(result, c),
  );
}

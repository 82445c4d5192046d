import { createRoute, type z } from "@hono/zod-openapi";
import { createAcquisitionRule } from "../../domain/acquisition/rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  acquisitionRuleSchema,
  createAcquisitionRuleBody,
  presentAcquisitionRule,
} from "../schemas/acquisition.ts";
import { security } from "../schemas/common.ts";

export const createAcquisitionRuleRoute = createRoute({
  method: "post",
  path: "/api/v1/acquisition-rules",
  tags: ["Acquisition"],
  summary: "Create an acquisition rule",
  description:
    "A rule of a brand's acquisition classification. Rules are tried by `priority` (lower first, then by id); the first that matches makes the customer `influencer`, none matching `organic`. Each type takes its own settings, and a setting another type uses is a 422. No account changes until the next classification run.",
  security,
  request: {
    body: { required: true, content: { "application/json": { schema: createAcquisitionRuleBody } } },
  },
  responses: {
    201: {
      description: "The new rule.",
      content: { "application/json": { schema: acquisitionRuleSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type CreateAcquisitionRuleRequest = z.input<typeof createAcquisitionRuleBody>;
export type CreateAcquisitionRuleResponse = z.infer<typeof acquisitionRuleSchema>;

export function registerCreateAcquisitionRule(app: ApiApp): void {
  app.openapi(createAcquisitionRuleRoute, async (c) => {
    const body = c.req.valid("json");
    const rule = await createAcquisitionRule({
      ctx: verbContext(c),
      input: {
        brand: body.brand,
        type: body.type,
        priority: body.priority,
        influencer: body.influencer,
        paramNames: body.param_names,
        field: body.field,
        match: body.match,
        value: body.value,
        domain: body.domain,
      },
    });
    const json = presentAcquisitionRule(c.var.ids, rule);
    return c.json(json, 201, { location: `/api/v1/acquisition-rules/${json.id}` });
  });
}

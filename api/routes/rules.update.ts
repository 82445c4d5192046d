import { createRoute, type z } from "@hono/zod-openapi";
import { updateRule } from "../../domain/routing/redirect-rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentRule, ruleSchema, updateRuleBody } from "../schemas/rule.ts";

export const updateRuleRoute = createRoute({
  method: "patch",
  path: "/api/v1/rules/{id}",
  tags: ["Rules"],
  summary: "Change a redirect rule",
  description: "Changes the given fields and republishes the rules document to KV.",
  security,
  request: {
    params: idParams("rule"),
    body: { required: true, content: { "application/json": { schema: updateRuleBody } } },
  },
  responses: {
    200: { description: "The rule as changed.", content: { "application/json": { schema: ruleSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});

export type UpdateRuleRequest = z.input<typeof updateRuleBody>;
export type UpdateRuleResponse = z.infer<typeof ruleSchema>;

export function registerUpdateRule(app: ApiApp): void {
  app.openapi(updateRuleRoute, async (c) => {
    const id = pathId(c.var.ids, "rule", c.req.valid("param").id);
    const body = c.req.valid("json");
    const rule = await updateRule({
      ctx: { ...verbContext(c), edgeConfig: c.env.EDGE_CONFIG },
      input: {
        id,
        brand: body.brand,
        theme: body.theme,
        partner: body.partner,
        product: body.product,
        knowledge: body.knowledge,
        priority: body.priority,
        targetUrl: body.target_url,
        active: body.active,
      },
    });
    return c.json(presentRule(c.var.ids, rule), 200);
  });
}

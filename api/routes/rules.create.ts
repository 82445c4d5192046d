import { createRoute, type z } from "@hono/zod-openapi";
import { createRule } from "../../domain/routing/redirect-rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { createRuleBody, presentRule, ruleSchema } from "../schemas/rule.ts";

export const createRuleRoute = createRoute({
  method: "post",
  path: "/api/v1/rules",
  tags: ["Rules"],
  summary: "Create a redirect rule",
  description:
    "Each dimension is a hash id or `*`. The most specific matching rule wins at the edge; ties go to priority, then rule id. The rules document is republished to KV once the rule is saved.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createRuleBody } } } },
  responses: {
    201: { description: "The new rule.", content: { "application/json": { schema: ruleSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 422, 503),
  },
});

export type CreateRuleRequest = z.input<typeof createRuleBody>;
export type CreateRuleResponse = z.infer<typeof ruleSchema>;

export function registerCreateRule(app: ApiApp): void {
  app.openapi(createRuleRoute, async (c) => {
    const body = c.req.valid("json");
    const rule = await createRule({
      ctx: { ...verbContext(c), edgeConfig: c.env.EDGE_CONFIG },
      input: {
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
    const json = presentRule(c.var.ids, rule);
    return c.json(json, 201, { location: `/api/v1/rules/${json.id}` });
  });
}

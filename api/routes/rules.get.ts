import { createRoute, type z } from "@hono/zod-openapi";
import { getRule } from "../../domain/routing/redirect-rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentRule, ruleSchema } from "../schemas/rule.ts";

export const getRuleRoute = createRoute({
  method: "get",
  path: "/api/v1/rules/{id}",
  tags: ["Rules"],
  summary: "Get a rule",
  description:
    "One redirect rule: its four dimensions (brand, theme, partner, product; null is any), knowledge condition, priority and target URL template.",
  security,
  request: { params: idParams("rule") },
  responses: {
    200: { description: "The rule.", content: { "application/json": { schema: ruleSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetRuleResponse = z.infer<typeof ruleSchema>;

export function registerGetRule(app: ApiApp): void {
  app.openapi(getRuleRoute, async (c) => {
    const id = pathId(c.var.ids, "rule", c.req.valid("param").id);
    const rule = await getRule({ ctx: verbContext(c), input: { id } });
    return c.json(presentRule(c.var.ids, rule), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { deleteRule } from "../../domain/routing/redirect-rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentRule, ruleSchema } from "../schemas/rule.ts";

export const deleteRuleRoute = createRoute({
  method: "delete",
  path: "/api/v1/rules/{id}",
  tags: ["Rules"],
  summary: "Delete a redirect rule",
  description:
    "Deletes the rule and republishes the rules document. Captures it routed keep their history (their rule becomes null).",
  security,
  request: { params: idParams("rule") },
  responses: {
    200: { description: "The rule as it was.", content: { "application/json": { schema: ruleSchema } } },
    ...problemResponses(401, 403, 404, 503),
  },
});

export type DeleteRuleResponse = z.infer<typeof ruleSchema>;

export function registerDeleteRule(app: ApiApp): void {
  app.openapi(deleteRuleRoute, async (c) => {
    const id = pathId(c.var.ids, "rule", c.req.valid("param").id);
    const rule = await deleteRule({
      ctx: { ...verbContext(c), edgeConfig: c.env.EDGE_CONFIG },
      input: { id },
    });
    return c.json(presentRule(c.var.ids, rule), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { listRules } from "../../domain/routing/redirect-rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { presentRule, ruleSchema } from "../schemas/rule.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's rules.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});
const rulePage = pageOf(ruleSchema, "RulePage");

export const listRulesRoute = createRoute({
  method: "get",
  path: "/api/v1/rules",
  tags: ["Rules"],
  summary: "List rules",
  description: "The redirect rules of the key's brands (or of `brand`), oldest first, a page at a time.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of rules, oldest first.",
      content: { "application/json": { schema: rulePage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListRulesResponse = z.infer<typeof rulePage>;

export function registerListRules(app: ApiApp): void {
  app.openapi(listRulesRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listRules({
      ctx: verbContext(c),
      input: {
        ...pageInput(c.var.ids, "rule", query),
        brandId: query.brand === undefined ? undefined : queryId(c.var.ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(c.var.ids, "rule", page, (item) => presentRule(c.var.ids, item)),
      200,
    );
  });
}

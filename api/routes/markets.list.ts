import { createRoute, type z } from "@hono/zod-openapi";
import { listMarkets } from "../../domain/catalog/markets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pageBody, pageInput, pageOf, pageQuery, security } from "../schemas/common.ts";
import { marketSchema, presentMarket } from "../schemas/market.ts";
import { marketCode } from "../schemas/order.ts";

const listQuery = pageQuery.extend({
  code: marketCode
    .optional()
    .openapi({ param: { name: "code", in: "query" }, description: "Only the market with this code." }),
});
const marketPage = pageOf(marketSchema, "MarketPage");

export const listMarketsRoute = createRoute({
  method: "get",
  path: "/api/v1/markets",
  tags: ["Markets"],
  summary: "List markets",
  description: "Every market, oldest first, a page at a time.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of markets, oldest first.",
      content: { "application/json": { schema: marketPage } },
    },
    ...problemResponses(401, 422),
  },
});

export type ListMarketsResponse = z.infer<typeof marketPage>;

export function registerListMarkets(app: ApiApp): void {
  app.openapi(listMarketsRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listMarkets({
      ctx: verbContext(c),
      input: { ...pageInput(c.var.ids, "market", query), code: query.code },
    });
    return c.json(
      pageBody(c.var.ids, "market", page, (item) => presentMarket(c.var.ids, item)),
      200,
    );
  });
}

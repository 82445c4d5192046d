import { createRoute, type z } from "@hono/zod-openapi";
import { getMarket } from "../../domain/catalog/markets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { marketSchema, presentMarket } from "../schemas/market.ts";

export const getMarketRoute = createRoute({
  method: "get",
  path: "/api/v1/markets/{id}",
  tags: ["Markets"],
  summary: "Get a market",
  description: "One market: code, country, currency, name and time zone.",
  security,
  request: { params: idParams("market") },
  responses: {
    200: { description: "The market.", content: { "application/json": { schema: marketSchema } } },
    ...problemResponses(401, 404),
  },
});

export type GetMarketResponse = z.infer<typeof marketSchema>;

export function registerGetMarket(app: ApiApp): void {
  app.openapi(getMarketRoute, async (c) => {
    const id = pathId(c.var.ids, "market", c.req.valid("param").id);
    const market = await getMarket({ ctx: verbContext(c), input: { id } });
    return c.json(presentMarket(c.var.ids, market), 200);
  });
}

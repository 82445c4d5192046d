import { createRoute, type z } from "@hono/zod-openapi";
import { deleteMarket } from "../../domain/catalog/markets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { marketSchema, presentMarket } from "../schemas/market.ts";

export const deleteMarketRoute = createRoute({
  method: "delete",
  path: "/api/v1/markets/{id}",
  tags: ["Markets"],
  summary: "Delete a market",
  description:
    "Deletes a market nothing names yet, e.g. one made by mistake; needs an API key for all brands. A market a store, an account, an order or a product offer names stays: 409.",
  security,
  request: { params: idParams("market") },
  responses: {
    200: { description: "The market as it was.", content: { "application/json": { schema: marketSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export type DeleteMarketResponse = z.infer<typeof marketSchema>;

export function registerDeleteMarket(app: ApiApp): void {
  app.openapi(deleteMarketRoute, async (c) => {
    const id = pathId(c.var.ids, "market", c.req.valid("param").id);
    const market = await deleteMarket({ ctx: verbContext(c), input: { id } });
    return c.json(presentMarket(c.var.ids, market), 200);
  });
}

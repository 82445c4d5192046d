import { createRoute, type z } from "@hono/zod-openapi";
import { updateMarket } from "../../domain/catalog/markets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { marketSchema, presentMarket, updateMarketBody } from "../schemas/market.ts";

export const updateMarketRoute = createRoute({
  method: "patch",
  path: "/api/v1/markets/{id}",
  tags: ["Markets"],
  summary: "Rename a market or correct its time zone",
  description:
    "Changes the given fields; needs an API key for all brands. `code`, `country` and `currency` cannot change (orders name the market by its code, and its accounts hold money in its currency): sending one is a 422.",
  security,
  request: {
    params: idParams("market"),
    body: { required: true, content: { "application/json": { schema: updateMarketBody } } },
  },
  responses: {
    200: { description: "The market as changed.", content: { "application/json": { schema: marketSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type UpdateMarketRequest = z.input<typeof updateMarketBody>;
export type UpdateMarketResponse = z.infer<typeof marketSchema>;

export function registerUpdateMarket(app: ApiApp): void {
  app.openapi(updateMarketRoute, async (c) => {
    const id = pathId(c.var.ids, "market", c.req.valid("param").id);
    const body = c.req.valid("json");
    const market = await updateMarket({
      ctx: verbContext(c),
      input: { id, name: body.name, timeZone: body.time_zone },
    });
    return c.json(presentMarket(c.var.ids, market), 200);
  });
}

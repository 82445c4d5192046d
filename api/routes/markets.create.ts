import { createRoute, type z } from "@hono/zod-openapi";
import { createMarket } from "../../domain/catalog/markets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { createMarketBody, marketSchema, presentMarket } from "../schemas/market.ts";

export const createMarketRoute = createRoute({
  method: "post",
  path: "/api/v1/markets",
  tags: ["Markets"],
  summary: "Create a market",
  description: "Markets are shared by every brand: this needs an API key for all brands.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createMarketBody } } } },
  responses: {
    201: { description: "The new market.", content: { "application/json": { schema: marketSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateMarketRequest = z.input<typeof createMarketBody>;
export type CreateMarketResponse = z.infer<typeof marketSchema>;

export function registerCreateMarket(app: ApiApp): void {
  app.openapi(createMarketRoute, async (c) => {
    const body = c.req.valid("json");
    const market = await createMarket({
      ctx: verbContext(c),
      input: {
        code: body.code,
        name: body.name,
        country: body.country,
        currency: body.currency,
        timeZone: body.time_zone,
      },
    });
    const json = presentMarket(c.var.ids, market);
    return c.json(json, 201, { location: `/api/v1/markets/${json.id}` });
  });
}

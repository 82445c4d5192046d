import { createRoute, type z } from "@hono/zod-openapi";
import { createStore } from "../../domain/catalog/stores.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { createStoreBody, presentStore, storeSchema } from "../schemas/store.ts";

export const createStoreRoute = createRoute({
  method: "post",
  path: "/api/v1/stores",
  tags: ["Stores"],
  summary: "Register a store",
  description:
    "A shop on an e-commerce platform and the brand and market its orders belong to. A shop is registered once per platform: (platform, external_ref) is unique.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createStoreBody } } } },
  responses: {
    201: { description: "The new store.", content: { "application/json": { schema: storeSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateStoreRequest = z.input<typeof createStoreBody>;
export type CreateStoreResponse = z.infer<typeof storeSchema>;

export function registerCreateStore(app: ApiApp): void {
  app.openapi(createStoreRoute, async (c) => {
    const body = c.req.valid("json");
    const store = await createStore({
      ctx: verbContext(c),
      input: {
        brand: body.brand,
        market: body.market,
        platform: body.platform,
        externalRef: body.external_ref,
        name: body.name,
      },
    });
    const json = presentStore(c.var.ids, store);
    return c.json(json, 201, { location: `/api/v1/stores/${json.id}` });
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { getStore } from "../../domain/catalog/stores.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentStore, storeSchema } from "../schemas/store.ts";

export const getStoreRoute = createRoute({
  method: "get",
  path: "/api/v1/stores/{id}",
  tags: ["Stores"],
  summary: "Get a store",
  description:
    "One store: the platform shop (`external_ref`) and the brand and market its orders and events belong to.",
  security,
  request: { params: idParams("store") },
  responses: {
    200: { description: "The store.", content: { "application/json": { schema: storeSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetStoreResponse = z.infer<typeof storeSchema>;

export function registerGetStore(app: ApiApp): void {
  app.openapi(getStoreRoute, async (c) => {
    const id = pathId(c.var.ids, "store", c.req.valid("param").id);
    const store = await getStore({ ctx: verbContext(c), input: { id } });
    return c.json(presentStore(c.var.ids, store), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { deleteStore } from "../../domain/catalog/stores.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentStore, storeSchema } from "../schemas/store.ts";

export const deleteStoreRoute = createRoute({
  method: "delete",
  path: "/api/v1/stores/{id}",
  tags: ["Stores"],
  summary: "Delete a store",
  description:
    "Deletes a store no order came through; its shop's webhooks are then answered 404, as for a shop never registered. A store with orders stays (they name it): 409.",
  security,
  request: { params: idParams("store") },
  responses: {
    200: { description: "The store as it was.", content: { "application/json": { schema: storeSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export type DeleteStoreResponse = z.infer<typeof storeSchema>;

export function registerDeleteStore(app: ApiApp): void {
  app.openapi(deleteStoreRoute, async (c) => {
    const id = pathId(c.var.ids, "store", c.req.valid("param").id);
    const store = await deleteStore({ ctx: verbContext(c), input: { id } });
    return c.json(presentStore(c.var.ids, store), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { updateStore } from "../../domain/catalog/stores.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentStore, storeSchema, updateStoreBody } from "../schemas/store.ts";

export const updateStoreRoute = createRoute({
  method: "patch",
  path: "/api/v1/stores/{id}",
  tags: ["Stores"],
  summary: "Change a store",
  description:
    "Changes the given fields; brand and platform stay. Orders already ingested keep their market and account: a new market applies to the shop's next orders. A shop id registered by another store is a 409 naming `external_ref`.",
  security,
  request: {
    params: idParams("store"),
    body: { required: true, content: { "application/json": { schema: updateStoreBody } } },
  },
  responses: {
    200: { description: "The store as changed.", content: { "application/json": { schema: storeSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

export type UpdateStoreRequest = z.input<typeof updateStoreBody>;
export type UpdateStoreResponse = z.infer<typeof storeSchema>;

export function registerUpdateStore(app: ApiApp): void {
  app.openapi(updateStoreRoute, async (c) => {
    const id = pathId(c.var.ids, "store", c.req.valid("param").id);
    const body = c.req.valid("json");
    const store = await updateStore({
      ctx: verbContext(c),
      input: { id, market: body.market, externalRef: body.external_ref, name: body.name },
    });
    return c.json(presentStore(c.var.ids, store), 200);
  });
}

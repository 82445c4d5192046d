import { createRoute, z } from "@hono/zod-openapi";
import { assertBrand } from "../../domain/core/scope.ts";
import { getOrder } from "../../domain/ledger/order-detail.ts";
import { ingestOrder } from "../../domain/ledger/orders.ts";
import { findStoreTarget } from "../../domain/ledger/store-orders.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { cafe24OrderToNormalised } from "../adapters/cafe24.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { parseNormalised, unknownStore } from "../middleware/store-orders.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { orderInput, orderSchema, presentOrder } from "../schemas/order.ts";

export const createCafe24OrderBody = z
  .strictObject({
    mall_id: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .openapi({ description: "The Cafe24 mall id, registered as a `cafe24` store.", example: "lumenskin" }),
    order: z.record(z.string(), z.unknown()).openapi({
      description:
        "The Admin API order object as `GET /api/v2/admin/orders/{order_id}?embed=items,receivers,buyer` returns it (`order`).",
    }),
  })
  .openapi("CreateCafe24Order");

export const createCafe24OrderRoute = createRoute({
  method: "post",
  path: "/api/v1/orders/cafe24",
  tags: ["Orders"],
  summary: "Ingest a Cafe24 order",
  description:
    "Normalises a Cafe24 order (amounts in the mall's currency, dates in KST) and ingests it like `POST /api/v1/orders`, for the brand and market of the mall's store. Idempotent on the Cafe24 `order_id`.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createCafe24OrderBody } } } },
  responses: {
    201: { description: "The order was ingested.", content: { "application/json": { schema: orderSchema } } },
    200: {
      description: "The order had been ingested before; nothing was written.",
      content: { "application/json": { schema: orderSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type CreateCafe24OrderRequest = z.input<typeof createCafe24OrderBody>;

export function registerCreateCafe24Order(app: ApiApp): void {
  app.openapi(createCafe24OrderRoute, async (c) => {
    const body = c.req.valid("json");
    const ctx = verbContext(c);
    const store = await findStoreTarget(c.var.db, "cafe24", body.mall_id);
    if (!store) throw unknownStore("mall_id", body.mall_id);
    assertBrand(ctx.principal, store.brandId);
    const order = parseNormalised(
      cafe24OrderToNormalised(body.order, {
        brand: c.var.ids.encode("brand", store.brandId),
        market: store.marketCode,
        country: store.country,
      }),
    );
    const ingested = await ingestOrder({ ctx, input: orderInput(order, store.brandId, store.storeId) });
    await enqueueLedgerRelays(c.env.RELAYS_QUEUE, ingested.relayJobIds);
    const json = presentOrder(c.var.ids, await getOrder({ ctx, input: { id: ingested.orderId } }));
    return c.json(json, ingested.created ? 201 : 200, { location: `/api/v1/orders/${json.id}` });
  });
}

import { createRoute, z } from "@hono/zod-openapi";
import { ingestOrder } from "../../domain/ledger/orders.ts";
import { storeWebhookPrincipal } from "../../domain/ledger/store-orders.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { shopifyOrderToNormalised } from "../adapters/shopify.ts";
import type { ApiApp } from "../hono-env.ts";
import { parseNormalised, readShopifyWebhook } from "../middleware/store-orders.ts";
import { problemResponses } from "../problem.ts";
import { hashId } from "../schemas/common.ts";
import { orderInput } from "../schemas/order.ts";

export const shopifyWebhookAnswer = z
  .object({
    order: hashId("The stored order."),
    created: z.boolean().openapi({ description: "False for a re-delivered webhook: nothing was written." }),
  })
  .openapi("ShopifyOrderWebhookResult");

export const shopifyOrdersCreateRoute = createRoute({
  method: "post",
  path: "/webhooks/shopify/orders-create",
  tags: ["Webhooks"],
  summary: "Shopify orders/create webhook",
  description:
    "Shopify's `orders/create` payload (REST Order), signed with `X-Shopify-Hmac-Sha256`; the shop (`X-Shopify-Shop-Domain`) must be registered as a store. The order is normalised and ingested like `POST /api/v1/orders`, in one transaction; a re-delivery finds the first order and writes nothing. No API key: the signature is the authentication.",
  responses: {
    200: {
      description: "Stored (or stored before).",
      content: { "application/json": { schema: shopifyWebhookAnswer } },
    },
    ...problemResponses(400, 401, 404, 413, 422, 503),
  },
});

export function registerShopifyOrdersCreate(app: ApiApp): void {
  app.openapi(shopifyOrdersCreateRoute, async (c) => {
    const { payload, store } = await readShopifyWebhook(c);
    const brand = c.var.ids.encode("brand", store.brandId);
    const order = parseNormalised(shopifyOrderToNormalised(payload, { brand, market: store.marketCode }));
    const ingested = await ingestOrder({
      ctx: { db: c.var.db, principal: storeWebhookPrincipal, ids: c.var.ids },
      input: orderInput(order, store.brandId, store.storeId),
    });
    await enqueueLedgerRelays(c.env.RELAYS_QUEUE, ingested.relayJobIds);
    return c.json({ order: c.var.ids.encode("order", ingested.orderId), created: ingested.created }, 200);
  });
}

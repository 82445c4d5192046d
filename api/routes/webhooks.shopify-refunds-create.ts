import { createRoute, z } from "@hono/zod-openapi";
import { NotFound, ValidationFailed } from "../../domain/core/errors.ts";
import { withTransaction } from "../../domain/core/transaction.ts";
import { refundProduct, refundShipping } from "../../domain/ledger/refunds.ts";
import { findRefundTargets, storeWebhookPrincipal } from "../../domain/ledger/store-orders.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { shopifyRefundToRequests } from "../adapters/shopify.ts";
import type { ApiApp } from "../hono-env.ts";
import { readShopifyWebhook } from "../middleware/store-orders.ts";
import { problemResponses } from "../problem.ts";
import { hashId } from "../schemas/common.ts";

export const shopifyRefundWebhookAnswer = z
  .object({
    refunds: z.array(
      z.object({
        id: hashId("The ledger refund."),
        created: z.boolean().openapi({ description: "False when this refund line was recorded before." }),
      }),
    ),
  })
  .openapi("ShopifyRefundWebhookResult");

export const shopifyRefundsCreateRoute = createRoute({
  method: "post",
  path: "/webhooks/shopify/refunds-create",
  tags: ["Webhooks"],
  summary: "Shopify refunds/create webhook",
  description:
    "Shopify's `refunds/create` payload, signed with `X-Shopify-Hmac-Sha256`. Each refunded line becomes a product refund of the order's account (its subtotal and tax, in minor units), credited by the refund waterfall; each `shipping_refund` order adjustment a shipping refund crediting the order's shipping line; all in one transaction, idempotent per line and adjustment. The order must have been ingested (404 otherwise, so Shopify retries). A `refund_discrepancy` adjustment has nothing invoiced to credit and is not recorded.",
  responses: {
    200: {
      description: "Recorded (or recorded before).",
      content: { "application/json": { schema: shopifyRefundWebhookAnswer } },
    },
    ...problemResponses(400, 401, 404, 413, 422, 503),
  },
});

export function registerShopifyRefundsCreate(app: ApiApp): void {
  app.openapi(shopifyRefundsCreateRoute, async (c) => {
    const { payload, store } = await readShopifyWebhook(c);
    const read = shopifyRefundToRequests(payload, { currency: store.currency, taxesIncluded: false });
    const first = read[0];
    if (!first) return c.json({ refunds: [] }, 200);
    const targets = await findRefundTargets(c.var.db, {
      brandId: store.brandId,
      platform: "shopify",
      orderExternalId: first.orderExternalId,
      skus: read.flatMap((request) => (request.kind === "product" ? [request.sku] : [])),
    });
    if (!targets) throw new NotFound("order", `No Shopify order ${first.orderExternalId} has been ingested.`);
    // The refund payload does not say whether prices included tax; the stored order does (no tax of its own).
    const requests =
      targets.taxTotal === 0
        ? shopifyRefundToRequests(payload, { currency: targets.currency, taxesIncluded: true })
        : read;
    const missing = requests.flatMap((request) =>
      request.kind === "product" && !targets.productIds.has(request.sku) ? [request.sku] : [],
    );
    if (missing.length > 0)
      throw new ValidationFailed(
        missing.map((sku) => ({
          field: "refund_line_items.line_item.sku",
          category: "not_found",
          message: `The brand has no product ${sku}.`,
        })),
      );
    const results = await withTransaction(c.var.db, async (tx) => {
      const done = [];
      // One refund per line and per shipping adjustment, all in this transaction: each locks the same
      // account row.
      const ctx = { db: tx, principal: storeWebhookPrincipal, ids: c.var.ids };
      for (const request of requests) {
        const base = {
          accountId: targets.accountId,
          amount: request.amount,
          currency: request.currency,
          platform: "shopify",
          externalId: request.externalId,
          reason: request.reason,
          refundedAt: new Date(request.refundedAt),
        };
        if (request.kind === "shipping") {
          done.push(await refundShipping({ ctx, input: { ...base, orderId: targets.orderId } }));
          continue;
        }
        const productId = targets.productIds.get(request.sku);
        if (productId !== undefined) done.push(await refundProduct({ ctx, input: { ...base, productId } }));
      }
      return done;
    });
    await enqueueLedgerRelays(
      c.env.RELAYS_QUEUE,
      results.flatMap((result) => result.relayJobIds),
    );
    return c.json(
      {
        refunds: results.map((result) => ({
          id: c.var.ids.encode("refund", result.refund.id),
          created: result.created,
        })),
      },
      200,
    );
  });
}

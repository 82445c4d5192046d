import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { Transaction } from "../../db/client.ts";
import { pgArray } from "../../db/sql.ts";
import { DomainError, type FieldError } from "../core/errors.ts";
import { type RefundResult, refundProduct, refundShipping } from "../ledger/refunds.ts";
import { findRefundTargets, storeWebhookPrincipal } from "../ledger/store-orders.ts";
import { commerceEventData } from "./event-message.ts";
import { type EventOrder, eventOrders, refusal } from "./order-appliers.ts";
import { allocateRefund, type CreditableOrderLine, type RefundPart } from "./refund-allocation.ts";
import {
  type ApplyContext,
  type ApplyOutcome,
  type CommerceApplier,
  dataOf,
  nestedDatabase,
  type StoredCommerceEvent,
} from "./stored-event.ts";

type RefundData = z.infer<(typeof commerceEventData)["order.refunded"]>;

/** Why an event cannot be applied, naming its field as a verb's refusal would. */
const failure = (event: StoredCommerceEvent, order: EventOrder, errors: FieldError[]): ApplyOutcome => ({
  id: event.id,
  status: "failed",
  orderId: order.orderId,
  error: `The refund cannot be applied; nothing was written. (${errors
    .map((e) => `${e.field}: ${e.message}`)
    .join("; ")})`.slice(0, 1000),
});

/** The refund's idempotency key (the platform's refund id, else the event's id); one ledger refund per part. */
const refundKey = (event: StoredCommerceEvent, data: RefundData): string =>
  data.refund_id ?? `event:${event.platformEventId}`;
const partKey = (key: string, part: RefundPart): string =>
  `${key}:${part.kind === "product" ? part.sku : "shipping"}`;

/** The order's invoice lines, in line order, with what is left of each to credit. */
async function creditableLines(tx: Transaction, orderId: number): Promise<CreditableOrderLine[]> {
  const found = await tx.execute<{
    kind: "product" | "shipping";
    product_id: string | null;
    sku: string | null;
    amount: string;
    credited: string;
  }>(sql`
    SELECT ii.kind::text AS kind, ii.product_id, p.sku, ii.amount, ii.credited_total AS credited
      FROM invoices i JOIN invoice_items ii ON ii.invoice_id = i.id LEFT JOIN products p ON p.id = ii.product_id
     WHERE i.order_id = ${orderId} ORDER BY ii.id`);
  return found.rows.map((row) => ({
    kind: row.kind,
    productId: row.product_id === null ? null : Number(row.product_id),
    sku: row.sku,
    amount: Number(row.amount),
    credited: Number(row.credited),
  }));
}

/**
 * The parts of the refund: as the event lists them (each SKU a product refund, `shipping` a shipping
 * refund), or `amount` spread over the order's lines still creditable (domain/commerce/refund-allocation.ts).
 * `replayed` when an amount-only refund with this key was recorded before (the lines it would be spread over
 * have changed since, so it is not spread again).
 */
async function partsOf(
  ctx: ApplyContext,
  event: StoredCommerceEvent,
  order: EventOrder,
  data: RefundData,
): Promise<{ parts: RefundPart[] } | { replayed: true } | { errors: FieldError[] }> {
  if (data.items) {
    const listed = data.items.reduce((sum, item) => sum + item.amount, 0) + (data.shipping ?? 0);
    if (listed !== data.amount)
      return {
        errors: [
          {
            field: "amount",
            category: "out_of_range",
            message: `The items and shipping add up to ${listed} ${data.currency}, not ${data.amount}.`,
          },
        ],
      };
    const targets = await findRefundTargets(ctx.tx, {
      brandId: event.brandId,
      platform: event.platform,
      orderExternalId: event.orderExternalId ?? "",
      skus: data.items.map((item) => item.sku),
    });
    const parts: RefundPart[] = [];
    const errors: FieldError[] = [];
    for (const [index, item] of data.items.entries()) {
      const productId = targets?.productIds.get(item.sku);
      if (productId === undefined)
        errors.push({
          field: `items.${index}.sku`,
          category: "not_found",
          message: `The brand has no product ${item.sku}.`,
        });
      else parts.push({ kind: "product", productId, sku: item.sku, amount: item.amount });
    }
    if (errors.length > 0) return { errors };
    if (data.shipping !== undefined) parts.push({ kind: "shipping", amount: data.shipping });
    return { parts };
  }

  if (data.shipping !== undefined && data.shipping > data.amount)
    return {
      errors: [{ field: "shipping", category: "out_of_range", message: "Exceeds the refund's amount." }],
    };
  const lines = await creditableLines(ctx.tx, order.orderId);
  const key = refundKey(event, data);
  const keys = [...new Set(lines.map((line) => (line.sku === null ? "shipping" : line.sku)))].map(
    (suffix) => `${key}:${suffix}`,
  );
  const before = await ctx.tx.execute<{ n: number; amount: string }>(sql`
    SELECT count(*)::int AS n, coalesce(sum(amount), 0) AS amount FROM refunds
     WHERE brand_id = ${event.brandId} AND platform = ${event.platform}
       AND external_id = ANY(${pgArray(keys)}::text[])`);
  const recorded = before.rows[0];
  if (recorded && recorded.n > 0) {
    if (Number(recorded.amount) === data.amount) return { replayed: true };
    return {
      errors: [
        {
          field: "refund_id",
          category: "conflict",
          message: `Already used for a refund of ${recorded.amount} ${data.currency}.`,
        },
      ],
    };
  }
  const allocation = allocateRefund(lines, data.amount, data.shipping);
  if (!allocation.ok)
    return {
      errors: [
        {
          field: "amount",
          category: "out_of_range",
          message: `Exceeds what the order can still be credited: ${allocation.refundable} ${data.currency}.`,
        },
      ],
    };
  return { parts: allocation.parts };
}

/**
 * `order.refunded` → refunds of the order's account (domain/ledger/refunds.ts): each product part through
 * the waterfall (`refundProduct`: the product's most recent invoice first), the shipping part on the order's
 * shipping line, all of one event in a savepoint, so a part the ledger refuses (more than is refundable, or
 * than the account's balance) fails the event with nothing written. Each part is keyed
 * `<refund id or event:<event id>>:<sku or shipping>`, so the same refund sent twice is refunded once.
 * Before its order exists it stays `pending`; the order's `order.created` applies it (same batch, or a
 * later one).
 */
export const orderRefundedApplier: CommerceApplier = {
  async apply(ctx, events) {
    const orders = await eventOrders(ctx, events);
    const outcomes: ApplyOutcome[] = [];
    for (const [ord, event] of events.entries()) {
      const order = orders.get(ord);
      if (!order) {
        outcomes.push({ id: event.id, status: "pending", error: "Waiting for its order." });
        continue;
      }
      const { data, outcome } = dataOf(commerceEventData["order.refunded"], event);
      if (outcome) {
        outcomes.push({ ...outcome, orderId: order.orderId });
        continue;
      }
      if (data.currency !== order.currency) {
        outcomes.push(
          failure(event, order, [
            {
              field: "currency",
              category: "not_allowed",
              message: `The account's currency is ${order.currency}.`,
            },
          ]),
        );
        continue;
      }
      try {
        const planned = await partsOf(ctx, event, order, data);
        if ("errors" in planned) {
          outcomes.push(failure(event, order, planned.errors));
          continue;
        }
        if ("parts" in planned) {
          const key = refundKey(event, data);
          const results = await ctx.tx.transaction(async (tx) => {
            const done: RefundResult[] = [];
            const verbCtx = { db: nestedDatabase(tx), principal: storeWebhookPrincipal, ids: ctx.ids };
            for (const part of planned.parts) {
              const base = {
                accountId: order.accountId,
                amount: part.amount,
                currency: data.currency,
                platform: event.platform,
                externalId: partKey(key, part),
                reason: data.reason ?? null,
                refundedAt: new Date(event.occurredAt),
              };
              done.push(
                part.kind === "product"
                  ? await refundProduct({ ctx: verbCtx, input: { ...base, productId: part.productId } })
                  : await refundShipping({ ctx: verbCtx, input: { ...base, orderId: order.orderId } }),
              );
            }
            return done;
          });
          ctx.relayJobIds.push(...results.flatMap((result) => result.relayJobIds));
        }
        outcomes.push({ id: event.id, status: "applied", orderId: order.orderId });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes.push({ id: event.id, status: "failed", orderId: order.orderId, error: refusal(error) });
      }
    }
    return outcomes;
  },
};

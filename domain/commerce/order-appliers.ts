import { sql } from "drizzle-orm";
import { recordset } from "../../db/sql.ts";
import { DomainError, type FieldError } from "../core/errors.ts";
import { lockAccount } from "../ledger/accounts.ts";
import { cancelOrder } from "../ledger/cancellations.ts";
import { ingestOrder, type OrderInput } from "../ledger/orders.ts";
import { insertPayment } from "../ledger/payments.ts";
import { storeWebhookPrincipal } from "../ledger/store-orders.ts";
import { type CommerceOrder, commerceEventData } from "./event-message.ts";
import {
  type ApplyContext,
  type ApplyOutcome,
  type CommerceApplier,
  dataOf,
  nestedDatabase,
  type StoredCommerceEvent,
} from "./stored-event.ts";

/** The verb's input for an event's order: the brand, market and platform are the store's. */
export function orderInputOf(event: StoredCommerceEvent, orderId: string, order: CommerceOrder): OrderInput {
  return {
    brandId: event.brandId,
    storeId: event.storeId,
    platform: event.platform,
    externalId: orderId,
    marketCode: event.marketCode,
    currency: order.currency,
    placedAt: new Date(order.placed_at),
    customer: {
      email: order.customer.email,
      firstName: order.customer.first_name,
      lastName: order.customer.last_name,
      phone: order.customer.phone,
    },
    billingAddress: order.billing_address,
    shippingAddress: order.shipping_address,
    items: order.items.map((item) => ({
      sku: item.sku,
      name: item.name,
      offer: item.offer,
      quantity: item.quantity,
      unitPrice: item.unit_price,
      discount: item.discount,
      tax: item.tax,
    })),
    shipping: order.shipping,
    coupons: order.coupons,
    campaign: order.campaign,
    marketing: order.marketing,
    captureId: order.capture_id,
    payment: order.payment && {
      amount: order.payment.amount,
      method: order.payment.method,
      externalId: order.payment.external_id,
      paidAt: order.payment.paid_at === undefined ? undefined : new Date(order.payment.paid_at),
    },
  };
}

/** A verb's refusal as one line for `commerce_events.error`, naming its fields. */
export function refusal(error: DomainError): string {
  const fields = "errors" in error && Array.isArray(error.errors) ? (error.errors as FieldError[]) : [];
  const detail = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  return (detail ? `${error.message} (${detail})` : error.message).slice(0, 1000);
}

/**
 * `order.created` → order ingestion (domain/ledger/orders.ts), one order at a time in a savepoint, so a
 * refused order (an unknown SKU, a currency not the market's) fails alone. Idempotent on the platform and
 * order id already. An event without an order body (Cafe24's carries no items) is kept `unapplied`.
 */
export const orderCreatedApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    for (const event of events) {
      const { data, outcome } = dataOf(commerceEventData["order.created"], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      if (!data.order) {
        outcomes.push({
          id: event.id,
          status: "unapplied",
          error: "The event carries no order body (items); the order is ingested when it is sent with one.",
        });
        continue;
      }
      try {
        const ingested = await ingestOrder({
          ctx: { db: nestedDatabase(ctx.tx), principal: storeWebhookPrincipal, ids: ctx.ids },
          input: orderInputOf(event, data.order_id, data.order),
        });
        ctx.relayJobIds.push(...ingested.relayJobIds);
        outcomes.push({ id: event.id, status: "applied", orderId: ingested.orderId });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes.push({ id: event.id, status: "failed", error: refusal(error) });
      }
    }
    return outcomes;
  },
};

type OrderRow = {
  ord: number;
  order_id: string;
  account_id: string;
  paid: string;
  total: string;
};

/**
 * `order.paid` (the order has been paid `amount`) → a payment (domain/ledger/payments.ts) on the order's
 * account, keyed by the platform's payment id (or the event's id), so a payment sent by two events is
 * recorded once; an order already paid in full (it came with its payment, as a Cafe24 order through the API
 * does) gets none, and a payment is capped at what the order still owes (a platform that reports what the order
 * has been paid so far, as Shopify's `orders/paid` does, after a part came another way), so the same money
 * is never counted twice by two paths. Before its order exists it stays `pending`; the order's
 * `order.created` applies it (same batch, or a later one).
 */
export const orderPaidApplier: CommerceApplier = {
  async apply(ctx, events) {
    if (events.length === 0) return [];
    const rows = events.map((event, ord) => ({
      ord,
      brand_id: event.brandId,
      platform: event.platform,
      external_id: event.orderExternalId,
    }));
    const found = await ctx.tx.execute<OrderRow>(sql`
      SELECT r.ord, o.id AS order_id, o.account_id, o.total,
             (SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.order_id = o.id) AS paid
        FROM ${recordset(rows, "ord integer, brand_id bigint, platform text, external_id text")}
        JOIN orders o ON o.brand_id = r.brand_id AND o.platform = r.platform AND o.external_id = r.external_id`);
    const orders = new Map(found.rows.map((row) => [row.ord, row]));
    // What each order has been paid, kept up to date as this batch pays it.
    const paid = new Map(found.rows.map((row) => [row.order_id, Number(row.paid)]));
    const outcomes: ApplyOutcome[] = [];
    for (const [ord, event] of events.entries()) {
      const order = orders.get(ord);
      if (!order) {
        outcomes.push({ id: event.id, status: "pending", error: "Waiting for its order." });
        continue;
      }
      const { data, outcome } = dataOf(commerceEventData["order.paid"], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      const account = await lockAccount(ctx.tx, Number(order.account_id));
      if (!account) throw new Error(`order ${order.order_id} has no account`);
      if (account.currency !== data.currency) {
        outcomes.push({
          id: event.id,
          status: "failed",
          orderId: Number(order.order_id),
          error: `The payment's currency ${data.currency} is not the account's (${account.currency}).`,
        });
        continue;
      }
      const orderId = Number(order.order_id);
      const already = paid.get(order.order_id) ?? 0;
      if (already >= Number(order.total)) {
        outcomes.push({ id: event.id, status: "applied", orderId });
        continue;
      }
      const amount = Math.min(data.amount, Number(order.total) - already);
      const payment = await insertPayment(ctx.tx, account, {
        amount,
        method: data.method,
        platform: event.platform,
        externalId: data.payment_id ?? `event:${event.platformEventId}`,
        orderId,
        receivedAt: new Date(data.paid_at ?? event.occurredAt),
      });
      if (payment.created) paid.set(order.order_id, already + amount);
      outcomes.push({ id: event.id, status: "applied", orderId });
    }
    return outcomes;
  },
};

/** An event's stored order: its id, account and currency. */
export interface EventOrder {
  orderId: number;
  accountId: number;
  currency: string;
}

/**
 * The stored orders the events name (by brand, platform and the platform's order id), in one statement:
 * by the event's position in `events`; an event whose order is not stored yet has none.
 */
export async function eventOrders(
  ctx: ApplyContext,
  events: readonly StoredCommerceEvent[],
): Promise<Map<number, EventOrder>> {
  if (events.length === 0) return new Map();
  const rows = events.map((event, ord) => ({
    ord,
    brand_id: event.brandId,
    platform: event.platform,
    external_id: event.orderExternalId,
  }));
  const found = await ctx.tx.execute<{
    ord: number;
    order_id: string;
    account_id: string;
    currency: string;
  }>(sql`
    SELECT r.ord, o.id AS order_id, o.account_id, o.currency
      FROM ${recordset(rows, "ord integer, brand_id bigint, platform text, external_id text")}
      JOIN orders o ON o.brand_id = r.brand_id AND o.platform = r.platform AND o.external_id = r.external_id`);
  return new Map(
    found.rows.map((row) => [
      Number(row.ord),
      { orderId: Number(row.order_id), accountId: Number(row.account_id), currency: row.currency },
    ]),
  );
}

/**
 * `order.cancelled` → the order's cancellation (domain/ledger/cancellations.ts): its invoice credited in
 * full and what it was paid refunded, with the refund's postbacks. One order at a time in a savepoint, so a
 * refusal fails that event alone. Cancelling a cancelled order writes nothing, so a second cancellation
 * event is applied without effect. Before its order exists it stays `pending`; the order's `order.created`
 * applies it (same batch, or a later one).
 */
export const orderCancelledApplier: CommerceApplier = {
  async apply(ctx, events) {
    const orders = await eventOrders(ctx, events);
    const outcomes: ApplyOutcome[] = [];
    for (const [ord, event] of events.entries()) {
      const order = orders.get(ord);
      if (!order) {
        outcomes.push({ id: event.id, status: "pending", error: "Waiting for its order." });
        continue;
      }
      const { data, outcome } = dataOf(commerceEventData["order.cancelled"], event);
      if (outcome) {
        outcomes.push({ ...outcome, orderId: order.orderId });
        continue;
      }
      try {
        const cancelled = await ctx.tx.transaction((tx) =>
          cancelOrder({
            ctx: { db: nestedDatabase(tx), principal: storeWebhookPrincipal, ids: ctx.ids },
            input: {
              orderId: order.orderId,
              reason: data.reason ?? null,
              cancelledAt: new Date(event.occurredAt),
            },
          }),
        );
        ctx.relayJobIds.push(...cancelled.relayJobIds);
        outcomes.push({ id: event.id, status: "applied", orderId: order.orderId });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes.push({ id: event.id, status: "failed", orderId: order.orderId, error: refusal(error) });
      }
    }
    return outcomes;
  },
};

import { z } from "@hono/zod-openapi";
import { fulfilmentStatuses } from "../../db/schema/sales.ts";
import type { EntityKind, HashIds } from "../../domain/core/hash-ids.ts";
import { documentNumber } from "../../domain/ledger/document-numbers.ts";
import type { OrderDetail, OrderSummary } from "../../domain/ledger/order-detail.ts";
import type { OrderInput } from "../../domain/ledger/orders.ts";
import { documentNumberField, hashId, inputTimestamp, timestamp } from "./common.ts";

/**
 * The normalised order: what `POST /api/v1/orders` accepts and what the store adapters (Shopify, Cafe24)
 * produce. Amounts are integer minor units of `currency` (won, cents), never floats.
 */

/** Upper bound for any single amount: far above any real order, far below 2^53. */
const maxAmount = 10_000_000_000_000;
export const amount = z.number().int().min(0).max(maxAmount).openapi({ example: 19900 });
export const positiveAmount = z.number().int().min(1).max(maxAmount).openapi({ example: 19900 });

export const platformSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "Lower-case letters, digits, `_` and `-`, up to 32.")
  .openapi({ description: "The selling platform (`shopify`, `cafe24`, `api`, …).", example: "shopify" });
export const externalId = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .openapi({ description: "The platform's own id: the idempotency key with brand and platform." });
export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, "An ISO 4217 code in upper case.")
  .openapi({ example: "KRW" });
export const marketCode = z
  .string()
  .regex(/^[a-z0-9-]{2,16}$/, "A market code: 2–16 lower-case letters, digits or `-`.")
  .openapi({ example: "kr" });

const shortText = (max: number) => z.string().trim().max(max);

export const addressInput = z
  .strictObject({
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, "An ISO 3166-1 alpha-2 country code.")
      .openapi({ example: "KR" }),
    region: shortText(100).optional(),
    city: shortText(100).optional(),
    postal_code: shortText(20).optional(),
    line1: shortText(200).optional(),
    line2: shortText(200).optional(),
  })
  .openapi("Address");

export const customerInput = z
  .strictObject({
    email: z.string().trim().min(3).max(320).openapi({ example: "minji.kim@example.com" }),
    first_name: shortText(100).optional(),
    last_name: shortText(100).optional(),
    phone: shortText(32).optional().openapi({ example: "+82 10-1234-5678" }),
  })
  .openapi("Customer");

export const subscriptionInput = z
  .strictObject({
    action: z.enum(["create", "renew"]).openapi({
      description:
        "`create` starts a subscription billed by this item (its first period); `renew` bills the next period of the subscription with this `external_id`.",
    }),
    external_id: externalId
      .optional()
      .openapi({ description: "The platform's subscription id; required to renew." }),
    interval: z.enum(["day", "week", "month", "year"]).default("month"),
    interval_count: z.number().int().min(1).max(365).default(1),
  })
  .openapi("OrderItemSubscription");

export const orderItemInput = z
  .strictObject({
    sku: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .openapi({ description: "The brand's product SKU.", example: "SERUM-30" }),
    name: z.string().trim().min(1).max(200).openapi({ example: "Vitamin C Serum 30 ml" }),
    offer: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .default("default")
      .openapi({ description: "Variant or offer code within the product (`default` if none)." }),
    quantity: z.number().int().min(1).max(10_000),
    unit_price: amount,
    discount: amount.default(0).openapi({ description: "Discount on this line (coupons included)." }),
    tax: amount.default(0),
    subscription: subscriptionInput.optional(),
  })
  .openapi("OrderItem");

export const orderPaymentInput = z
  .strictObject({
    amount: positiveAmount,
    method: z.string().trim().min(1).max(32).openapi({ example: "card" }),
    external_id: externalId.optional(),
    paid_at: inputTimestamp.optional(),
  })
  .openapi("OrderPayment");

export const createOrderBody = z
  .strictObject({
    platform: platformSlug,
    external_id: externalId,
    brand: hashId("Brand id."),
    market: marketCode,
    currency: currencyCode,
    placed_at: inputTimestamp,
    customer: customerInput,
    billing_address: addressInput.optional(),
    shipping_address: addressInput.optional(),
    items: z.array(orderItemInput).min(1).max(200),
    shipping: amount.default(0),
    coupons: z
      .array(z.strictObject({ code: z.string().trim().min(1).max(64), discount: amount.default(0) }))
      .max(20)
      .default([]),
    campaign: z.string().trim().min(1).max(128).optional(),
    marketing: z
      .record(z.string().regex(/^[a-z0-9_]{1,40}$/), z.string().max(512))
      .default({})
      .openapi({
        description: "First-touch acquisition parameters (utm_*, click ids, referrer).",
        example: { utm_source: "instagram" },
      }),
    capture_id: z.uuid().optional().openapi({ description: "The landing capture this order came from." }),
    payment: orderPaymentInput
      .optional()
      .openapi({ description: "Payment taken with the order, recorded in the same transaction." }),
  })
  .superRefine((order, ctx) => {
    order.items.forEach((item, index) => {
      // Runs even when fields failed their own checks: compare only amounts that are valid themselves.
      const valid = [item.quantity, item.unit_price, item.discount].every(
        (n) => Number.isSafeInteger(n) && n >= 0,
      );
      if (valid && item.quantity >= 1 && item.discount > item.quantity * item.unit_price)
        ctx.addIssue({
          code: "custom",
          path: ["items", index, "discount"],
          message: "A line's discount cannot exceed quantity × unit price.",
          params: { category: "out_of_range" },
        });
      if (item.subscription?.action === "renew" && item.subscription.external_id === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["items", index, "subscription", "external_id"],
          message: "Required to renew a subscription.",
          params: { category: "missing" },
        });
    });
  })
  .openapi("CreateOrder");

export const cancelOrderBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(500).optional().openapi({ example: "Customer changed their mind" }),
    cancelled_at: inputTimestamp
      .optional()
      .openapi({ description: "When it was cancelled; now when absent." }),
  })
  .openapi("CancelOrder");

/** The normalised order as a client sends it (defaults not yet applied): the adapters' output type. */
export type NormalisedOrder = z.input<typeof createOrderBody>;
export type ParsedOrder = z.infer<typeof createOrderBody>;

const money = z.number().int();
const accountTotalsSchema = z
  .object({
    id: hashId("Brand client account id."),
    currency: z.string(),
    invoiced: money,
    credited: money,
    paid: money,
    refunded: money,
    balance: money.openapi({ description: "paid − refunded." }),
    outstanding: money.openapi({
      description: "(invoiced − credited) − (paid − refunded); negative when in credit.",
    }),
  })
  .openapi("AccountTotals");

export const orderSchema = z
  .object({
    id: hashId("Order id."),
    brand: hashId("Brand id."),
    market: z.string(),
    store: hashId("Store id.").nullable(),
    platform: z.string(),
    external_id: z.string(),
    currency: z.string(),
    subtotal: money,
    discount_total: money,
    tax_total: money,
    shipping_total: money,
    total: money,
    credited_total: money,
    placed_at: timestamp,
    created_at: timestamp,
    campaign: z.string().nullable(),
    marketing: z.record(z.string(), z.string()),
    capture_id: z.string().nullable(),
    items: z.array(
      z.object({
        id: hashId("Order item id."),
        line_no: z.number().int(),
        product: hashId("Product id."),
        sku: z.string(),
        offer: hashId("Offer id."),
        offer_code: z.string(),
        subscription: hashId("Subscription id.").nullable(),
        name: z.string(),
        quantity: z.number().int(),
        unit_price: money,
        discount: money,
        tax: money,
        total: money,
        credited_total: money,
      }),
    ),
    invoice: z.object({
      id: hashId("Invoice id."),
      amount: money,
      credited_total: money,
      number: documentNumberField("invoice"),
      issued_at: timestamp,
      items: z.array(
        z.object({
          id: hashId("Invoice item id."),
          kind: z.enum(["product", "shipping"]),
          order_item: hashId("Order item id.").nullable(),
          product: hashId("Product id.").nullable(),
          description: z.string(),
          amount: money,
          credited_total: money,
        }),
      ),
    }),
    coupons: z.array(z.object({ code: z.string(), discount: money })),
    payments: z.array(
      z.object({
        id: hashId("Payment id."),
        amount: money,
        method: z.string(),
        external_id: z.string().nullable(),
        received_at: timestamp,
      }),
    ),
    account: accountTotalsSchema,
    fulfilment: z
      .object({
        status: z.enum(fulfilmentStatuses).nullable().openapi({
          description: "The status of the latest fulfilment event by when it happened; null until the first.",
        }),
        history: z
          .array(
            z.object({
              status: z.enum(fulfilmentStatuses),
              occurred_at: timestamp,
              event_id: z.string().openapi({ description: "The platform's event id." }),
              shipment_id: z.string().nullable(),
              carrier: z.string().nullable(),
              tracking_number: z.string().nullable(),
              reason: z.string().nullable(),
            }),
          )
          .openapi({ description: "Every fulfilment event of the order, oldest first." }),
      })
      .openapi("OrderFulfilment", {
        description: "Shipped, delivered, returned or exchanged, as the store's commerce events said.",
      }),
    cancellation: z
      .object({ cancelled_at: timestamp, reason: z.string().nullable() })
      .nullable()
      .openapi("OrderCancellation", {
        description:
          "Set once the order is cancelled: its invoice is then credited in full, and what it was paid refunded. Null while it stands.",
      }),
  })
  .openapi("Order");
export type OrderJson = z.infer<typeof orderSchema>;

const isoText = (value: string): string => new Date(value).toISOString();

export function presentOrder(ids: HashIds, order: OrderDetail): OrderJson {
  const orNull = (kind: EntityKind, id: number | null) => (id === null ? null : ids.encode(kind, id));
  return {
    id: ids.encode("order", order.id),
    brand: ids.encode("brand", order.brand_id),
    market: order.market,
    store: orNull("store", order.store_id),
    platform: order.platform,
    external_id: order.external_id,
    currency: order.currency,
    subtotal: order.subtotal,
    discount_total: order.discount_total,
    tax_total: order.tax_total,
    shipping_total: order.shipping_total,
    total: order.total,
    credited_total: order.credited_total,
    placed_at: isoText(order.placed_at),
    created_at: isoText(order.created_at),
    campaign: order.campaign,
    marketing: order.marketing,
    capture_id: order.capture_id,
    items: order.items.map((item) => ({
      id: ids.encode("orderItem", item.id),
      line_no: item.line_no,
      product: ids.encode("product", item.product_id),
      sku: item.sku,
      offer: ids.encode("offer", item.offer_id),
      offer_code: item.offer,
      subscription: orNull("subscription", item.subscription_id),
      name: item.name,
      quantity: item.quantity,
      unit_price: item.unit_price,
      discount: item.discount,
      tax: item.tax,
      total: item.total,
      credited_total: item.credited_total,
    })),
    invoice: {
      id: ids.encode("invoice", order.invoice.id),
      amount: order.invoice.amount,
      credited_total: order.invoice.credited_total,
      number: documentNumber("invoice", ids.encode("account", order.account_id), order.invoice.number),
      issued_at: isoText(order.invoice.issued_at),
      items: order.invoice.items.map((item) => ({
        id: ids.encode("invoiceItem", item.id),
        kind: item.kind,
        order_item: orNull("orderItem", item.order_item_id),
        product: orNull("product", item.product_id),
        description: item.description,
        amount: item.amount,
        credited_total: item.credited_total,
      })),
    },
    coupons: order.coupons,
    payments: order.payments.map((payment) => ({
      id: ids.encode("payment", payment.id),
      amount: payment.amount,
      method: payment.method,
      external_id: payment.external_id,
      received_at: isoText(payment.received_at),
    })),
    account: { ...order.account, id: ids.encode("account", order.account.id) },
    fulfilment: {
      status: order.fulfilment.status,
      history: order.fulfilment.history.map((entry) => ({
        ...entry,
        occurred_at: isoText(entry.occurred_at),
      })),
    },
    cancellation: order.cancellation && {
      cancelled_at: isoText(order.cancellation.cancelled_at),
      reason: order.cancellation.reason,
    },
  };
}

export const orderSummarySchema = z
  .object({
    id: hashId("Order id."),
    brand: hashId("Brand id."),
    account: hashId("Brand client account id."),
    platform: z.string(),
    external_id: z.string(),
    currency: z.string(),
    total: money,
    credited_total: money,
    placed_at: timestamp,
  })
  .openapi("OrderSummary");

export function presentOrderSummary(ids: HashIds, order: OrderSummary): z.infer<typeof orderSummarySchema> {
  return {
    id: ids.encode("order", order.id),
    brand: ids.encode("brand", order.brandId),
    account: ids.encode("account", order.accountId),
    platform: order.platform,
    external_id: order.externalId,
    currency: order.currency,
    total: order.total,
    credited_total: order.creditedTotal,
    placed_at: order.placedAt.toISOString(),
  };
}

/** The verb's input from a validated body, with the brand resolved by the caller. */
export function orderInput(body: ParsedOrder, brandId: number, storeId: number | null = null): OrderInput {
  return {
    brandId,
    storeId,
    platform: body.platform,
    externalId: body.external_id,
    marketCode: body.market,
    currency: body.currency,
    placedAt: new Date(body.placed_at),
    customer: {
      email: body.customer.email,
      firstName: body.customer.first_name,
      lastName: body.customer.last_name,
      phone: body.customer.phone,
    },
    billingAddress: body.billing_address,
    shippingAddress: body.shipping_address,
    items: body.items.map((item) => ({
      sku: item.sku,
      name: item.name,
      offer: item.offer,
      quantity: item.quantity,
      unitPrice: item.unit_price,
      discount: item.discount,
      tax: item.tax,
      subscription: item.subscription && {
        action: item.subscription.action,
        externalId: item.subscription.external_id,
        interval: item.subscription.interval,
        intervalCount: item.subscription.interval_count,
      },
    })),
    shipping: body.shipping,
    coupons: body.coupons,
    campaign: body.campaign,
    marketing: body.marketing,
    captureId: body.capture_id,
    payment: body.payment && {
      amount: body.payment.amount,
      method: body.payment.method,
      externalId: body.payment.external_id,
      paidAt: body.payment.paid_at === undefined ? undefined : new Date(body.payment.paid_at),
    },
  };
}

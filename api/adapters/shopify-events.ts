import { z } from "@hono/zod-openapi";
import {
  type CommerceEvent,
  type CommerceEventOf,
  commerceEvent,
} from "../../domain/commerce/event-message.ts";
import type { CommerceEventType } from "../../domain/commerce/event-types.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { fieldErrorsFromZod } from "../validation.ts";
import { idText, parsePayload, storeTime } from "./json.ts";
import { toMinorUnits } from "./money.ts";
import { shopifySku } from "./shopify.ts";

/**
 * Shopify webhooks of the topics that carry commerce events (REST payloads, as Shopify's webhook reference
 * shows them) to normalised events. Pure: no I/O. `orders/create` and `refunds/create` are not here: they
 * have routes of their own that write the ledger at once.
 *
 * An event's id is `shopify:<topic>:<X-Shopify-Event-Id>`: Shopify sends the same event id with every
 * delivery of one event, so a redelivery is the same event and the consumer stores it once. A delivered
 * shipment is the exception (see `fulfillments/update`). Amounts are minor units of the shop's currency.
 */

const id = z.union([z.number().int().nonnegative(), z.string().trim().min(1).max(64)]);
const amount = z.union([z.string(), z.number()]);
const moneySet = z.looseObject({ shop_money: z.looseObject({ amount }) }).nullish();
const text = z.string().nullish();

/** What the route knows of a delivery besides its body. */
export interface ShopifyDelivery {
  /** `X-Shopify-Event-Id` (or, from a sender without it, `X-Shopify-Webhook-Id`). */
  eventId: string | undefined;
  /** `X-Shopify-Triggered-At`: when the event happened, for a payload with no time of its own. */
  triggeredAt: string | undefined;
  receivedAt: Date;
  /** The store's currency (its market's): a product's prices carry none of their own. */
  currency: string;
}

/** What one webhook became: its events, and why a known topic gave none (reason → count). */
export interface ShopifyMapped {
  events: CommerceEvent[];
  skipped: Record<string, number>;
}

/** One topic's reading: the event's data and its own time, or why there is no event. */
type Read<T extends CommerceEventType> =
  | {
      data: CommerceEventOf<T>["data"];
      /** The payload's time of the event, as sent; absent → `X-Shopify-Triggered-At`, then now. */
      at?: { value: string | null | undefined; field: string };
      /** An id the event has whoever delivers it, instead of the delivery's event id. */
      id?: string;
    }
  | { skip: string };
type Reader<T extends CommerceEventType> = (input: unknown, currency: string) => Read<T>;

interface TopicMapping {
  type: CommerceEventType;
  read: (input: unknown, currency: string) => Read<CommerceEventType>;
}

const topic = <T extends CommerceEventType>(type: T, read: Reader<T>): TopicMapping => ({ type, read });

const present = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};
const clip = (value: string | null | undefined, max: number): string | undefined =>
  present(value)?.slice(0, max);

// ── orders ──

const paidOrder = z.looseObject({
  id,
  currency: z.string().regex(/^[A-Z]{3}$/),
  total_price: amount,
  total_price_set: moneySet,
  total_outstanding: amount.nullish(),
  payment_gateway_names: z.array(z.string()).nullish(),
  gateway: text,
  updated_at: text,
});

/**
 * `orders/paid` (the REST Order, paid in full) → `order.paid` of what is not outstanding, in the shop's
 * currency. The payment id is the order's: Shopify marks an order paid once, so two deliveries or two
 * subscriptions never pay it twice (and an order that came with its payment gets none, by the applier).
 */
function orderPaid(input: unknown): Read<"order.paid"> {
  const order = parsePayload(paidOrder, input, "");
  const orderId = idText(order.id);
  const total = toMinorUnits(
    order.total_price_set?.shop_money.amount ?? order.total_price,
    order.currency,
    "total_price",
  );
  const outstanding =
    order.total_outstanding === null || order.total_outstanding === undefined
      ? 0
      : toMinorUnits(order.total_outstanding, order.currency, "total_outstanding");
  const paid = total - outstanding;
  if (paid <= 0) return { skip: "zero_payment" };
  const method = present(order.payment_gateway_names?.[0]) ?? present(order.gateway) ?? "shopify";
  return {
    data: {
      order_id: orderId,
      amount: paid,
      currency: order.currency,
      method: method.slice(0, 32),
      payment_id: `${orderId}:orders/paid`,
    },
    at: { value: order.updated_at, field: "updated_at" },
  };
}

const cancelledOrder = z.looseObject({ id, cancelled_at: text, cancel_reason: text });

/** `orders/cancelled` → `order.cancelled` with Shopify's reason (`customer`, `fraud`, `inventory`, …). */
function orderCancelled(input: unknown): Read<"order.cancelled"> {
  const order = parsePayload(cancelledOrder, input, "");
  const reason = clip(order.cancel_reason, 500);
  return {
    data: { order_id: idText(order.id), ...(reason ? { reason } : {}) },
    at: { value: order.cancelled_at, field: "cancelled_at" },
  };
}

// ── fulfilments and returns ──

const fulfilment = z.looseObject({
  id,
  order_id: id,
  status: text,
  shipment_status: text,
  created_at: text,
  updated_at: text,
  tracking_company: text,
  tracking_number: text,
  tracking_numbers: z.array(z.string()).nullish(),
});

/** A fulfilment Shopify reports as not having happened (`status`): nothing was shipped. */
const unshipped = new Set(["cancelled", "error", "failure"]);

/** `fulfillments/create` → `order.shipped`: the fulfilment is the shipment, with its carrier and tracking. */
function fulfilmentCreated(input: unknown): Read<"order.shipped"> {
  const shipment = parsePayload(fulfilment, input, "");
  if (unshipped.has(shipment.status ?? "")) return { skip: "not_shipped" };
  const carrier = clip(shipment.tracking_company, 100);
  const tracking = clip(shipment.tracking_number ?? shipment.tracking_numbers?.[0], 100);
  return {
    data: {
      order_id: idText(shipment.order_id),
      shipment_id: idText(shipment.id),
      ...(carrier ? { carrier } : {}),
      ...(tracking ? { tracking_number: tracking } : {}),
    },
    at: { value: shipment.created_at, field: "created_at" },
  };
}

/**
 * `fulfillments/update` with `shipment_status` `delivered` → `order.delivered`; any other update is
 * skipped. Shopify sends this topic on every later change of a delivered fulfilment too, each with an
 * event id of its own, so the event is named by the shipment: one delivery per shipment, however often
 * it is reported.
 */
function fulfilmentDelivered(input: unknown): Read<"order.delivered"> {
  const shipment = parsePayload(fulfilment, input, "");
  if (shipment.shipment_status !== "delivered") return { skip: "not_delivered" };
  const shipmentId = idText(shipment.id);
  return {
    data: { order_id: idText(shipment.order_id), shipment_id: shipmentId },
    at: { value: shipment.updated_at, field: "updated_at" },
    id: `shopify:fulfillment:${shipmentId}:delivered`,
  };
}

const closedReturn = z.looseObject({
  id,
  status: text,
  order: z.looseObject({ id }).nullish(),
  order_id: id.nullish(),
});

/** `returns/close` (the return is complete: items back, or marked returned) → `order.returned`. */
function returnClosed(input: unknown): Read<"order.returned"> {
  const closed = parsePayload(closedReturn, input, "");
  const orderId = closed.order?.id ?? closed.order_id;
  if (orderId === null || orderId === undefined)
    throw new ValidationFailed(
      [{ field: "order.id", category: "missing", message: "The return names no order." }],
      "The store payload is not in the expected format.",
    );
  return { data: { order_id: idText(orderId) } };
}

// ── customers and their consent ──

const customer = z.looseObject({ id, email: text, created_at: text, updated_at: text });

/** `customers/create` → `member.joined`: the Shopify customer id is the member id. */
function customerCreated(input: unknown): Read<"member.joined"> {
  const member = parsePayload(customer, input, "");
  const email = present(member.email);
  return {
    data: { member_id: idText(member.id), ...(email ? { email } : {}) },
    at: { value: member.created_at, field: "created_at" },
  };
}

/** `customers/update` → `member.updated` (Shopify does not say which fields changed). */
function customerUpdated(input: unknown): Read<"member.updated"> {
  const member = parsePayload(customer, input, "");
  const email = present(member.email);
  return {
    data: { member_id: idText(member.id), ...(email ? { email } : {}) },
    at: { value: member.updated_at, field: "updated_at" },
  };
}

/** `customers/delete` → `member.withdrawn`; the payload keeps only the id. */
function customerDeleted(input: unknown): Read<"member.withdrawn"> {
  const member = parsePayload(z.looseObject({ id }), input, "");
  return { data: { member_id: idText(member.id) } };
}

/** Shopify's marketing states that say yes or no; `not_subscribed`, `pending`, `redacted`… say neither. */
const consentOf = (state: string | null | undefined) =>
  state === "subscribed" ? ("granted" as const) : state === "unsubscribed" ? ("withdrawn" as const) : null;

const emailConsent = z.looseObject({
  customer_id: id,
  email_address: text,
  email_marketing_consent: z.looseObject({ state: text, consent_updated_at: text }).nullish(),
});

/** `customers_email_marketing_consent/update` → `consent.changed` on the email channel. */
function emailConsentChanged(input: unknown): Read<"consent.changed"> {
  const update = parsePayload(emailConsent, input, "");
  const email = present(update.email_address);
  const status = consentOf(update.email_marketing_consent?.state);
  if (!email) return { skip: "missing_email" };
  if (!status) return { skip: "unmapped_consent_state" };
  return {
    data: {
      email,
      member_id: idText(update.customer_id),
      consents: [{ channel: "email", status }],
      source: "shopify:email_marketing_consent",
    },
    at: {
      value: update.email_marketing_consent?.consent_updated_at,
      field: "email_marketing_consent.consent_updated_at",
    },
  };
}

const smsConsent = z.looseObject({
  id: id.nullish(),
  customer_id: id.nullish(),
  email: text,
  sms_marketing_consent: z.looseObject({ state: text, consent_updated_at: text }).nullish(),
});

/**
 * `customers_marketing_consent/update` (SMS) → `consent.changed` on the SMS channel. A consent is kept
 * by email (the contacts' key), and Shopify's SMS payload names the customer and phone only: without an
 * email in it the update is skipped (`missing_email`).
 */
function smsConsentChanged(input: unknown): Read<"consent.changed"> {
  const update = parsePayload(smsConsent, input, "");
  const email = present(update.email);
  const status = consentOf(update.sms_marketing_consent?.state);
  const memberId = update.id ?? update.customer_id;
  if (!email) return { skip: "missing_email" };
  if (!status) return { skip: "unmapped_consent_state" };
  return {
    data: {
      email,
      ...(memberId === null || memberId === undefined ? {} : { member_id: idText(memberId) }),
      consents: [{ channel: "sms", status }],
      source: "shopify:sms_marketing_consent",
    },
    at: {
      value: update.sms_marketing_consent?.consent_updated_at,
      field: "sms_marketing_consent.consent_updated_at",
    },
  };
}

// ── products ──

const product = z.looseObject({
  id,
  title: text,
  created_at: text,
  updated_at: text,
  variants: z.array(z.looseObject({ sku: text, price: amount.nullish() })).nullish(),
});

/**
 * `products/create` and `products/update` → the product with its first variant's SKU and price (in the
 * shop's currency: a product payload names none). A variant without a SKU is `SHOPIFY-<product id>`, as
 * an order line of it is read, so both name the same product.
 */
const productEvent =
  (time: "created_at" | "updated_at") =>
  (input: unknown, currency: string): Read<"product.created" | "product.updated"> => {
    const item = parsePayload(product, input, "");
    const variant = item.variants?.[0];
    const name = clip(item.title, 250);
    const price =
      variant?.price === null || variant?.price === undefined
        ? undefined
        : toMinorUnits(variant.price, currency, "variants.0.price");
    return {
      data: {
        product_id: idText(item.id),
        sku: shopifySku({ sku: variant?.sku, product_id: item.id }),
        ...(name ? { name } : {}),
        ...(price === undefined ? {} : { price, currency }),
      },
      at: { value: item[time], field: time },
    };
  };

// ── checkouts ──

const checkout = z.looseObject({
  id,
  token: text,
  email: text,
  completed_at: text,
  abandoned_checkout_url: text,
  updated_at: text,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullish(),
  presentment_currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullish(),
  total_price: amount.nullish(),
  customer: z.looseObject({ id: id.nullish(), email: text }).nullish(),
  line_items: z
    .array(
      z.looseObject({
        sku: text,
        product_id: id.nullish(),
        variant_id: id.nullish(),
        quantity: z.number().int().positive(),
        price: amount.nullish(),
      }),
    )
    .nullish(),
});

/**
 * `checkouts/update` of a checkout not completed, with its recovery link → `cart.abandoned`, named by the
 * checkout token (the order placed from it carries the same `checkout_token`). A checkout's prices are in
 * the customer's currency; when that is not the shop's the amounts are left out rather than guessed.
 */
function checkoutAbandoned(input: unknown): Read<"cart.abandoned"> {
  const cart = parsePayload(checkout, input, "");
  if (present(cart.completed_at)) return { skip: "completed" };
  if (!present(cart.abandoned_checkout_url)) return { skip: "no_recovery_url" };
  const currency =
    cart.presentment_currency && cart.currency && cart.presentment_currency !== cart.currency
      ? undefined
      : (cart.presentment_currency ?? cart.currency ?? undefined);
  const memberId = cart.customer?.id;
  const email = present(cart.email) ?? present(cart.customer?.email);
  const items = (cart.line_items ?? []).map((line, index) => ({
    sku: shopifySku(line),
    quantity: line.quantity,
    ...(currency && line.price !== null && line.price !== undefined
      ? { unit_price: toMinorUnits(line.price, currency, `line_items.${index}.price`) }
      : {}),
  }));
  const total =
    currency && cart.total_price !== null && cart.total_price !== undefined
      ? toMinorUnits(cart.total_price, currency, "total_price")
      : undefined;
  return {
    data: {
      cart_id: present(cart.token) ?? idText(cart.id),
      ...(memberId === null || memberId === undefined ? {} : { member_id: idText(memberId) }),
      ...(email ? { email } : {}),
      ...(items.length > 0 ? { items } : {}),
      ...(total === undefined || !currency ? {} : { total, currency }),
    },
    at: { value: cart.updated_at, field: "updated_at" },
  };
}

/**
 * The Shopify topics handled here and what each becomes; data, so a topic is one line. The path of a
 * topic is `/webhooks/shopify/<topic with "/" as "-">` (`orders-paid`), as the two ledger routes'.
 */
export const shopifyTopics = {
  "orders/paid": topic("order.paid", orderPaid),
  "orders/cancelled": topic("order.cancelled", orderCancelled),
  "fulfillments/create": topic("order.shipped", fulfilmentCreated),
  "fulfillments/update": topic("order.delivered", fulfilmentDelivered),
  "returns/close": topic("order.returned", returnClosed),
  "customers/create": topic("member.joined", customerCreated),
  "customers/update": topic("member.updated", customerUpdated),
  "customers/delete": topic("member.withdrawn", customerDeleted),
  "customers_email_marketing_consent/update": topic("consent.changed", emailConsentChanged),
  "customers_marketing_consent/update": topic("consent.changed", smsConsentChanged),
  "products/create": topic("product.created", productEvent("created_at")),
  "products/update": topic("product.updated", productEvent("updated_at")),
  "checkouts/update": topic("cart.abandoned", checkoutAbandoned),
} satisfies Record<string, TopicMapping>;
export type ShopifyTopic = keyof typeof shopifyTopics;

/** A topic's path segment: `orders/paid` → `orders-paid`. */
export const shopifyTopicPath = (name: string): string => name.replace("/", "-");

/** The topic a path segment names, if it is one handled here. */
export function shopifyTopicOfPath(segment: string): ShopifyTopic | undefined {
  return (Object.keys(shopifyTopics) as ShopifyTopic[]).find((name) => shopifyTopicPath(name) === segment);
}

const eventIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The normalised events of one verified Shopify webhook of `name`. A payload or header that does not
 * make a valid event is a 422 naming the field; a topic's event that did not happen (an update that is
 * not a delivery, a completed checkout) is skipped with its reason.
 */
export function shopifyTopicToCommerceEvents(
  name: ShopifyTopic,
  input: unknown,
  delivery: ShopifyDelivery,
): ShopifyMapped {
  const eventId = delivery.eventId?.trim();
  if (!eventId || !eventIdPattern.test(eventId))
    throw new ValidationFailed([
      {
        field: "x-shopify-event-id",
        category: eventId ? "malformed" : "missing",
        message: "Required: Shopify's event id (1 to 128 letters, digits and . _ : -).",
      },
    ]);
  const mapping: TopicMapping = shopifyTopics[name];
  const read = mapping.read(input, delivery.currency);
  if ("skip" in read) return { events: [], skipped: { [read.skip]: 1 } };
  const given = present(read.at?.value);
  const occurredAt = given
    ? storeTime(given, read.at?.field ?? "body")
    : delivery.triggeredAt
      ? storeTime(delivery.triggeredAt, "x-shopify-triggered-at")
      : delivery.receivedAt.toISOString();
  const candidate = {
    id: read.id ?? `shopify:${name}:${eventId}`,
    type: mapping.type,
    occurred_at: occurredAt,
    data: read.data,
  };
  const result = commerceEvent.safeParse(candidate);
  if (!result.success)
    // Named as the normalised event's fields (`data.email`): which Shopify field each comes from is the
    // topic's reader's, described with it.
    throw new ValidationFailed(
      fieldErrorsFromZod(result.error, candidate, "json"),
      "The Shopify payload does not make a valid commerce event.",
    );
  return { events: [result.data], skipped: {} };
}

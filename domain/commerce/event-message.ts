import { z } from "zod";
import { instantRangeMessage, outsideInstantRange } from "../core/instant-range.ts";
import { type CommerceEventType, consentChannels, consentStatuses } from "./event-types.ts";

/**
 * The normalised commerce event (README, "Commerce events"): what `POST /webhooks/commerce` accepts, what
 * the Cafe24 webhook is mapped to, and what the events queue carries. `{ id, type, occurred_at, data }`,
 * one data shape per type, strict (an unknown field is refused, so no personal data slips into what is
 * stored). Amounts are integer minor units of `currency`.
 */

const instant = z.iso
  .datetime({ offset: true })
  .refine((value) => !outsideInstantRange(value), { message: instantRangeMessage });
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).optional();
const maxAmount = 10_000_000_000_000;
const amount = z.number().int().min(0).max(maxAmount);
const positiveAmount = z.number().int().min(1).max(maxAmount);
const currency = z.string().regex(/^[A-Z]{3}$/, "An ISO 4217 code in upper case.");
const email = z.string().trim().min(3).max(320);
const ref = text(128);

const address = z.strictObject({
  country: z.string().regex(/^[A-Za-z]{2}$/, "An ISO 3166-1 alpha-2 country code."),
  region: optionalText(100),
  city: optionalText(100),
  postal_code: optionalText(20),
  line1: optionalText(200),
  line2: optionalText(200),
});

/** The normalised order of `POST /api/v1/orders`, without what the store gives (brand, market, platform). */
export const commerceOrder = z.strictObject({
  currency,
  placed_at: instant,
  customer: z.strictObject({
    email,
    first_name: optionalText(100),
    last_name: optionalText(100),
    phone: optionalText(32),
  }),
  billing_address: address.optional(),
  shipping_address: address.optional(),
  items: z
    .array(
      z.strictObject({
        sku: text(64),
        name: text(200),
        offer: text(64).default("default"),
        quantity: z.number().int().min(1).max(10_000),
        unit_price: amount,
        discount: amount.default(0),
        tax: amount.default(0),
      }),
    )
    .min(1)
    .max(200),
  shipping: amount.default(0),
  coupons: z
    .array(z.strictObject({ code: text(64), discount: amount.default(0) }))
    .max(20)
    .default([]),
  campaign: text(128).optional(),
  marketing: z.record(z.string().regex(/^[a-z0-9_]{1,40}$/), z.string().max(512)).default({}),
  capture_id: z.uuid().optional(),
  payment: z
    .strictObject({
      amount: positiveAmount,
      method: text(32),
      external_id: ref.optional(),
      paid_at: instant.optional(),
    })
    .optional(),
});
export type CommerceOrder = z.infer<typeof commerceOrder>;

/**
 * A member's name and phone: personal data, kept only in the identity tables (personal_info) and left
 * out of the stored payload (payload.ts).
 */
const memberPerson = {
  first_name: optionalText(100),
  last_name: optionalText(100),
  phone: optionalText(32),
};

const lineRefs = z
  .array(z.strictObject({ sku: text(64), quantity: z.number().int().min(1).max(10_000) }))
  .max(200);

/** Each type's `data`. */
export const commerceEventData = {
  "order.created": z.strictObject({
    order_id: ref,
    /** Absent when the platform's event carries no items (Cafe24's): stored, applied once one arrives. */
    order: commerceOrder.optional(),
  }),
  "order.paid": z.strictObject({
    order_id: ref,
    amount: positiveAmount,
    currency,
    method: text(32),
    /** The platform's payment id: with brand and platform, the payment's idempotency key. */
    payment_id: ref.optional(),
    paid_at: instant.optional(),
  }),
  "order.shipped": z.strictObject({
    order_id: ref,
    shipment_id: ref.optional(),
    carrier: optionalText(100),
    tracking_number: optionalText(100),
  }),
  "order.delivered": z.strictObject({ order_id: ref, shipment_id: ref.optional() }),
  "order.cancelled": z.strictObject({ order_id: ref, reason: optionalText(500) }),
  "order.returned": z.strictObject({ order_id: ref, reason: optionalText(500), items: lineRefs.optional() }),
  "order.exchanged": z.strictObject({ order_id: ref, reason: optionalText(500), items: lineRefs.optional() }),
  "order.refunded": z.strictObject({
    order_id: ref,
    /** The platform's refund id: the refund's idempotency key (the event's id when absent). */
    refund_id: ref.optional(),
    /** All the refund pays back; the items and shipping, when given, add up to it. */
    amount: positiveAmount,
    currency,
    reason: optionalText(500),
    /**
     * What each product (by SKU) was refunded. Without it, `amount` is spread over the order's invoice lines
     * still creditable: products in line order, then shipping (domain/commerce/refund-allocation.ts).
     */
    items: z
      .array(z.strictObject({ sku: text(64), amount: positiveAmount }))
      .min(1)
      .max(200)
      .refine((list) => new Set(list.map((item) => item.sku)).size === list.length, {
        message: "Each SKU at most once.",
      })
      .optional(),
    /** What of the order's shipping was refunded. */
    shipping: positiveAmount.optional(),
  }),
  "member.joined": z.strictObject({
    member_id: ref,
    email: email.optional(),
    group: optionalText(100),
    ...memberPerson,
  }),
  "member.updated": z.strictObject({
    member_id: ref,
    /** The member's email now: the member's contact becomes this one's. */
    email: email.optional(),
    changed: z.array(text(64)).max(50).optional(),
    ...memberPerson,
  }),
  "member.withdrawn": z.strictObject({ member_id: ref, email: email.optional() }),
  "consent.changed": z.strictObject({
    email,
    member_id: ref.optional(),
    consents: z
      .array(z.strictObject({ channel: z.enum(consentChannels), status: z.enum(consentStatuses) }))
      .min(1)
      .max(consentChannels.length)
      .refine((list) => new Set(list.map((c) => c.channel)).size === list.length, {
        message: "Each channel at most once.",
      }),
    /** Where the customer said so (`signup_form`, `cafe24:member_join`, …); the platform when absent. */
    source: text(64).optional(),
  }),
  "product.created": z.strictObject({
    product_id: ref,
    sku: text(64).optional(),
    name: text(250).optional(),
    price: amount.optional(),
    currency: currency.optional(),
  }),
  "product.updated": z.strictObject({
    product_id: ref,
    sku: text(64).optional(),
    name: text(250).optional(),
    price: amount.optional(),
    currency: currency.optional(),
  }),
  "coupon.issued": z.strictObject({
    coupon_id: ref,
    code: text(64).optional(),
    member_id: ref.optional(),
    email: email.optional(),
  }),
  "coupon.used": z.strictObject({
    coupon_id: ref,
    code: text(64).optional(),
    order_id: ref.optional(),
    member_id: ref.optional(),
    email: email.optional(),
    discount: amount.optional(),
  }),
  "points.changed": z.strictObject({
    member_id: ref,
    delta: z.number().int().min(-maxAmount).max(maxAmount),
    balance: z.number().int().min(-maxAmount).max(maxAmount).optional(),
    reason: optionalText(500),
  }),
  "review.posted": z.strictObject({
    review_id: ref,
    product_id: ref.optional(),
    member_id: ref.optional(),
    rating: z.number().int().min(1).max(5).optional(),
  }),
  "cart.abandoned": z.strictObject({
    cart_id: ref,
    member_id: ref.optional(),
    email: email.optional(),
    items: z
      .array(
        z.strictObject({
          sku: text(64),
          quantity: z.number().int().min(1).max(10_000),
          unit_price: amount.optional(),
        }),
      )
      .max(200)
      .optional(),
    total: amount.optional(),
    currency: currency.optional(),
  }),
} satisfies Record<CommerceEventType, z.ZodType>;

const eventOf = <T extends CommerceEventType>(type: T) =>
  z.strictObject({
    id: text(200),
    type: z.literal(type),
    occurred_at: instant,
    data: commerceEventData[type],
  });

/** One normalised event; `type` picks the shape of `data`. */
export const commerceEvent = z.discriminatedUnion("type", [
  eventOf("order.created"),
  eventOf("order.paid"),
  eventOf("order.shipped"),
  eventOf("order.delivered"),
  eventOf("order.cancelled"),
  eventOf("order.returned"),
  eventOf("order.exchanged"),
  eventOf("order.refunded"),
  eventOf("member.joined"),
  eventOf("member.updated"),
  eventOf("member.withdrawn"),
  eventOf("consent.changed"),
  eventOf("product.created"),
  eventOf("product.updated"),
  eventOf("coupon.issued"),
  eventOf("coupon.used"),
  eventOf("points.changed"),
  eventOf("review.posted"),
  eventOf("cart.abandoned"),
]);
export type CommerceEvent = z.infer<typeof commerceEvent>;
/** An event of one type. */
export type CommerceEventOf<T extends CommerceEventType> = Extract<CommerceEvent, { type: T }>;

/**
 * `POST /webhooks/commerce`: the store's public id and 1 to 1,000 events (a single event is sent as
 * `{ store, ...event }`, which the route reads as a batch of one).
 */
export const commerceWebhookBatch = z.strictObject({
  store: z.string().min(1).max(64),
  events: z.array(commerceEvent).min(1).max(1000),
});

/**
 * One event on the events queue, as the webhooks send it (one message per event, so none nears the
 * Queues size limit): the store it came through, already found, and the normalised event.
 */
export const commerceEventMessage = z.strictObject({
  v: z.literal(1),
  type: z.literal("commerce"),
  storeId: z.number().int().positive(),
  receivedAt: z.iso.datetime({ offset: true }),
  event: commerceEvent,
});
export type CommerceEventMessage = z.infer<typeof commerceEventMessage>;

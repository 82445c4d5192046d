import { z } from "@hono/zod-openapi";
import { hashId, timestamp } from "./common.ts";

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
    paid_at: timestamp.optional(),
  })
  .openapi("OrderPayment");

export const createOrderBody = z
  .strictObject({
    platform: platformSlug,
    external_id: externalId,
    brand: hashId("Brand id."),
    market: marketCode,
    currency: currencyCode,
    placed_at: timestamp,
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
      if (item.discount > item.quantity * item.unit_price)
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

/** The normalised order as a client sends it (defaults not yet applied): the adapters' output type. */
export type NormalisedOrder = z.input<typeof createOrderBody>;
export type ParsedOrder = z.infer<typeof createOrderBody>;

import { sql } from "drizzle-orm";
import {
  char,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { brands, products } from "./catalog.ts";
import { createdAt, currency, id, money, ref, total, updatedAt } from "./common.ts";

/** Where a brand sells: a country with its currency and time zone. Accounts are per brand and market. */
export const markets = pgTable(
  "markets",
  {
    id: id(),
    /** Short lower-case code used in orders (`kr`, `us`, `eu`). */
    code: text("code").notNull(),
    name: text("name").notNull(),
    country: char("country", { length: 2 }).notNull(),
    currency: currency(),
    /** IANA zone, for business days and quiet hours. */
    timeZone: text("time_zone").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("markets_code_key").on(t.code),
    check("markets_code_format", sql`${t.code} ~ '^[a-z0-9-]{2,16}$'`),
    check("markets_currency_format", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/**
 * A shop on an e-commerce platform (a Shopify shop domain, a Cafe24 mall id) and the brand and market its
 * orders belong to: store webhooks name the shop, not the brand.
 */
export const stores = pgTable(
  "stores",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    marketId: ref("market_id")
      .notNull()
      .references(() => markets.id),
    /** `shopify`, `cafe24`, or any other platform slug. */
    platform: text("platform").notNull(),
    /** The platform's id of the shop (`acme.myshopify.com`, a Cafe24 `mall_id`). */
    externalRef: text("external_ref").notNull(),
    name: text("name").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("stores_platform_ref_key").on(t.platform, t.externalRef)],
);

/**
 * Where an order's goods are (SPEC §9): shipped, delivered, returned or exchanged, as the store's fulfilment
 * events last said; an order none has named yet has no status.
 */
export const fulfilmentStatuses = ["shipped", "delivered", "returned", "exchanged"] as const;
export type FulfilmentStatus = (typeof fulfilmentStatuses)[number];
export const fulfilmentStatus = pgEnum("order_fulfilment_status", fulfilmentStatuses);

export const billingInterval = pgEnum("billing_interval", ["day", "week", "month", "year"]);

/**
 * What a product is sold as in a market: a variant, a pack size, a subscription plan. `code` is the
 * platform's variant id or the API caller's offer code (`default` when the order names none).
 */
export const productOffers = pgTable(
  "product_offers",
  {
    id: id(),
    productId: ref("product_id")
      .notNull()
      .references(() => products.id),
    marketId: ref("market_id")
      .notNull()
      .references(() => markets.id),
    code: text("code").notNull(),
    name: text("name").notNull(),
    currency: currency(),
    /** List price when the offer was first seen; each order item keeps its own price. */
    unitPrice: money("unit_price"),
    /** Set for a subscription plan: bills every `interval_count` `interval`s. */
    interval: billingInterval("interval"),
    intervalCount: integer("interval_count"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("product_offers_product_market_code_key").on(t.productId, t.marketId, t.code)],
);

export const coupons = pgTable(
  "coupons",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** As the customer typed it, upper-cased. */
    code: text("code").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("coupons_brand_code_key").on(t.brandId, t.code)],
);

export const campaigns = pgTable(
  "campaigns",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** The campaign's code (`utm_campaign` or the caller's own). */
    code: text("code").notNull(),
    name: text("name").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("campaigns_brand_code_key").on(t.brandId, t.code)],
);

/**
 * A customer's account with one brand in one market (brand + market + email). Its six running totals,
 * all in minor units of `currency`, are kept in the same transaction as the ledger rows they sum, and the
 * check constraints below hold them to their definitions:
 * - `invoiced`: every invoice's amount (gross, before credit notes).
 * - `credited`: every credit note's amount (invoiced amounts taken back, e.g. by a refund).
 * - `paid`: every payment received.
 * - `refunded`: every refund paid back to the customer.
 * - `balance` = paid − refunded: the money the brand holds from this customer; a refund may never exceed it.
 * - `outstanding` = (invoiced − credited) − (paid − refunded): what the customer still owes; negative
 *   when they have paid ahead (in credit).
 */
export const brandClientAccounts = pgTable(
  "brand_client_accounts",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    brandId: ref("brand_id").notNull(),
    marketId: ref("market_id")
      .notNull()
      .references(() => markets.id),
    emailId: ref("email_id").notNull(),
    /** The person across brands (one contact per email). */
    contactId: ref("contact_id").notNull(),
    /** Name and phone from the latest order. */
    personalInfoId: ref("personal_info_id"),
    currency: currency(),
    invoiced: total("invoiced"),
    credited: total("credited"),
    paid: total("paid"),
    refunded: total("refunded"),
    balance: total("balance"),
    outstanding: total("outstanding"),
    orderCount: integer("order_count").notNull().default(0),
    /**
     * The account's invoice and credit note series: the number of the last one issued. Each is advanced
     * in the transaction that issues the document, under the account lock the ledger takes anyway, so
     * the series has no gaps and numbering adds no contention.
     */
    invoiceCount: integer("invoice_count").notNull().default(0),
    creditNoteCount: integer("credit_note_count").notNull().default(0),
    firstOrderAt: timestamp("first_order_at", { withTimezone: true }),
    lastOrderAt: timestamp("last_order_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("brand_client_accounts_brand_market_email_key").on(t.brandId, t.marketId, t.emailId),
    index("brand_client_accounts_contact_idx").on(t.contactId),
    // Cohort conditions on order dates ("last ordered within 30 days") read a brand's accounts by them.
    index("brand_client_accounts_brand_first_order_idx").on(t.brandId, t.firstOrderAt),
    index("brand_client_accounts_brand_last_order_idx").on(t.brandId, t.lastOrderAt),
    check(
      "brand_client_accounts_non_negative",
      sql`${t.invoiced} >= 0 AND ${t.credited} >= 0 AND ${t.paid} >= 0 AND ${t.refunded} >= 0`,
    ),
    check("brand_client_accounts_credited_le_invoiced", sql`${t.credited} <= ${t.invoiced}`),
    check(
      "brand_client_accounts_balance",
      sql`${t.balance} = ${t.paid} - ${t.refunded} AND ${t.balance} >= 0`,
    ),
    check(
      "brand_client_accounts_outstanding",
      sql`${t.outstanding} = ${t.invoiced} - ${t.credited} - ${t.paid} + ${t.refunded}`,
    ),
  ],
);

/**
 * An order as the store placed it. (brand, platform, external id) is the idempotency key: a re-sent order
 * finds this row and changes nothing. Amounts are the order's own; `credited_total` grows with refunds.
 */
export const orders = pgTable(
  "orders",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    brandId: ref("brand_id").notNull(),
    marketId: ref("market_id")
      .notNull()
      .references(() => markets.id),
    accountId: ref("account_id").notNull(),
    storeId: ref("store_id").references(() => stores.id),
    platform: text("platform").notNull(),
    externalId: text("external_id").notNull(),
    currency: currency(),
    /** Σ item quantity × unit price. */
    subtotal: money("subtotal"),
    /** Σ item discounts. */
    discountTotal: money("discount_total"),
    /** Σ item tax. */
    taxTotal: money("tax_total"),
    shippingTotal: money("shipping_total"),
    /** subtotal − discount_total + tax_total + shipping_total: the amount invoiced. */
    total: money("total"),
    creditedTotal: total("credited_total"),
    personalInfoId: ref("personal_info_id"),
    billingAddressId: ref("billing_address_id"),
    shippingAddressId: ref("shipping_address_id"),
    campaignId: ref("campaign_id"),
    /** First-touch acquisition parameters the store reported (utm_*, click ids, referrer, landing capture). */
    marketing: jsonb("marketing").notNull().default(sql`'{}'::jsonb`),
    /** The landing capture this order came from, when known. */
    captureId: uuid("capture_id"),
    placedAt: timestamp("placed_at", { withTimezone: true }).notNull(),
    /** The status of the latest fulfilment event by the time it happened (history: order_fulfilment_history). */
    fulfilmentStatus: fulfilmentStatus("fulfilment_status"),
    /** When that event happened: an older event delivered late leaves the status alone. */
    fulfilmentAt: timestamp("fulfilment_at", { withTimezone: true }),
    /**
     * When the order was cancelled (domain/ledger/cancellations.ts): its invoice is then credited in full
     * and what it had been paid is refunded. Null while it stands; set once.
     */
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    /** Why, as the store or the API client said; only on a cancelled order. */
    cancelReason: text("cancel_reason"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("orders_brand_platform_external_key").on(t.brandId, t.platform, t.externalId),
    index("orders_account_idx").on(t.accountId, t.placedAt),
    index("orders_brand_placed_idx").on(t.brandId, t.placedAt),
    check(
      "orders_total",
      sql`${t.total} = ${t.subtotal} - ${t.discountTotal} + ${t.taxTotal} + ${t.shippingTotal} AND ${t.total} >= 0`,
    ),
    check("orders_credited_le_total", sql`${t.creditedTotal} >= 0 AND ${t.creditedTotal} <= ${t.total}`),
    check("orders_cancel_reason", sql`${t.cancelReason} IS NULL OR ${t.cancelledAt} IS NOT NULL`),
  ],
);

export const orderItems = pgTable(
  "order_items",
  {
    id: id(),
    // No foreign key: order items are written only with their order, by the statement that inserts the
    // order and with the id it reserved (domain/ledger/orders.ts); orders are never deleted.
    orderId: ref("order_id").notNull(),
    /** Position in the order, from 1. */
    lineNo: integer("line_no").notNull(),
    productId: ref("product_id").notNull(),
    offerId: ref("offer_id").notNull(),
    subscriptionId: ref("subscription_id"),
    name: text("name").notNull(),
    quantity: integer("quantity").notNull(),
    unitPrice: money("unit_price"),
    discount: money("discount"),
    tax: money("tax"),
    /** quantity × unit price − discount + tax. */
    total: money("total"),
    creditedTotal: total("credited_total"),
  },
  (t) => [
    uniqueIndex("order_items_order_line_key").on(t.orderId, t.lineNo),
    index("order_items_product_idx").on(t.productId),
    check("order_items_quantity", sql`${t.quantity} > 0`),
    check(
      "order_items_total",
      sql`${t.total} = ${t.quantity} * ${t.unitPrice} - ${t.discount} + ${t.tax} AND ${t.total} >= 0`,
    ),
    check("order_items_credited_le_total", sql`${t.creditedTotal} >= 0 AND ${t.creditedTotal} <= ${t.total}`),
  ],
);

/** Coupons an order used and the discount the store attributed to each. */
export const orderCoupons = pgTable(
  "order_coupons",
  {
    // No foreign key: written only with its order, by the statement that inserts the order.
    orderId: ref("order_id").notNull(),
    couponId: ref("coupon_id").notNull(),
    discount: money("discount"),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.couponId] }), index("order_coupons_coupon_idx").on(t.couponId)],
);

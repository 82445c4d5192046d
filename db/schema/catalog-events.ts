import { sql } from "drizzle-orm";
import {
  bigint,
  char,
  check,
  index,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { brands, products } from "./catalog.ts";
import { commerceEvents, commerceEventType } from "./commerce.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { contacts } from "./identity.ts";
import { orders, stores } from "./sales.ts";

const at = (name: string) => timestamp(name, { withTimezone: true });
/** A price in minor units of the row's `currency`; unknown until the platform sends one. */
const price = () => bigint("price", { mode: "number" });
const priceCurrency = () => char("currency", { length: 3 });

/**
 * A platform's product in one store (Cafe24 `product_no`, a Shopify product id) and the brand's catalog
 * product it is: what `product.created` / `product.updated` move, by the SKU they name or, without one,
 * through this row. The price is the store's (a store sells in its market's currency, a product across
 * markets), so it lives here and not on `products`. `changed_at` is when the latest event applied here
 * happened: an older event delivered late is history only.
 */
export const storeProducts = pgTable(
  "store_products",
  {
    id: id(),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    platformProductId: text("platform_product_id").notNull(),
    productId: ref("product_id")
      .notNull()
      .references(() => products.id),
    price: price(),
    currency: priceCurrency(),
    changedAt: at("changed_at").notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("store_products_store_product_key").on(t.storeId, t.platformProductId),
    index("store_products_product_idx").on(t.productId),
    check("store_products_price", sql`(${t.price} IS NULL) = (${t.currency} IS NULL) AND ${t.price} >= 0`),
  ],
);

/** Every product event applied, once per event, with what it said (its own SKU, name, price). */
export const storeProductHistory = pgTable(
  "store_product_history",
  {
    id: id(),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    platformProductId: text("platform_product_id").notNull(),
    /** The catalog product the platform's product was when the event was applied. */
    productId: ref("product_id")
      .notNull()
      .references(() => products.id),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    type: commerceEventType("type").notNull(),
    sku: text("sku"),
    name: text("name"),
    price: price(),
    currency: priceCurrency(),
    occurredAt: at("occurred_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("store_product_history_event_key").on(t.eventId),
    index("store_product_history_product_idx").on(t.storeId, t.platformProductId, t.occurredAt),
  ],
);

/**
 * A review a customer posted in a store, once per (store, the platform's review id). `product_id` is the
 * catalog product through `store_products` when the platform's product is mapped (set later when the
 * product's event comes after the review); `posted_at` is when the latest `review.posted` of it happened.
 */
export const reviews = pgTable(
  "reviews",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    platformReviewId: text("platform_review_id").notNull(),
    platformProductId: text("platform_product_id"),
    productId: ref("product_id").references(() => products.id),
    /** The platform's member id (not an email: no personal data). */
    memberExternalId: text("member_external_id"),
    rating: smallint("rating"),
    postedAt: at("posted_at").notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("reviews_store_review_key").on(t.storeId, t.platformReviewId),
    index("reviews_store_product_idx").on(t.storeId, t.platformProductId),
    index("reviews_product_idx").on(t.productId),
    index("reviews_brand_posted_idx").on(t.brandId, t.postedAt),
    check("reviews_rating", sql`${t.rating} BETWEEN 1 AND 5`),
  ],
);

/**
 * A cart a customer left in a store, once per (store, the platform's cart id), as its latest
 * `cart.abandoned` said (an older one delivered late changes nothing). `contact_id` is the contact of the
 * cart's email (found or created by hash: the address itself lives only in `emails`). The cart is
 * recovered by its contact's first order in the brand placed after `abandoned_at`
 * (domain/commerce/carts.ts). `event_id` is null for carts written by the seed.
 */
export const abandonedCarts = pgTable(
  "abandoned_carts",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    platformCartId: text("platform_cart_id").notNull(),
    contactId: ref("contact_id").references(() => contacts.id),
    memberExternalId: text("member_external_id"),
    /** The cart's currency: the event's, else the store's market's. */
    currency: char("currency", { length: 3 }).notNull(),
    /** Minor units: the event's total, else Σ quantity × unit price when every item has a price. */
    total: bigint("total", { mode: "number" }),
    /** `[{ sku, quantity, unit_price? }]` as the platform sent them. */
    items: jsonb("items").notNull().default(sql`'[]'::jsonb`),
    abandonedAt: at("abandoned_at").notNull(),
    recoveredOrderId: ref("recovered_order_id").references(() => orders.id),
    /** When the recovering order was placed. */
    recoveredAt: at("recovered_at"),
    eventId: ref("event_id").references(() => commerceEvents.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("abandoned_carts_store_cart_key").on(t.storeId, t.platformCartId),
    index("abandoned_carts_brand_abandoned_idx").on(t.brandId, t.abandonedAt),
    index("abandoned_carts_unrecovered_idx")
      .on(t.brandId, t.contactId)
      .where(sql`${t.recoveredOrderId} IS NULL AND ${t.contactId} IS NOT NULL`),
    check("abandoned_carts_total", sql`${t.total} >= 0`),
    check("abandoned_carts_recovered", sql`(${t.recoveredOrderId} IS NULL) = (${t.recoveredAt} IS NULL)`),
  ],
);

import { sql } from "drizzle-orm";
import { check, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, ref, updatedAt } from "./common.ts";

/** The seven states; which moves are legal is domain/subscriptions/states.ts. */
export const subscriptionState = pgEnum("subscription_state", [
  "draft",
  "activation",
  "pending",
  "active",
  "suspended",
  "cancelled",
  "expired",
]);

export const subscriptions = pgTable(
  "subscriptions",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    brandId: ref("brand_id").notNull(),
    accountId: ref("account_id").notNull(),
    productId: ref("product_id").notNull(),
    offerId: ref("offer_id").notNull(),
    /** The platform's subscription (contract) id, when it has one: orders renew a subscription by it. */
    platform: text("platform").notNull(),
    externalId: text("external_id"),
    state: subscriptionState("state").notNull(),
    /** Billed periods so far: 1 after the first order, +1 per renewal. */
    occurrences: integer("occurrences").notNull().default(0),
    currentPeriodStart: timestamp("current_period_start", { withTimezone: true }),
    currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("subscriptions_brand_platform_external_key")
      .on(t.brandId, t.platform, t.externalId)
      .where(sql`${t.externalId} IS NOT NULL`),
    index("subscriptions_account_idx").on(t.accountId),
    index("subscriptions_state_idx").on(t.state, t.currentPeriodEnd),
    check("subscriptions_occurrences", sql`${t.occurrences} >= 0`),
  ],
);

/** One row per change of state or occurrence, with what caused it. */
export const subscriptionHistory = pgTable(
  "subscription_history",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    subscriptionId: ref("subscription_id").notNull(),
    /** Null for the row that created the subscription. */
    fromState: subscriptionState("from_state"),
    toState: subscriptionState("to_state").notNull(),
    occurrences: integer("occurrences").notNull(),
    /** `order` (created or renewed by an order), `api` (a transition call), `batch` (expiry). */
    source: text("source").notNull(),
    reason: text("reason"),
    orderItemId: ref("order_item_id"),
    changedAt: timestamp("changed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("subscription_history_subscription_idx").on(t.subscriptionId, t.changedAt)],
);

/** Each billed period of a subscription and the order item that billed it. */
export const subscriptionOccurrences = pgTable(
  "subscription_occurrences",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    subscriptionId: ref("subscription_id").notNull(),
    /** 1 for the first period. */
    number: integer("number").notNull(),
    orderItemId: ref("order_item_id").notNull(),
    periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
    periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("subscription_occurrences_number_key").on(t.subscriptionId, t.number),
    uniqueIndex("subscription_occurrences_order_item_key").on(t.orderItemId),
    check("subscription_occurrences_number", sql`${t.number} >= 1`),
  ],
);

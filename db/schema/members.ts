import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { commerceEvents } from "./commerce.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { contacts, personalInfo } from "./identity.ts";
import { orders, stores } from "./sales.ts";

/** `withdrawn` is a soft delete: the row, its history and its brand relationship's history stay. */
export const memberStates = ["active", "withdrawn"] as const;
export type MemberState = (typeof memberStates)[number];
export const memberState = pgEnum("member_state", memberStates);

/** What a member event was: `member.joined`, `member.updated` or `member.withdrawn`. */
export const memberEventKinds = ["joined", "updated", "withdrawn"] as const;
export type MemberEventKind = (typeof memberEventKinds)[number];
export const memberEventKind = pgEnum("member_event_kind", memberEventKinds);

/**
 * A store's member (the platform's member id) and the contact it is, as its member events say. Every
 * column but the keys is derived from the member's history (member_history) in event-time order, so a
 * late delivery gives the row an in-order delivery gives: `joined_at` is the latest join, `withdrawn_at`
 * the latest withdrawal when it is at least as recent as that join (else null: a stale withdrawal is
 * history only), `state` follows it, the contact is that of the latest event naming an email, and the
 * name and phone (one personal_info row) those of the latest event carrying any of them (platforms send
 * the member's whole record, so they come together). A row can start from any member event, with no contact until one names an email.
 */
export const members = pgTable(
  "members",
  {
    id: id(),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** The platform's member id (a Cafe24 `member_id`, a Shopify customer id). */
    externalId: text("external_id").notNull(),
    contactId: ref("contact_id").references(() => contacts.id),
    personalInfoId: ref("personal_info_id").references(() => personalInfo.id),
    /** The platform's member group (grade) at the latest join. */
    memberGroup: text("member_group"),
    state: memberState("state").notNull().default("active"),
    joinedAt: timestamp("joined_at", { withTimezone: true }),
    /** When the latest member event happened (event time, not when the row was written). */
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    withdrawnAt: timestamp("withdrawn_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("members_store_external_key").on(t.storeId, t.externalId),
    index("members_contact_idx").on(t.contactId),
    index("members_brand_state_idx").on(t.brandId, t.state),
  ],
);

/** Every member event once: what it was, when, which fields it named, and the contact its email was. */
export const memberHistory = pgTable(
  "member_history",
  {
    id: id(),
    memberId: ref("member_id")
      .notNull()
      .references(() => members.id),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    kind: memberEventKind("kind").notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    /** The fields the event changed (the platform's list), or else those it carried. */
    changed: text("changed").array().notNull().default(sql`'{}'::text[]`),
    contactId: ref("contact_id").references(() => contacts.id),
    personalInfoId: ref("personal_info_id").references(() => personalInfo.id),
    memberGroup: text("member_group"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("member_history_event_key").on(t.eventId),
    index("member_history_member_idx").on(t.memberId, t.occurredAt),
  ],
);

/**
 * A coupon the store issued, once per event. `code` is upper-cased as orders store coupon codes, so it
 * joins `coupons.code` and the acquisition engine's (case-insensitive) influencer codes.
 */
export const couponIssues = pgTable(
  "coupon_issues",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    /** The platform's coupon id. */
    couponExternalId: text("coupon_external_id").notNull(),
    code: text("code"),
    memberExternalId: text("member_external_id"),
    /** By the event's email, else the member's contact when the coupon was applied. */
    contactId: ref("contact_id").references(() => contacts.id),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("coupon_issues_event_key").on(t.eventId),
    index("coupon_issues_brand_code_idx").on(t.brandId, t.code),
    index("coupon_issues_store_member_idx").on(t.storeId, t.memberExternalId),
  ],
);

/**
 * A coupon used, once per event, with the order it was used on (`order_id` when that order was stored
 * by the time the use was applied; `order_external_id` always, for a later join) and the discount in
 * minor units of `currency` (the order's, else the store's market's).
 */
export const couponUses = pgTable(
  "coupon_uses",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    couponExternalId: text("coupon_external_id").notNull(),
    code: text("code"),
    memberExternalId: text("member_external_id"),
    contactId: ref("contact_id").references(() => contacts.id),
    orderExternalId: text("order_external_id"),
    orderId: ref("order_id").references(() => orders.id),
    discount: bigint("discount", { mode: "number" }),
    currency: char("currency", { length: 3 }),
    usedAt: timestamp("used_at", { withTimezone: true }).notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("coupon_uses_event_key").on(t.eventId),
    index("coupon_uses_brand_code_idx").on(t.brandId, t.code),
    index("coupon_uses_store_member_idx").on(t.storeId, t.memberExternalId),
    index("coupon_uses_order_idx").on(t.orderId),
  ],
);

/**
 * Every points change of a store's member, once per event. `balance_after` is the running sum of the
 * deltas in event-time order (ties by the platform's event id), recomputed when an older change arrives
 * late; `platform_balance` is the balance the platform said the member had after it, and
 * `balance_mismatch` whether the two differ.
 */
export const pointsLedger = pgTable(
  "points_ledger",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    memberExternalId: text("member_external_id").notNull(),
    delta: bigint("delta", { mode: "number" }).notNull(),
    balanceAfter: bigint("balance_after", { mode: "number" }).notNull(),
    platformBalance: bigint("platform_balance", { mode: "number" }),
    balanceMismatch: boolean("balance_mismatch").notNull().default(false),
    reason: text("reason"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("points_ledger_event_key").on(t.eventId),
    index("points_ledger_member_idx").on(t.storeId, t.memberExternalId, t.occurredAt),
  ],
);

/**
 * A store member's points now. The platform is authoritative (its checkout spends what it holds, and it
 * knows changes never sent to us): `balance` is the latest balance the platform reported plus the deltas
 * that happened after it, or `computed_balance` (the sum of every delta) when it never reported one;
 * `mismatch` says the two differ.
 */
export const memberPoints = pgTable(
  "member_points",
  {
    id: id(),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    memberExternalId: text("member_external_id").notNull(),
    balance: bigint("balance", { mode: "number" }).notNull().default(0),
    computedBalance: bigint("computed_balance", { mode: "number" }).notNull().default(0),
    platformBalance: bigint("platform_balance", { mode: "number" }),
    platformBalanceAt: timestamp("platform_balance_at", { withTimezone: true }),
    mismatch: boolean("mismatch").notNull().default(false),
    entries: integer("entries").notNull().default(0),
    lastChangeAt: timestamp("last_change_at", { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("member_points_store_member_key").on(t.storeId, t.memberExternalId)],
);

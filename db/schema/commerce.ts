import { sql } from "drizzle-orm";
import { index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { contacts } from "./identity.ts";
import { fulfilmentStatus, orders, stores } from "./sales.ts";

/** The 19 commerce event types (SPEC §9), in the platform-neutral vocabulary every source maps to. */
export const commerceEventTypes = [
  "order.created",
  "order.paid",
  "order.shipped",
  "order.delivered",
  "order.cancelled",
  "order.returned",
  "order.exchanged",
  "order.refunded",
  "member.joined",
  "member.updated",
  "member.withdrawn",
  "consent.changed",
  "product.created",
  "product.updated",
  "coupon.issued",
  "coupon.used",
  "points.changed",
  "review.posted",
  "cart.abandoned",
] as const;
export type CommerceEventType = (typeof commerceEventTypes)[number];

/** Where a customer may or may not be contacted (SPEC §13); `night_ads` is advertising sent at night. */
export const consentChannels = ["sms", "kakao", "email", "night_ads"] as const;
export type ConsentChannel = (typeof consentChannels)[number];

export const consentStatuses = ["granted", "withdrawn"] as const;
export type ConsentStatus = (typeof consentStatuses)[number];

/** What became of a stored event: applied, waiting for its order, no applier yet, or refused by one. */
export const commerceEventStatuses = ["applied", "pending", "unapplied", "failed"] as const;
export type CommerceEventStatus = (typeof commerceEventStatuses)[number];

export const commerceEventType = pgEnum("commerce_event_type", commerceEventTypes);
export const commerceEventStatus = pgEnum("commerce_event_status", commerceEventStatuses);

/**
 * Every commerce event a store platform sent, once per (store, the platform's event id), whatever became
 * of it: `payload` is the normalised event's data with emails replaced by their hash (and an order's
 * customer reduced to it), so a later applier can act on what is kept without plaintext PII.
 */
export const commerceEvents = pgTable(
  "commerce_events",
  {
    id: id(),
    storeId: ref("store_id")
      .notNull()
      .references(() => stores.id),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    platform: text("platform").notNull(),
    platformEventId: text("platform_event_id").notNull(),
    type: commerceEventType("type").notNull(),
    /** The platform's order id, for the order types: what a `pending` event waits for. */
    orderExternalId: text("order_external_id"),
    /** The stored order it was applied to. */
    orderId: ref("order_id").references(() => orders.id),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    payload: jsonb("payload").notNull(),
    status: commerceEventStatus("status").notNull(),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    error: text("error"),
  },
  (t) => [
    uniqueIndex("commerce_events_store_event_key").on(t.storeId, t.platformEventId),
    index("commerce_events_pending_idx").on(t.storeId, t.orderExternalId).where(sql`${t.status} = 'pending'`),
    index("commerce_events_status_type_idx").on(t.status, t.type),
  ],
);

export const consentChannel = pgEnum("consent_channel", consentChannels);
export const consentStatus = pgEnum("consent_status", consentStatuses);

/**
 * A contact's current consent per brand and channel: the latest change by the time it happened (an older
 * change delivered late is kept in the history and leaves this row alone).
 */
export const consents = pgTable(
  "consents",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    contactId: ref("contact_id")
      .notNull()
      .references(() => contacts.id),
    channel: consentChannel("channel").notNull(),
    status: consentStatus("status").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    source: text("source").notNull(),
    eventId: ref("event_id").references(() => commerceEvents.id),
    /**
     * When the contact last re-confirmed this consent in answer to the two-yearly notice (Article 50(8)); the
     * gate counts the two years from the later of this and `at`.
     */
    reconfirmedAt: timestamp("reconfirmed_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("consents_brand_contact_channel_key").on(t.brandId, t.contactId, t.channel)],
);

/** Every consent change, once per event and channel: the audit trail SPEC §13 sends against. */
export const consentHistory = pgTable(
  "consent_history",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    contactId: ref("contact_id")
      .notNull()
      .references(() => contacts.id),
    channel: consentChannel("channel").notNull(),
    status: consentStatus("status").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    source: text("source").notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("consent_history_event_channel_key").on(t.eventId, t.channel),
    index("consent_history_contact_idx").on(t.brandId, t.contactId, t.channel, t.at),
  ],
);

/**
 * Every fulfilment event an order had (shipped, delivered, returned, exchanged), once per event, with what
 * the event said of the shipment or the reason; `orders.fulfilment_status` is the latest of them.
 */
export const orderFulfilmentHistory = pgTable(
  "order_fulfilment_history",
  {
    id: id(),
    orderId: ref("order_id")
      .notNull()
      .references(() => orders.id),
    status: fulfilmentStatus("status").notNull(),
    eventId: ref("event_id")
      .notNull()
      .references(() => commerceEvents.id),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    shipmentId: text("shipment_id"),
    carrier: text("carrier"),
    trackingNumber: text("tracking_number"),
    reason: text("reason"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("order_fulfilment_history_event_key").on(t.eventId),
    index("order_fulfilment_history_order_idx").on(t.orderId, t.occurredAt),
  ],
);

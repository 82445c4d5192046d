import { sql } from "drizzle-orm";
import { char, index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { createdAt, id, ref } from "./common.ts";
import { contacts, emails } from "./identity.ts";

/** What an email platform reports about a message (SPEC §5), in the platform-neutral vocabulary. */
export const emailEventType = pgEnum("email_event_type", [
  "processed",
  "deferred",
  "delivered",
  "dropped",
  "bounce",
  "open",
  "click",
  "spam_report",
  "unsubscribe",
  "group_unsubscribe",
  "group_resubscribe",
]);

/**
 * One event from the email platform, stored once: (platform, event id) is the idempotency key. Linked
 * to the email and contact by the SHA-256 of the normalised address; the plaintext address is not kept here.
 */
export const emailEvents = pgTable(
  "email_events",
  {
    id: id(),
    /** `sendgrid` or `normalised`. */
    platform: text("platform").notNull(),
    eventId: text("event_id").notNull(),
    type: emailEventType("type").notNull(),
    emailSha256: char("email_sha256", { length: 64 }).notNull(),
    emailId: ref("email_id").references(() => emails.id),
    contactId: ref("contact_id").references(() => contacts.id),
    /** The brand the message was sent for, when the platform says (a category or custom argument). */
    brandId: ref("brand_id").references(() => brands.id),
    messageId: text("message_id"),
    /** `bounce`: `hard` or `soft` (SendGrid's `type` bounce/blocked); `click`: the URL. */
    bounceType: text("bounce_type"),
    url: text("url"),
    reason: text("reason"),
    /** The unsubscribe group (SendGrid ASM group id) for group (un)subscribes. */
    groupId: text("group_id"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    /** The event as received, without the address. */
    raw: jsonb("raw").notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("email_events_platform_event_key").on(t.platform, t.eventId),
    index("email_events_email_idx").on(t.emailSha256, t.occurredAt),
    index("email_events_contact_idx").on(t.contactId, t.occurredAt),
  ],
);

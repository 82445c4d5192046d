import { sql } from "drizzle-orm";
import {
  char,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ref, updatedAt } from "./common.ts";

/** Every email address once, globally, normalised; hashes are what leaves the database. */
export const emails = pgTable(
  "emails",
  {
    id: id(),
    /** Normalised address (lower-case, trimmed, provider rules applied). */
    address: text("address").notNull(),
    domain: text("domain").notNull(),
    sha256: char("sha256", { length: 64 }).notNull(),
    md5: char("md5", { length: 32 }).notNull(),
    hardBouncedAt: timestamp("hard_bounced_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    // The address is unique through its hash: `sha256` is of exactly the stored address, so a second
    // unique index on the address itself would add nothing but a second arbiter concurrent inserts race on.
    uniqueIndex("emails_sha256_key").on(t.sha256),
    index("emails_md5_idx").on(t.md5),
  ],
);

/** One person across brands, identified by their global email. */
export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    emailId: ref("email_id").notNull(),
    firstCaptureId: uuid("first_capture_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("contacts_email_key").on(t.emailId)],
);

/** `restored` is active again after an unsubscribe; `unsubscribed` is soft-deleted (deleted_at set). */
export const relationshipState = pgEnum("relationship_state", ["active", "unsubscribed", "restored"]);

/** A contact's relationship with one brand. */
export const contactBrands = pgTable(
  "contact_brands",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    contactId: ref("contact_id").notNull(),
    brandId: ref("brand_id").notNull(),
    state: relationshipState("state").notNull().default("active"),
    firstCaptureId: uuid("first_capture_id"),
    lastCaptureId: uuid("last_capture_id"),
    captureCount: integer("capture_count").notNull().default(1),
    duplicateCount: integer("duplicate_count").notNull().default(0),
    unsubscribedAt: timestamp("unsubscribed_at", { withTimezone: true }),
    unsubscribeSource: text("unsubscribe_source"),
    restoredAt: timestamp("restored_at", { withTimezone: true }),
    restoreCount: integer("restore_count").notNull().default(0),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("contact_brands_contact_brand_key").on(t.contactId, t.brandId),
    index("contact_brands_brand_idx").on(t.brandId),
  ],
);

export const contactEventType = pgEnum("contact_event_type", [
  "created",
  "captured",
  "duplicate",
  "unsubscribed",
  "restored",
]);

/** Full history of a contact: every capture and every state change, per brand. */
export const contactEvents = pgTable(
  "contact_events",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    contactId: ref("contact_id").notNull(),
    brandId: ref("brand_id"),
    type: contactEventType("type").notNull(),
    captureId: uuid("capture_id"),
    source: text("source").notNull(),
    detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("contact_events_contact_idx").on(t.contactId, t.occurredAt)],
);

/**
 * Every physical address once, globally. The parts are stored normalised (trimmed, inner spaces collapsed,
 * country upper-case, empty string for an absent part) so the unique composite matches the same address
 * sent twice; `sha256`/`md5` are of the canonical form (domain/contacts/identity.ts) and are what analytics joins on.
 */
export const addresses = pgTable(
  "addresses",
  {
    id: id(),
    country: char("country", { length: 2 }).notNull(),
    region: text("region").notNull().default(""),
    city: text("city").notNull().default(""),
    postalCode: text("postal_code").notNull().default(""),
    line1: text("line1").notNull().default(""),
    line2: text("line2").notNull().default(""),
    sha256: char("sha256", { length: 64 }).notNull(),
    md5: char("md5", { length: 32 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // Unique through the hash of exactly the stored parts (domain/contacts/identity.ts), not a composite.
    uniqueIndex("addresses_sha256_key").on(t.sha256),
    index("addresses_md5_idx").on(t.md5),
  ],
);

/**
 * A person's name and phone once, globally, normalised like addresses (phone as digits with a leading `+`
 * when international). Shared by every brand's account of the same person.
 */
export const personalInfo = pgTable(
  "personal_info",
  {
    id: id(),
    firstName: text("first_name").notNull().default(""),
    lastName: text("last_name").notNull().default(""),
    phone: text("phone").notNull().default(""),
    sha256: char("sha256", { length: 64 }).notNull(),
    md5: char("md5", { length: 32 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // Unique through the hash of exactly the stored parts (domain/contacts/identity.ts), not a composite.
    uniqueIndex("personal_info_sha256_key").on(t.sha256),
    index("personal_info_md5_idx").on(t.md5),
  ],
);

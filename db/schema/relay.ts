import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { captures } from "./capture.ts";
import { brands, partners } from "./catalog.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";

/** A lead buyer: accepted leads of a brand are forwarded here with a field mapping. */
export const relayTargets = pgTable("relay_targets", {
  id: id(),
  name: text("name").notNull(),
  brandId: ref("brand_id")
    .notNull()
    .references(() => brands.id),
  url: text("url").notNull(),
  method: text("method").notNull().default("post"),
  /** Outgoing field name → capture field (`email`, `first_name`, `utm_source`, …). */
  fieldMapping: jsonb("field_mapping").notNull().default(sql`'{}'::jsonb`),
  active: boolean("active").notNull().default(true),
  createdAt: createdAt(),
});

export const relayKind = pgEnum("relay_kind", ["postback", "lead_relay"]);
export const relayEvent = pgEnum("relay_event", ["lead_accepted", "lead_restored", "sale", "refund"]);
export const relayStatus = pgEnum("relay_status", ["pending", "sending", "succeeded", "failed", "paused"]);

/** One outbound delivery (postback or lead relay) waiting for, or done by, the relay consumer. */
export const relayJobs = pgTable(
  "relay_jobs",
  {
    id: id(),
    kind: relayKind("kind").notNull(),
    event: relayEvent("event").notNull(),
    captureId: uuid("capture_id").references(() => captures.id),
    partnerId: ref("partner_id").references(() => partners.id),
    relayTargetId: ref("relay_target_id").references(() => relayTargets.id),
    status: relayStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** What to send, resolved when the job was created (macros already known). */
    payload: jsonb("payload").notNull(),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("relay_jobs_capture_dedup_key")
      .on(t.captureId, t.kind, t.event, t.partnerId, t.relayTargetId)
      .nullsNotDistinct(),
    index("relay_jobs_status_idx").on(t.status, t.nextAttemptAt),
  ],
);

import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
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
  /** `json` or `form` for a `post` relay. */
  contentType: text("content_type").notNull().default("json"),
  /** Extra request headers sent with every relay. */
  headers: jsonb("headers").notNull().default(sql`'{}'::jsonb`),
  /** Signs each relay (`X-Leadrail-Signature`); never returned by the API. */
  signingSecret: text("signing_secret"),
  /** Events forwarded to this buyer. */
  events: text("events").array().notNull().default(sql`ARRAY['lead_accepted']::text[]`),
  delaySeconds: integer("delay_seconds").notNull().default(0),
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
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    captureId: uuid("capture_id"),
    partnerId: ref("partner_id"),
    relayTargetId: ref("relay_target_id").references(() => relayTargets.id),
    status: relayStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /**
     * What the job was made with: a postback's values (click and transaction id, payout in minor units and
     * currency, event, capture id, sub ids), a lead relay's lead values. Each attempt renders them with the
     * recipient's URL, method, body type and field mapping as they are then. Null for jobs made before it existed.
     */
    jobValues: jsonb("job_values"),
    /**
     * Jobs made before `job_values`: the request resolved when the job was made (`{ method, url, macros }` or
     * `{ method, url, body }`), sent as stored. Null for newer jobs.
     */
    payload: jsonb("payload"),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    /** The sale or refund that fired the job (the ledger's events); null for lead events. */
    orderId: ref("order_id"),
    refundId: ref("refund_id"),
    succeededAt: timestamp("succeeded_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One job per source (a capture, an order or a refund), kind, event and recipient. The name is kept
    // from when captures were the only source, so `ON CONFLICT ON CONSTRAINT` works across the change.
    unique("relay_jobs_capture_dedup_key")
      .on(t.captureId, t.orderId, t.refundId, t.kind, t.event, t.partnerId, t.relayTargetId)
      .nullsNotDistinct(),
    index("relay_jobs_status_idx").on(t.status, t.nextAttemptAt),
    index("relay_jobs_partner_created_idx").on(t.partnerId, t.createdAt),
  ],
);

/** Every delivery attempt of a relay job, as sent and as answered. */
export const relayAttempts = pgTable(
  "relay_attempts",
  {
    id: id(),
    jobId: ref("job_id")
      .notNull()
      .references(() => relayJobs.id),
    /** 1 for the first attempt. */
    attempt: integer("attempt").notNull(),
    url: text("url").notNull(),
    method: text("method").notNull(),
    /** Request headers with secret values masked. */
    requestHeaders: jsonb("request_headers").notNull(),
    requestBody: text("request_body"),
    responseStatus: integer("response_status"),
    /** The response body, capped at a few KB (`response_truncated` says when it was cut). */
    responseBody: text("response_body"),
    responseTruncated: boolean("response_truncated").notNull().default(false),
    latencyMs: integer("latency_ms"),
    /** Why the attempt failed without an HTTP answer (timeout, connection refused, …). */
    error: text("error"),
    succeeded: boolean("succeeded").notNull(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the retention clean-up (domain/batches) removed the request and response bodies. */
    bodiesClearedAt: timestamp("bodies_cleared_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("relay_attempts_job_attempt_key").on(t.jobId, t.attempt),
    // The clean-up's scan: only attempts whose bodies are still there, oldest first.
    index("relay_attempts_retention_idx").on(t.attemptedAt).where(sql`${t.bodiesClearedAt} IS NULL`),
  ],
);

/** Something an operator must look at (e.g. a partner's postbacks paused after repeated failures). */
export const operatorAlerts = pgTable(
  "operator_alerts",
  {
    id: id(),
    kind: text("kind").notNull(),
    partnerId: ref("partner_id").references(() => partners.id),
    message: text("message").notNull(),
    detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [index("operator_alerts_open_idx").on(t.resolvedAt, t.createdAt)],
);

/**
 * A conversion a partner reported to `/pb`, attached to the capture its click id or transaction id
 * names. (partner, transaction id) is the idempotency key.
 */
export const inboundConversions = pgTable(
  "inbound_conversions",
  {
    id: id(),
    partnerId: ref("partner_id")
      .notNull()
      .references(() => partners.id),
    transactionId: text("transaction_id").notNull(),
    clickId: text("click_id"),
    /** The capture it was attached to; null when none matched (kept for a later match). */
    captureId: uuid("capture_id").references(() => captures.id),
    event: text("event").notNull(),
    /** Minor units of `currency`. */
    amount: bigint("amount", { mode: "number" }),
    currency: char("currency", { length: 3 }),
    /** The query or body as received (the signature removed). */
    raw: jsonb("raw").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("inbound_conversions_partner_transaction_key").on(t.partnerId, t.transactionId),
    index("inbound_conversions_capture_idx").on(t.captureId),
    // GET /api/v1/conversions?partner=…: a partner's conversions newest first, one page at a time.
    index("inbound_conversions_partner_idx").on(t.partnerId, t.id),
    // The capture pipeline looks up conversions still waiting for their capture by click id.
    index("inbound_conversions_pending_click_idx")
      .on(t.partnerId, t.clickId)
      .where(sql`${t.captureId} IS NULL AND ${t.clickId} IS NOT NULL`),
  ],
);

import { sql } from "drizzle-orm";
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { redirectRules } from "./catalog.ts";
import { ref } from "./common.ts";

/** The five outcomes of a capture. */
export const captureOutcome = pgEnum("capture_outcome", ["new", "duplicate", "restored", "invalid", "bot"]);

/** The eight per-field error categories. */
export const fieldErrorCategory = pgEnum("field_error_category", [
  "missing",
  "malformed",
  "too_short",
  "too_long",
  "out_of_range",
  "not_allowed",
  "disposable",
  "suspicious",
]);

/** The knowledge level of a visitor's email. */
export const knowledgeLevel = pgEnum("knowledge_level", [
  "unknown",
  "known",
  "known_active",
  "known_active_same_brand",
]);

/** One landing-page submission. The id is the UUIDv7 the edge assigned. */
export const captures = pgTable(
  "captures",
  {
    id: uuid("id").primaryKey(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
    /** The landing reference exactly as the visitor sent it. */
    landingRef: text("landing_ref").notNull(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    landingId: ref("landing_id"),
    brandId: ref("brand_id"),
    themeId: ref("theme_id"),
    partnerId: ref("partner_id"),
    productId: ref("product_id"),
    emailId: ref("email_id"),
    contactId: ref("contact_id"),
    outcome: captureOutcome("outcome").notNull(),
    isBot: boolean("is_bot").notNull().default(false),
    /** Which signal called it a bot: user_agent, verified_bot, bot_score, asn. */
    botReason: text("bot_reason"),
    /** Submitted fields as parsed at the edge (values capped). */
    fields: jsonb("fields").notNull().default(sql`'{}'::jsonb`),
    ruleId: ref("rule_id").references(() => redirectRules.id, { onDelete: "set null" }),
    /** Why the edge used the fallback URL, when it did. */
    fallbackReason: text("fallback_reason"),
  },
  (t) => [
    index("captures_received_idx").on(t.receivedAt),
    index("captures_contact_idx").on(t.contactId),
    index("captures_landing_idx").on(t.landingId, t.receivedAt),
  ],
);

export const captureFieldErrors = pgTable(
  "capture_field_errors",
  {
    // No foreign key: written only by the capture write statement, in the same statement as its capture
    // and with that capture's id (see queues/capture/pipeline.ts); nothing deletes captures.
    captureId: uuid("capture_id").notNull(),
    field: text("field").notNull(),
    category: fieldErrorCategory("category").notNull(),
    message: text("message").notNull(),
  },
  (t) => [primaryKey({ columns: [t.captureId, t.field, t.category] })],
);

/** Geo from `request.cf`, as the edge saw it. */
export const captureGeo = pgTable("capture_geo", {
  // No foreign key: written only by the capture write statement, in the same statement as its capture
  // and with that capture's id (see queues/capture/pipeline.ts); nothing deletes captures.
  captureId: uuid("capture_id").primaryKey(),
  country: text("country"),
  region: text("region"),
  regionCode: text("region_code"),
  city: text("city"),
  postalCode: text("postal_code"),
  continent: text("continent"),
  latitude: doublePrecision("latitude"),
  longitude: doublePrecision("longitude"),
  timezone: text("timezone"),
  asn: integer("asn"),
  asOrganization: text("as_organization"),
  colo: text("colo"),
  botScore: smallint("bot_score"),
  verifiedBot: boolean("verified_bot"),
});

/** Marketing attribution parameters of a capture. */
export const captureMarketing = pgTable(
  "capture_marketing",
  {
    // No foreign key: written only by the capture write statement, in the same statement as its capture
    // and with that capture's id (see queues/capture/pipeline.ts); nothing deletes captures.
    captureId: uuid("capture_id").primaryKey(),
    utmSource: text("utm_source"),
    utmMedium: text("utm_medium"),
    utmCampaign: text("utm_campaign"),
    utmTerm: text("utm_term"),
    utmContent: text("utm_content"),
    gclid: text("gclid"),
    fbclid: text("fbclid"),
    ttclid: text("ttclid"),
    msclkid: text("msclkid"),
    /** The affiliate network's click id (from the partner's click id parameter). */
    clickId: text("click_id"),
    transactionId: text("transaction_id"),
    sub1: text("sub1"),
    sub2: text("sub2"),
    sub3: text("sub3"),
    sub4: text("sub4"),
    sub5: text("sub5"),
    referrer: text("referrer"),
    /** Other recognised tracking params (e.g. `wbraid`, `gbraid`, `li_fat_id`). */
    extra: jsonb("extra").notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [
    index("capture_marketing_click_idx").on(t.clickId),
    // Inbound conversions without a click id are matched on it.
    index("capture_marketing_transaction_idx").on(t.transactionId),
  ],
);

/** The full HTTP exchange at the edge: request as received, response as given. */
export const captureHttpLogs = pgTable(
  "capture_http_logs",
  {
    // No foreign key: written only by the capture write statement, in the same statement as its capture
    // and with that capture's id (see queues/capture/pipeline.ts); nothing deletes captures.
    captureId: uuid("capture_id").primaryKey(),
    method: text("method").notNull(),
    url: text("url").notNull(),
    requestHeaders: jsonb("request_headers").notNull(),
    requestBody: text("request_body"),
    requestBodyBytes: integer("request_body_bytes").notNull().default(0),
    requestBodyTruncated: boolean("request_body_truncated").notNull().default(false),
    userAgent: text("user_agent"),
    ip: text("ip"),
    responseStatus: smallint("response_status").notNull(),
    responseLocation: text("response_location").notNull(),
    responseHeaders: jsonb("response_headers").notNull().default(sql`'{}'::jsonb`),
    edgeDurationMs: doublePrecision("edge_duration_ms").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * When the retention clean-up (domain/batches) removed the raw parts: headers, body, user agent, IP and
     * the query strings of the URL and the redirect. Null while the log is whole.
     */
    clearedAt: timestamp("cleared_at", { withTimezone: true }),
  },
  (t) => [
    // The clean-up's scan: only logs not yet cleared, oldest first.
    index("capture_http_logs_retention_idx").on(t.createdAt).where(sql`${t.clearedAt} IS NULL`),
  ],
);

/** Knowledge flags of one capture: as the edge saw them, and as true after the write. */
export const captureKnowledge = pgTable("capture_knowledge", {
  // No foreign key: written only by the capture write statement, in the same statement as its capture
  // and with that capture's id (see queues/capture/pipeline.ts); nothing deletes captures.
  captureId: uuid("capture_id").primaryKey(),
  edgeLevel: knowledgeLevel("edge_level").notNull(),
  /** Where the edge's level came from: kv, kv_error, no_email. */
  edgeSource: text("edge_source").notNull(),
  edgeKnown: boolean("edge_known").notNull(),
  edgeKnownActive: boolean("edge_known_active").notNull(),
  edgeKnownActiveSameBrand: boolean("edge_known_active_same_brand").notNull(),
  afterLevel: knowledgeLevel("after_level").notNull(),
  afterKnown: boolean("after_known").notNull(),
  afterKnownActive: boolean("after_known_active").notNull(),
  afterKnownActiveSameBrand: boolean("after_known_active_same_brand").notNull(),
});

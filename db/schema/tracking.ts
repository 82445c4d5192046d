import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { captures } from "./capture.ts";
import { brands } from "./catalog.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { contacts } from "./identity.ts";
import { messageSends } from "./messaging.ts";

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * One page view or click the first-party tracker (`/t.js`) posted to `/collect`. The id is the UUIDv7 the
 * edge gave the event, so a redelivered beacon stores nothing twice. Capture, contact and send are linked
 * when the consumer finds them; the click ids are kept as the page's URL carried them.
 */
export const trackerEvents = pgTable(
  "tracker_events",
  {
    id: uuid("id").primaryKey(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** The tracker's first-party visitor id (cookie `lr_vid`). */
    visitorId: text("visitor_id").notNull(),
    sessionId: text("session_id").notNull(),
    /** `page_view` or `click`. */
    type: text("type").notNull(),
    url: text("url").notNull(),
    referrer: text("referrer"),
    title: text("title"),
    /** A click's element: `{ tag, href, text, id }`, values truncated by the script and the edge. */
    element: jsonb("element"),
    captureId: uuid("capture_id").references(() => captures.id),
    contactId: ref("contact_id").references(() => contacts.id),
    messageSendId: ref("message_send_id").references(() => messageSends.id),
    /** Marketing click ids of the page: `gclid`, `fbclid`, `ttclid`, `click_id`. */
    clickIds: jsonb("click_ids").notNull().default(sql`'{}'::jsonb`),
    country: text("country"),
    userAgent: text("user_agent"),
    bot: boolean("bot").notNull().default(false),
    occurredAt: at("occurred_at").notNull(),
    receivedAt: at("received_at").notNull(),
    /** When the event reached GA4 (Measurement Protocol); null when not forwarded (yet, or never). */
    ga4ForwardedAt: at("ga4_forwarded_at"),
  },
  (t) => [
    index("tracker_events_brand_occurred_idx").on(t.brandId, t.occurredAt),
    index("tracker_events_visitor_idx").on(t.visitorId, t.occurredAt),
  ],
);

/**
 * A brand's GA4 Measurement Protocol settings. `api_secret` is a secret (GA4's "Measurement Protocol API
 * secret"): stored to sign the requests, never returned in full by the API.
 */
export const brandGa4Settings = pgTable("brand_ga4_settings", {
  brandId: ref("brand_id")
    .primaryKey()
    .references(() => brands.id),
  /** `G-XXXXXXXX`. */
  measurementId: text("measurement_id").notNull(),
  apiSecret: text("api_secret").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Every Measurement Protocol request made for a brand's tracker events, as sent and as answered. */
export const ga4Deliveries = pgTable(
  "ga4_deliveries",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** The tracker events the request carried (at most 25, one visitor). */
    eventIds: uuid("event_ids").array().notNull(),
    /** The queue delivery this request was made in (1 for the first). */
    attempt: integer("attempt").notNull(),
    responseStatus: integer("response_status"),
    /** The answer's body, capped; GA4 answers 2xx with an empty body when it takes the request. */
    responseBody: text("response_body"),
    /** Why there was no answer (timeout, refused connection). */
    error: text("error"),
    succeeded: boolean("succeeded").notNull(),
    latencyMs: integer("latency_ms"),
    attemptedAt: at("attempted_at").notNull().defaultNow(),
    /** Bytes of the JSON body sent. */
    requestBytes: integer("request_bytes"),
  },
  (t) => [index("ga4_deliveries_brand_attempted_idx").on(t.brandId, t.attemptedAt)],
);

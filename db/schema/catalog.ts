import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, id, ref, updatedAt } from "./common.ts";

export const brands = pgTable(
  "brands",
  {
    id: id(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    domain: text("domain"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("brands_slug_key").on(t.slug)],
);

export const themes = pgTable(
  "themes",
  {
    id: id(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("themes_slug_key").on(t.slug)],
);

export const postbackMethod = pgEnum("postback_method", ["redirect", "get", "post"]);

export const partners = pgTable(
  "partners",
  {
    id: id(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    /** Query parameter that carries this network's click id on the landing URL (e.g. `aff_click_id`). */
    clickIdParam: text("click_id_param").notNull().default("click_id"),
    /** Query parameter that carries the network's transaction id, when it sends one. */
    transactionIdParam: text("transaction_id_param").notNull().default("transaction_id"),
    /** Postback URL template; `null` means the partner gets no postbacks. */
    postbackUrl: text("postback_url"),
    postbackMethod: postbackMethod("postback_method").notNull().default("get"),
    /** Events that fire the postback: lead_accepted, lead_restored, sale, refund. */
    postbackEvents: text("postback_events").array().notNull().default(sql`ARRAY['lead_accepted']::text[]`),
    /** Body of a `post` postback: `json` or `form` (application/x-www-form-urlencoded). */
    postbackContentType: text("postback_content_type").notNull().default("json"),
    /** Extra request headers sent with every postback (values are shown masked when they look secret). */
    postbackHeaders: jsonb("postback_headers").notNull().default(sql`'{}'::jsonb`),
    /**
     * Shared secret with the network: signs outgoing postbacks (`X-Leadrail-Signature`) and verifies its
     * inbound conversions (`/pb`). Published to KV for the edge; never returned by the API.
     */
    signingSecret: text("signing_secret"),
    /** What a conversion pays, in minor units of `payout_currency` (the `{payout}` macro). */
    payout: bigint("payout", { mode: "number" }).notNull().default(0),
    payoutCurrency: char("payout_currency", { length: 3 }),
    /** Postbacks wait this long after their event before the first attempt. */
    postbackDelaySeconds: integer("postback_delay_seconds").notNull().default(0),
    /** Consecutive failed attempts; reset by a success. At `postback_failure_limit` postbacks pause. */
    postbackConsecutiveFailures: integer("postback_consecutive_failures").notNull().default(0),
    postbackFailureLimit: integer("postback_failure_limit").notNull().default(25),
    /** Set when postbacks were paused after too many failures; cleared by the resume call. */
    postbacksPausedAt: timestamp("postbacks_paused_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("partners_slug_key").on(t.slug)],
);

export const products = pgTable(
  "products",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    name: text("name").notNull(),
    sku: text("sku").notNull(),
    /**
     * When the product event that last named it happened (`product.created` / `product.updated`, any of
     * the brand's stores); null while the name is the API caller's or the first order's. A later event
     * renames it, an older one delivered late does not.
     */
    nameChangedAt: timestamp("name_changed_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("products_brand_sku_key").on(t.brandId, t.sku)],
);

export const landings = pgTable(
  "landings",
  {
    id: id(),
    name: text("name").notNull(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    themeId: ref("theme_id")
      .notNull()
      .references(() => themes.id),
    partnerId: ref("partner_id")
      .notNull()
      .references(() => partners.id),
    productId: ref("product_id")
      .notNull()
      .references(() => products.id),
    /** Where the visitor goes when no rule matches or anything fails. */
    fallbackUrl: text("fallback_url").notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("landings_brand_idx").on(t.brandId)],
);

/**
 * Knowledge a rule asks for. `any` matches every visitor; the levels nest:
 * known_active_same_brand ⊂ known_active ⊂ known, and `unknown` is disjoint.
 */
export const ruleKnowledge = pgEnum("rule_knowledge", [
  "any",
  "unknown",
  "known",
  "known_active",
  "known_active_same_brand",
]);

/** Redirect rules. A null dimension is the wildcard `*`. */
export const redirectRules = pgTable(
  "redirect_rules",
  {
    id: id(),
    brandId: ref("brand_id").references(() => brands.id),
    themeId: ref("theme_id").references(() => themes.id),
    partnerId: ref("partner_id").references(() => partners.id),
    productId: ref("product_id").references(() => products.id),
    knowledge: ruleKnowledge("knowledge").notNull().default("any"),
    priority: integer("priority").notNull().default(0),
    targetUrl: text("target_url").notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check("redirect_rules_target_url_http", sql`${t.targetUrl} ~ '^https?://'`)],
);

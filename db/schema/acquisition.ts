import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
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
import { brands } from "./catalog.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { brandClientAccounts } from "./sales.ts";

/** How a customer came to a brand: on their own, or through an influencer. */
export const acquisitionSource = pgEnum("acquisition_source", ["organic", "influencer"]);
export const influencerCodeKind = pgEnum("influencer_code_kind", ["coupon", "referral"]);
export const acquisitionRuleType = pgEnum("acquisition_rule_type", [
  "influencer_coupon",
  "referral_code",
  "utm",
  "referrer_domain",
]);
export const utmMatchKind = pgEnum("utm_match_kind", ["equals", "prefix", "contains", "regex"]);

/** A creator who brings a brand customers; inactive ones no longer attribute anyone. */
export const influencers = pgTable(
  "influencers",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    name: text("name").notNull(),
    /** Their handle on their platform (`jane.glow`), without `@`. */
    handle: text("handle"),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("influencers_brand_idx").on(t.brandId, t.id),
    uniqueIndex("influencers_brand_handle_key").on(t.brandId, sql`lower(${t.handle})`),
  ],
);

/** A coupon or referral code that belongs to an influencer; unique per brand and kind, whatever its case. */
export const influencerCodes = pgTable(
  "influencer_codes",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    influencerId: ref("influencer_id")
      .notNull()
      .references(() => influencers.id),
    kind: influencerCodeKind("kind").notNull(),
    code: text("code").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("influencer_codes_brand_kind_code_key").on(t.brandId, t.kind, sql`lower(${t.code})`),
    index("influencer_codes_influencer_idx").on(t.influencerId),
  ],
);

/**
 * One rule of a brand's acquisition classification. The first rule that matches (lowest priority, then
 * lowest id) decides; none matching means organic. Which columns a rule uses depends on its type, and the
 * checks below hold each type to exactly its own. A deleted rule is kept (`deleted_at`) because the
 * classifications and history it decided name it.
 */
export const acquisitionRules = pgTable(
  "acquisition_rules",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    type: acquisitionRuleType("type").notNull(),
    priority: integer("priority").notNull(),
    /** The influencer a `utm` or `referrer_domain` rule attributes to (codes name their own). */
    influencerId: ref("influencer_id").references(() => influencers.id),
    /** `referral_code`: the first-touch parameters that may carry a referral code, in order. */
    paramNames: text("param_names").array(),
    /** `utm`: the first-touch `utm_*` parameter, how it is matched, and the value or pattern. */
    field: text("field"),
    match: utmMatchKind("match"),
    value: text("value"),
    /** `referrer_domain`: the referrer's host is this domain or a subdomain of it (lower case). */
    domain: text("domain"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    index("acquisition_rules_brand_idx").on(t.brandId, t.priority, t.id),
    check(
      "acquisition_rules_shape",
      sql`CASE ${t.type}
        WHEN 'influencer_coupon' THEN num_nonnulls(${t.influencerId}, ${t.paramNames}, ${t.field}, ${t.match}, ${t.value}, ${t.domain}) = 0
        WHEN 'referral_code' THEN ${t.paramNames} IS NOT NULL
          AND num_nonnulls(${t.influencerId}, ${t.field}, ${t.match}, ${t.value}, ${t.domain}) = 0
        WHEN 'utm' THEN num_nonnulls(${t.influencerId}, ${t.field}, ${t.match}, ${t.value}) = 4
          AND num_nonnulls(${t.paramNames}, ${t.domain}) = 0
        WHEN 'referrer_domain' THEN num_nonnulls(${t.influencerId}, ${t.domain}) = 2
          AND num_nonnulls(${t.paramNames}, ${t.field}, ${t.match}, ${t.value}) = 0
      END`,
    ),
  ],
);

/**
 * The classification of one brand client account: its source, the influencer when there is one, the rule
 * that decided (null for organic: no rule matched) and what it matched (`evidence`). Written only by the
 * classification (domain/acquisition/classify-accounts.ts), and only when it changes; an account without a
 * row has not been classified yet. `brand_id` repeats the account's so per-brand reads by source stay on
 * one index.
 */
export const accountAcquisition = pgTable(
  "account_acquisition",
  {
    accountId: bigint("account_id", { mode: "number" })
      .primaryKey()
      .references(() => brandClientAccounts.id),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    source: acquisitionSource("source").notNull(),
    influencerId: ref("influencer_id").references(() => influencers.id),
    ruleId: ref("rule_id").references(() => acquisitionRules.id),
    evidence: jsonb("evidence").notNull().default(sql`'{}'::jsonb`),
    classifiedAt: timestamp("classified_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("account_acquisition_brand_source_idx").on(t.brandId, t.source, t.accountId),
    index("account_acquisition_influencer_idx").on(t.influencerId, t.accountId),
    check(
      "account_acquisition_influencer",
      sql`(${t.source} = 'influencer') = (${t.influencerId} IS NOT NULL AND ${t.ruleId} IS NOT NULL)`,
    ),
  ],
);

/** Why a classification changed: the account's first one, or a later run deciding differently. */
export const acquisitionChangeReason = pgEnum("acquisition_change_reason", ["initial", "reclassified"]);

/** Every change of an account's classification: what it was, what it became, when and why. */
export const accountAcquisitionHistory = pgTable(
  "account_acquisition_history",
  {
    id: id(),
    accountId: ref("account_id")
      .notNull()
      .references(() => brandClientAccounts.id),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    reason: acquisitionChangeReason("reason").notNull(),
    /** Null when the account had no classification before (`initial`). */
    oldSource: acquisitionSource("old_source"),
    oldInfluencerId: ref("old_influencer_id").references(() => influencers.id),
    oldRuleId: ref("old_rule_id").references(() => acquisitionRules.id),
    oldEvidence: jsonb("old_evidence"),
    newSource: acquisitionSource("new_source").notNull(),
    newInfluencerId: ref("new_influencer_id").references(() => influencers.id),
    newRuleId: ref("new_rule_id").references(() => acquisitionRules.id),
    newEvidence: jsonb("new_evidence").notNull(),
    changedAt: timestamp("changed_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("account_acquisition_history_account_idx").on(t.accountId, t.id)],
);

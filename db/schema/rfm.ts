import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgTable,
  smallint,
  timestamp,
} from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { currency, money, ref } from "./common.ts";
import { brandClientAccounts } from "./sales.ts";

/**
 * The named segments of the usual R×F map (domain/rfm): every (R, F) cell belongs to exactly one.
 */
export const rfmSegments = [
  "champions",
  "loyal_customers",
  "potential_loyalists",
  "new_customers",
  "promising",
  "need_attention",
  "about_to_sleep",
  "at_risk",
  "cannot_lose_them",
  "hibernating",
] as const;
export type RfmSegment = (typeof rfmSegments)[number];
export const rfmSegment = pgEnum("rfm_segment", rfmSegments);

/**
 * The RFM scores of one account with at least one order, as of a run date (the nightly `rfm-scores` job
 * or an on-demand recompute, domain/rfm). Scores are quintiles 1–5 within the account's brand and
 * currency, so monetary values are never compared across currencies; recency 5 is the most recent.
 * The inputs the scores came from are kept beside them. One row per account: a run replaces them all.
 */
export const accountRfm = pgTable(
  "account_rfm",
  {
    accountId: bigint("account_id", { mode: "number" })
      .primaryKey()
      .references(() => brandClientAccounts.id),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    currency: currency(),
    /** The run date the scores are as of. */
    asOf: date("as_of", { mode: "string" }).notNull(),
    /** Days from the UTC date of the last counted order to `as_of` (0: ordered on `as_of`). */
    recencyDays: integer("recency_days").notNull(),
    /** Orders counted (not cancelled). */
    frequency: integer("frequency").notNull(),
    /** Net revenue in minor units of `currency` (invoiced − credited). */
    monetary: money("monetary"),
    r: smallint("r").notNull(),
    f: smallint("f").notNull(),
    m: smallint("m").notNull(),
    segment: rfmSegment("segment").notNull(),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("account_rfm_brand_cell_idx").on(t.brandId, t.r, t.f, t.accountId),
    index("account_rfm_brand_segment_idx").on(t.brandId, t.segment, t.accountId),
    check(
      "account_rfm_scores",
      sql`${t.r} BETWEEN 1 AND 5 AND ${t.f} BETWEEN 1 AND 5 AND ${t.m} BETWEEN 1 AND 5`,
    ),
    check("account_rfm_inputs", sql`${t.recencyDays} >= 0 AND ${t.frequency} >= 0 AND ${t.monetary} >= 0`),
  ],
);

import { sql } from "drizzle-orm";
import { check, date, integer, pgTable, primaryKey, smallint, timestamp } from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { currency, money, ref } from "./common.ts";

/**
 * The frequency × monetary scatter's stored aggregate (domain/rfm/scatter.ts): per brand, currency and bin
 * (`width_bucket` of `account_rfm.frequency` and `monetary` over the bounds of scatter.ts) that holds at
 * least one scored account, how many and Σ their monetary values. Written by the same statement that writes
 * `account_rfm` and `rfm_cells`, so the three always agree; the dashboard reads at most 7 × 40 rows of it,
 * whatever the number of accounts.
 */
export const rfmScatterBins = pgTable(
  "rfm_scatter_bins",
  {
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    currency: currency(),
    /** 0–6: the index of the account's frequency bin. */
    fBin: smallint("f_bin").notNull(),
    /** 0–39: the index of the account's monetary bin (0: below 1 minor unit). */
    mBin: smallint("m_bin").notNull(),
    /** The run date, as `account_rfm.as_of`. */
    asOf: date("as_of", { mode: "string" }).notNull(),
    accounts: integer("accounts").notNull(),
    /** Σ `account_rfm.monetary` of the bin's accounts, in minor units of `currency`. */
    monetary: money("monetary"),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.brandId, t.currency, t.fBin, t.mBin] }),
    // The bounds live in domain/rfm/scatter.ts; only what no bounds can make is refused here.
    check("rfm_scatter_bins_bin", sql`${t.fBin} >= 0 AND ${t.mBin} >= 0`),
    check("rfm_scatter_bins_values", sql`${t.accounts} > 0 AND ${t.monetary} >= 0`),
  ],
);

import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  check,
  date,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { currency, money, ref } from "./common.ts";
import { markets } from "./sales.ts";

/**
 * An account's acquisition source as the analytics tables keep it: its `account_acquisition.source` when
 * the job ran, or `unclassified` for an account the classification has not reached yet.
 */
const sourceCheck = (name: string, source: AnyPgColumn) =>
  check(name, sql`${source} IN ('organic', 'influencer', 'unclassified')`);

/**
 * Orders and revenue of one brand, market, UTC day and acquisition source (the nightly `daily-revenue`
 * job, domain/batches/job-daily-revenue.ts). `source` is the account's classification when the job ran
 * (`organic`, `influencer`), or `unclassified` for an account the classification has not reached yet.
 * Amounts are minor units of `currency` (a market has one currency). A run for a day replaces that day's
 * rows and no others.
 */
export const dailyRevenue = pgTable(
  "daily_revenue",
  {
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    marketId: ref("market_id")
      .notNull()
      .references(() => markets.id),
    /** The UTC day the orders were placed and the refunds paid. */
    day: date("day", { mode: "string" }).notNull(),
    source: text("source").notNull(),
    currency: currency(),
    orders: integer("orders").notNull(),
    /** Σ order totals (what was invoiced) of the day's orders. */
    revenue: money("revenue"),
    /** Σ refunds paid back that day, whichever day their orders were placed. */
    refunded: money("refunded"),
    /** Distinct accounts with an order that day whose first order ever was that day. */
    newCustomers: integer("new_customers").notNull(),
    /** Distinct accounts with an order that day that had ordered before it. */
    returningCustomers: integer("returning_customers").notNull(),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("daily_revenue_key").on(t.brandId, t.marketId, t.day, t.source, t.currency),
    // A run deletes its day's rows first.
    index("daily_revenue_day_idx").on(t.day),
    sourceCheck("daily_revenue_source", t.source),
    check(
      "daily_revenue_counts",
      sql`${t.orders} >= 0 AND ${t.revenue} >= 0 AND ${t.refunded} >= 0 AND ${t.newCustomers} >= 0 AND ${t.returningCustomers} >= 0`,
    ),
  ],
);

/**
 * Lifetime value per acquisition cohort (the nightly `ltv-by-acquisition-month` job,
 * domain/batches/job-ltv-by-acquisition-month.ts): the accounts of one brand whose first order fell in one
 * UTC month, by acquisition source and currency, with what they have been invoiced net of credit notes
 * over their whole life so far. The accounts' running totals are today's values, so the table is a
 * snapshot as of the latest run (`as_of`, its run date); earlier dates are not kept.
 */
export const ltvByAcquisitionMonth = pgTable(
  "ltv_by_acquisition_month",
  {
    /** The run date; every row has the same one. */
    asOf: date("as_of", { mode: "string" }).notNull(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** The first of the UTC month of the accounts' first order (`brand_client_accounts.first_order_at`). */
    acquisitionMonth: date("acquisition_month", { mode: "string" }).notNull(),
    source: text("source").notNull(),
    currency: currency(),
    accounts: integer("accounts").notNull(),
    /** Σ (invoiced − credited) of the accounts' running totals when the job ran. */
    netRevenue: money("net_revenue"),
    /** net_revenue / accounts in minor units, rounded half away from zero. */
    avgLtv: money("avg_ltv"),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("ltv_by_acquisition_month_key").on(
      t.asOf,
      t.brandId,
      t.acquisitionMonth,
      t.source,
      t.currency,
    ),
    sourceCheck("ltv_by_acquisition_month_source", t.source),
    check(
      "ltv_by_acquisition_month_month",
      sql`${t.acquisitionMonth} = date_trunc('month', ${t.acquisitionMonth})::date`,
    ),
    check(
      "ltv_by_acquisition_month_counts",
      sql`${t.accounts} > 0 AND ${t.netRevenue} >= 0 AND ${t.avgLtv} >= 0`,
    ),
  ],
);

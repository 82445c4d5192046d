import { sql } from "drizzle-orm";
import {
  bigint,
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
    check("daily_revenue_source", sql`${t.source} IN ('organic', 'influencer', 'unclassified')`),
    check(
      "daily_revenue_counts",
      sql`${t.orders} >= 0 AND ${t.revenue} >= 0 AND ${t.refunded} >= 0 AND ${t.newCustomers} >= 0 AND ${t.returningCustomers} >= 0`,
    ),
  ],
);

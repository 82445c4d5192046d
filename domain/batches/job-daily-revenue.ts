import { sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { joinAcquisition, rebuiltRows, sourceOfAccount } from "./analytics-sql.ts";
import { type BatchDate, endOfDate, startOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/**
 * Rewrites `daily_revenue` for `date` (a UTC day) in one statement: the day's rows are deleted and the
 * day's aggregates inserted, so a re-run replaces exactly that day and no other. The DELETE is forced to
 * finish before the INSERT reads anything (the insert's rows wait on its count), so the unique key sees
 * the old rows gone. Orders are those placed on the day, refunds those paid back on the day; both take
 * the account's market and its acquisition source as it is now (`unclassified` without one). An account
 * is new on the day when its first order (`first_order_at`, kept as the least placed_at) falls on it.
 * Returns the rows deleted and inserted.
 */
export async function rebuildDailyRevenue(tx: Transaction, date: BatchDate): Promise<number> {
  const start = startOfDate(date).toISOString();
  const end = endOfDate(date).toISOString();
  const result = await tx.execute(sql`
    WITH deleted AS (
      DELETE FROM daily_revenue WHERE day = ${date}::date RETURNING 1
    ), cleared AS (
      SELECT count(*) AS n FROM deleted
    ), facts AS (
      SELECT o.brand_id, o.market_id, o.currency,
             ${sourceOfAccount} AS source,
             1 AS orders, o.total AS revenue, 0::bigint AS refunded,
             CASE WHEN a.first_order_at >= ${start}::timestamptz THEN o.account_id END AS new_account,
             CASE WHEN a.first_order_at < ${start}::timestamptz THEN o.account_id END AS returning_account
        FROM orders o
        JOIN brand_client_accounts a ON a.id = o.account_id
        ${joinAcquisition("o.account_id")}
       WHERE o.placed_at >= ${start}::timestamptz AND o.placed_at < ${end}::timestamptz
      UNION ALL
      SELECT r.brand_id, a.market_id, r.currency,
             ${sourceOfAccount},
             0, 0::bigint, r.amount, NULL::bigint, NULL::bigint
        FROM refunds r
        JOIN brand_client_accounts a ON a.id = r.account_id
        ${joinAcquisition("r.account_id")}
       WHERE r.refunded_at >= ${start}::timestamptz AND r.refunded_at < ${end}::timestamptz
    ), inserted AS (
      INSERT INTO daily_revenue (brand_id, market_id, day, source, currency, orders, revenue, refunded,
                                 new_customers, returning_customers, computed_at)
      SELECT f.brand_id, f.market_id, ${date}::date, f.source, f.currency,
             sum(f.orders), sum(f.revenue), sum(f.refunded),
             count(DISTINCT f.new_account), count(DISTINCT f.returning_account), now()
        FROM facts f, cleared
       GROUP BY f.brand_id, f.market_id, f.source, f.currency
      RETURNING 1
    )
    SELECT (SELECT n FROM cleared) + (SELECT count(*) FROM inserted) AS rows`);
  return rebuiltRows(result);
}

/**
 * Orders, revenue, refunds and new vs returning customers per brand, market, day and acquisition source
 * (SPEC §10), for the run date as a UTC day: a market-local day would need a run per time zone after
 * that zone's midnight. One chunk, one statement: it is bounded by one day's orders and refunds, and
 * writes one row per brand, market, source and currency that had any. The chunk size only caps the rows
 * a run may report (deleted + inserted); it does not cut the day. It fires after the acquisition
 * classification (02:00), so the sources are the night's.
 */
export const dailyRevenueJob: BatchJob = {
  name: "daily-revenue",
  summary:
    "Rebuilds the day's orders, revenue, refunds and new vs returning customers per brand, market and source.",
  cron: "30 2 * * *",
  chunkSize: 100_000,
  async chunk({ tx, date }) {
    return { rows: await rebuildDailyRevenue(tx, date), done: true };
  },
};

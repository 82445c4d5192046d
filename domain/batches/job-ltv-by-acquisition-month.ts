import { sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { joinAcquisition, rebuiltRows, sourceOfAccount } from "./analytics-sql.ts";
import { type BatchDate, endOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/**
 * Replaces all of `ltv_by_acquisition_month` with the cohorts as of `date`, in one statement: every row is
 * deleted (the running totals are today's, so an older snapshot would not be one) and one row per brand,
 * acquisition month, source and currency inserted. The cohorts hold the accounts whose first order
 * (`first_order_at`) fell by the end of `date`, so a run at 02:30 leaves out those first seen after
 * midnight; an account that never ordered has no acquisition month and is left out. The DELETE finishes
 * before the INSERT reads (its rows wait on the count), so the unique key sees the old rows gone.
 * Returns the rows deleted and inserted.
 */
export async function rebuildLtvByAcquisitionMonth(tx: Transaction, date: BatchDate): Promise<number> {
  const end = endOfDate(date).toISOString();
  // Two runs for different dates (a manual range next to the cron) would each delete only the rows they
  // see and leave two snapshots; the lock makes the second wait for the first and then replace it.
  await tx.execute(sql`LOCK TABLE ltv_by_acquisition_month IN SHARE ROW EXCLUSIVE MODE`);
  const result = await tx.execute(sql`
    WITH deleted AS (
      DELETE FROM ltv_by_acquisition_month RETURNING 1
    ), cleared AS (
      SELECT count(*) AS n FROM deleted
    ), cohorts AS (
      SELECT a.brand_id, a.currency,
             date_trunc('month', a.first_order_at AT TIME ZONE 'UTC')::date AS acquisition_month,
             ${sourceOfAccount} AS source,
             a.invoiced - a.credited AS net_revenue
        FROM brand_client_accounts a
        ${joinAcquisition("a.id")}
       WHERE a.first_order_at < ${end}::timestamptz
    ), inserted AS (
      INSERT INTO ltv_by_acquisition_month (as_of, brand_id, acquisition_month, source, currency, accounts,
                                            net_revenue, avg_ltv, computed_at)
      SELECT ${date}::date, c.brand_id, c.acquisition_month, c.source, c.currency,
             count(*), sum(c.net_revenue),
             -- numeric round(): half away from zero, in minor units.
             round(sum(c.net_revenue) / count(*)), now()
        FROM cohorts c, cleared
       GROUP BY c.brand_id, c.acquisition_month, c.source, c.currency
      RETURNING 1
    )
    SELECT (SELECT n FROM cleared) + (SELECT count(*) FROM inserted) AS rows`);
  return rebuiltRows(result);
}

/**
 * Lifetime value per brand, acquisition month (UTC) and acquisition source (SPEC §10): accounts, their net
 * invoiced revenue and its average per account. A snapshot as of the run; earlier dates are not kept.
 * One chunk, one statement: it reads every account once and writes one row per brand, month, source and
 * currency, so it is bounded by the number of those groups, not by the orders. The chunk size only caps
 * the rows a run may report. It follows daily-revenue at 02:30, after the 02:00 classification.
 */
export const ltvByAcquisitionMonthJob: BatchJob = {
  name: "ltv-by-acquisition-month",
  summary:
    "Replaces the lifetime value snapshot: accounts, net revenue and its average per brand, acquisition month and source.",
  cron: "30 2 * * *",
  chunkSize: 100_000,
  async chunk({ tx, date }) {
    return { rows: await rebuildLtvByAcquisitionMonth(tx, date), done: true };
  },
};

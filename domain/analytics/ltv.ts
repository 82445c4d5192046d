import { sql } from "drizzle-orm";
import type { VerbContext } from "../core/verb.ts";
import { average, integer, lastMonthIndex, monthOfIndex, runsOf } from "./figures.ts";
import {
  type AnalyticsWindow,
  checkWindow,
  countedOrders,
  inRange,
  type Row,
  rowsOf,
  text,
} from "./window.ts";

/** One month of a cohort's life: months since acquisition, that month's net revenue, and the running LTV. */
export interface LtvMonth {
  monthsSince: number;
  netRevenue: number;
  cumulativeNetRevenue: number;
  /** cumulative net revenue / customers, minor units, rounded half away from zero. */
  ltv: number;
}

/** The customers of one brand acquired in one UTC month, in one currency. */
export interface LtvCohort {
  currency: string;
  /** `YYYY-MM`: the UTC month of the customers' first counted order. */
  acquisitionMonth: string;
  customers: number;
  /** From 0 (the acquisition month) to the last month before `asOf`, months without orders included. */
  months: LtvMonth[];
}

/**
 * Lifetime value by acquisition month (README: LTV): per currency and acquisition month, the cumulative
 * net revenue of the cohort's counted orders by months since acquisition, divided by the cohort's
 * customers. The range bounds the acquisition (first order) instant. One statement: the brand's orders
 * once, grouped by cohort and month; each cohort is then spread over every month up to `asOf`.
 */
export async function ltvByAcquisitionMonth({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow;
}): Promise<LtvCohort[]> {
  checkWindow(ctx, input);
  // Only the months with orders come back; the empty ones and the running sums are filled in here, per
  // cohort (a series join in SQL made the planner expect millions of rows and compile the statement).
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input, { months: true })}),
    c AS (
      SELECT currency, net, seq, first_month AS cohort, month - first_month AS k
        FROM o
       WHERE ${inRange("first_at", input)}
    )
    SELECT currency, cohort, k, sum(net) AS net, count(*) FILTER (WHERE seq = 1) AS customers
      FROM c
     GROUP BY currency, cohort, k
     ORDER BY currency, cohort, k`,
  );
  const last = lastMonthIndex(input.asOf);
  const cohorts: LtvCohort[] = [];
  for (const run of runsOf(rows, (row) => `${text(row.currency)} ${integer(row.cohort)}`)) {
    const head = run[0] as Row;
    const currency = text(head.currency);
    const cohort = integer(head.cohort);
    // Every customer's first order is in month 0 of its cohort, so that row counts them all.
    const customers = integer(head.customers);
    const byMonth = new Map(run.map((row) => [integer(row.k), BigInt(integer(row.net))]));
    const months: LtvMonth[] = [];
    let cumulative = 0n;
    for (let k = 0; k <= last - cohort; k += 1) {
      const net = byMonth.get(k) ?? 0n;
      cumulative += net;
      months.push({
        monthsSince: k,
        netRevenue: Number(net),
        cumulativeNetRevenue: Number(cumulative),
        ltv: average(cumulative, customers) ?? 0,
      });
    }
    cohorts.push({ currency, acquisitionMonth: monthOfIndex(cohort), customers, months });
  }
  return cohorts;
}

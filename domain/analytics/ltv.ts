import { sql } from "drizzle-orm";
import type { VerbContext } from "../core/verb.ts";
import { average, integer, lastMonthIndex, monthOfIndex } from "./figures.ts";
import {
  type AnalyticsWindow,
  checkWindow,
  countedOrders,
  inRange,
  monthIndexSql,
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
 * once, grouped by cohort and month, each cohort spread over every month up to `asOf`.
 */
export async function ltvByAcquisitionMonth({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow;
}): Promise<LtvCohort[]> {
  checkWindow(ctx, input);
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input)}),
    c AS (
      SELECT currency, net, seq, ${monthIndexSql("first_at")} AS cohort,
             ${monthIndexSql("placed_at")} - ${monthIndexSql("first_at")} AS k
        FROM o
       WHERE ${inRange("first_at", input)}
    ),
    cells AS (
      SELECT currency, cohort, k, sum(net) AS net, count(*) FILTER (WHERE seq = 1) AS customers
        FROM c GROUP BY currency, cohort, k
    ),
    sizes AS (
      SELECT currency, cohort, sum(customers) AS customers FROM cells GROUP BY currency, cohort
    )
    SELECT s.currency, s.cohort, g.k, s.customers, coalesce(cells.net, 0) AS net,
           sum(coalesce(cells.net, 0)) OVER (PARTITION BY s.currency, s.cohort ORDER BY g.k) AS cumulative
      FROM sizes s
     CROSS JOIN LATERAL generate_series(0, ${lastMonthIndex(input.asOf)} - s.cohort) AS g(k)
      LEFT JOIN cells ON cells.currency = s.currency AND cells.cohort = s.cohort AND cells.k = g.k
     ORDER BY s.currency, s.cohort, g.k`,
  );
  const cohorts: LtvCohort[] = [];
  let current: LtvCohort | undefined;
  for (const row of rows) {
    const currency = text(row.currency);
    const acquisitionMonth = monthOfIndex(integer(row.cohort));
    if (!current || current.currency !== currency || current.acquisitionMonth !== acquisitionMonth) {
      current = { currency, acquisitionMonth, customers: integer(row.customers), months: [] };
      cohorts.push(current);
    }
    current.months.push({
      monthsSince: integer(row.k),
      netRevenue: integer(row.net),
      cumulativeNetRevenue: integer(row.cumulative),
      ltv: average(row.cumulative, row.customers) ?? 0,
    });
  }
  return cohorts;
}

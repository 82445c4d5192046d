import { type SQL, sql } from "drizzle-orm";
import type { RfmSegment } from "../../db/schema/rfm.ts";
import type { VerbContext } from "../core/verb.ts";
import { integer, lastMonthIndex, monthOfIndex, ratio, runsOf } from "./figures.ts";
import {
  type AnalyticsWindow,
  checkWindow,
  countedOrders,
  inRange,
  type Row,
  rowsOf,
  text,
} from "./window.ts";

/** What a retention cohort is split by besides its first-order month. */
export const retentionSplits = ["month", "product", "segment"] as const;
export type RetentionSplit = (typeof retentionSplits)[number];

export interface RetentionMonth {
  monthsSince: number;
  /** Cohort customers with a counted order in that month. */
  active: number;
  /** active / customers, 4 decimals. */
  rate: number;
}

export interface RetentionCohort {
  /** `YYYY-MM`: the UTC month of the customers' first counted order. */
  firstOrderMonth: string;
  /** by=product: a product of the customers' first order. */
  product?: { id: number; sku: string; name: string };
  /** by=segment: the customers' RFM segment (`account_rfm`), null for accounts not scored. */
  segment?: RfmSegment | null;
  customers: number;
  /** From 0 (the first-order month: every customer) to the last month before `asOf`. */
  months: RetentionMonth[];
}

/**
 * Each account of the cohorts once per key: (account_id, cohort, key) from the first orders `f`. The key
 * is never null (0 by month, '' for an unscored account), so the statement joins on it by plain equality.
 */
const keysOf: Record<RetentionSplit, SQL> = {
  month: sql`SELECT f.account_id, f.cohort, 0::bigint AS key FROM f`,
  // An account whose first order held two products is in both products' cohorts (once each).
  product: sql`SELECT DISTINCT f.account_id, f.cohort, oi.product_id AS key
                 FROM f JOIN order_items oi ON oi.order_id = f.id`,
  segment: sql`SELECT f.account_id, f.cohort, coalesce(r.segment::text, '') AS key
                 FROM f LEFT JOIN account_rfm r ON r.account_id = f.account_id`,
};

/**
 * Cohort retention (README: retention): customers by the UTC month of their first counted order (in the
 * range), and per month since then the share that placed a counted order in it; `by` splits each cohort
 * further by the products of the first order or by RFM segment. Counts, not money, so currencies do not
 * split it. One statement: the brand's orders once, plus the first orders' items (by=product, by order
 * id) or the accounts' RFM rows (by=segment, by account id).
 */
export async function retention({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow & { by: RetentionSplit };
}): Promise<RetentionCohort[]> {
  checkWindow(ctx, input);
  const label =
    input.by === "product"
      ? sql`SELECT x.*, p.sku, p.name FROM x LEFT JOIN products p ON p.id = x.key::bigint`
      : sql`SELECT x.*, NULL AS sku, NULL AS name FROM x`;
  // Only the months with activity come back; the empty ones are filled in here, per cohort (a series
  // join in SQL made the planner expect millions of rows and compile the statement).
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input, { months: true })}),
    c AS (
      SELECT id, account_id, seq, first_month AS cohort, month - first_month AS k
        FROM o
       WHERE ${inRange("first_at", input)}
    ),
    f AS (SELECT id, account_id, cohort FROM c WHERE seq = 1),
    keys AS (${keysOf[input.by]}),
    activity AS (SELECT DISTINCT account_id, k FROM c),
    x AS (
      SELECT keys.cohort, keys.key, a.k, count(*) AS active
        FROM keys JOIN activity a ON a.account_id = keys.account_id
       GROUP BY keys.cohort, keys.key, a.k
    )
    SELECT l.* FROM (${label}) l ORDER BY l.cohort, l.key, l.k`,
  );
  const last = lastMonthIndex(input.asOf);
  const cohorts: RetentionCohort[] = [];
  for (const run of runsOf(rows, (row) => `${integer(row.cohort)} ${text(row.key)}`)) {
    const head = run[0] as Row;
    const cohort = integer(head.cohort);
    const key = text(head.key);
    // Every customer placed its first order in month 0, so that row counts the whole cohort.
    const customers = integer(head.active);
    const active = new Map(run.map((row) => [integer(row.k), integer(row.active)]));
    const entry: RetentionCohort = { firstOrderMonth: monthOfIndex(cohort), customers, months: [] };
    if (input.by === "product")
      entry.product = { id: Number(key), sku: text(head.sku), name: text(head.name) };
    if (input.by === "segment") entry.segment = key === "" ? null : (key as RfmSegment);
    for (let k = 0; k <= last - cohort; k += 1) {
      const count = active.get(k) ?? 0;
      entry.months.push({ monthsSince: k, active: count, rate: ratio(count, customers) ?? 0 });
    }
    cohorts.push(entry);
  }
  return cohorts;
}

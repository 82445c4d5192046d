import { type SQL, sql } from "drizzle-orm";
import type { RfmSegment } from "../../db/schema/rfm.ts";
import type { VerbContext } from "../core/verb.ts";
import { integer, lastMonthIndex, monthOfIndex, ratio } from "./figures.ts";
import {
  type AnalyticsWindow,
  checkWindow,
  countedOrders,
  inRange,
  monthIndexSql,
  rowsOf,
  text,
  textOrNull,
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
      ? sql`p.sku, p.name FROM sizes s LEFT JOIN products p ON p.id = s.key::bigint`
      : sql`NULL AS sku, NULL AS name FROM sizes s`;
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input)}),
    c AS (
      SELECT id, account_id, seq, ${monthIndexSql("first_at")} AS cohort,
             ${monthIndexSql("placed_at")} - ${monthIndexSql("first_at")} AS k
        FROM o
       WHERE ${inRange("first_at", input)}
    ),
    f AS (SELECT id, account_id, cohort FROM c WHERE seq = 1),
    keys AS (${keysOf[input.by]}),
    activity AS (SELECT DISTINCT account_id, k FROM c),
    sizes AS (SELECT cohort, key, count(*) AS customers FROM keys GROUP BY cohort, key),
    active AS (
      SELECT keys.cohort, keys.key, a.k, count(*) AS active
        FROM keys JOIN activity a ON a.account_id = keys.account_id
       GROUP BY keys.cohort, keys.key, a.k
    ),
    labelled AS (SELECT s.cohort, s.key, s.customers, ${label})
    SELECT s.cohort, s.key, s.sku, s.name, s.customers, g.k, coalesce(active.active, 0) AS active
      FROM labelled s
     CROSS JOIN LATERAL generate_series(0, ${lastMonthIndex(input.asOf)} - s.cohort) AS g(k)
      LEFT JOIN active ON active.cohort = s.cohort AND active.key = s.key AND active.k = g.k
     ORDER BY s.cohort, s.key, g.k`,
  );
  const cohorts: RetentionCohort[] = [];
  let current: RetentionCohort | undefined;
  let currentKey: string | null = null;
  for (const row of rows) {
    const firstOrderMonth = monthOfIndex(integer(row.cohort));
    const key = textOrNull(row.key);
    if (!current || current.firstOrderMonth !== firstOrderMonth || currentKey !== key) {
      current = { firstOrderMonth, customers: integer(row.customers), months: [] };
      if (input.by === "product")
        current.product = { id: Number(key), sku: text(row.sku), name: text(row.name) };
      if (input.by === "segment") current.segment = key === "" || key === null ? null : (key as RfmSegment);
      currentKey = key;
      cohorts.push(current);
    }
    current.months.push({
      monthsSince: integer(row.k),
      active: integer(row.active),
      rate: ratio(row.active, row.customers) ?? 0,
    });
  }
  return cohorts;
}

import { sql } from "drizzle-orm";
import type { VerbContext } from "../core/verb.ts";
import { integer } from "./figures.ts";
import { type AnalyticsWindow, checkWindow, inRange, rowsOf, text } from "./window.ts";

/** The most points a scatter returns. */
export const maxScatterPoints = 5_000;

/** One customer: how often and for how much they bought. */
export interface ScatterPoint {
  accountId: number;
  currency: string;
  /** Counted orders placed in the range. */
  frequency: number;
  /** Σ their net revenue, minor units. */
  monetary: number;
}

/** Every customer of one currency, whether sampled or not. */
export interface ScatterTotals {
  currency: string;
  customers: number;
  orders: number;
  netRevenue: number;
  /** How many of the customers are among the points. */
  points: number;
}

export interface CustomerScatter {
  points: ScatterPoint[];
  totals: ScatterTotals[];
}

/**
 * The sample's order in SQL: figures.ts `sampleKey` of `o.account_id` (Fibonacci hashing modulo 2^32).
 */
const sampleKeySql = sql.raw(`((o.account_id % 2147483648) * 2654435761) % 4294967296`);

/**
 * Customer scatter (README: scatter): each customer with a counted order placed in the range, its
 * frequency (orders) and monetary value (net revenue). At most `points` of them are returned — those
 * with the smallest sample key (then id), the same ones on every call — and the totals per currency
 * are over every customer. One statement: the brand's orders once, grouped per customer, the totals and
 * the sample taken from that.
 */
export async function customerScatter({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow & { points: number };
}): Promise<CustomerScatter> {
  checkWindow(ctx, input);
  const limit = Math.max(0, Math.min(maxScatterPoints, Math.trunc(input.points)));
  const rows = await rowsOf(
    ctx,
    sql`
    WITH c AS MATERIALIZED (
      SELECT o.account_id, o.currency, count(*) AS frequency, sum(o.total - o.credited_total) AS monetary,
             ${sampleKeySql} AS sample_key
        FROM orders o
       WHERE o.brand_id = ${input.brandId}
         AND o.placed_at < ${input.asOf.toISOString()}::timestamptz
         AND o.cancelled_at IS NULL
         AND ${inRange("o.placed_at", input)}
       GROUP BY o.account_id, o.currency
    ),
    sample AS (
      SELECT * FROM c ORDER BY sample_key, account_id LIMIT ${limit}
    ),
    sampled AS (SELECT currency, count(*) AS points FROM sample GROUP BY currency)
    SELECT 'point' AS kind, s.account_id, s.currency, s.frequency, s.monetary, NULL::bigint AS points
      FROM sample s
    UNION ALL
    SELECT 'total', count(*), c.currency, sum(c.frequency), sum(c.monetary), min(x.points)
      FROM c LEFT JOIN sampled x ON x.currency = c.currency
     GROUP BY c.currency
     ORDER BY kind, currency, account_id`,
  );
  const scatter: CustomerScatter = { points: [], totals: [] };
  for (const row of rows) {
    if (row.kind === "point")
      scatter.points.push({
        accountId: Number(row.account_id),
        currency: text(row.currency),
        frequency: integer(row.frequency),
        monetary: integer(row.monetary),
      });
    else
      scatter.totals.push({
        currency: text(row.currency),
        customers: integer(row.account_id),
        orders: integer(row.frequency),
        netRevenue: integer(row.monetary),
        points: integer(row.points),
      });
  }
  return scatter;
}

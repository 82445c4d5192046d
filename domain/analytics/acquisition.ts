import { sql } from "drizzle-orm";
import type { VerbContext } from "../core/verb.ts";
import { average, integer, ratio } from "./figures.ts";
import {
  type AnalyticsWindow,
  checkWindow,
  countedOrders,
  inRange,
  type Row,
  rowsOf,
  text,
  textOrNull,
} from "./window.ts";

/** The horizons of "LTV at N days". */
export const ltvHorizons = [90, 180, 365] as const;
export type LtvHorizon = (typeof ltvHorizons)[number];

/** An account's source in the comparison: its classification, `unclassified` before the first run. */
export type ComparedSource = "organic" | "influencer" | "unclassified";

export interface LtvAtHorizon {
  days: LtvHorizon;
  /** Customers whose first order is at least `days` days before `asOf`: the only ones counted. */
  customers: number;
  /** Σ net revenue of their orders placed within `days` days of their first order. */
  netRevenue: number;
  /** netRevenue / customers, minor units, rounded half away from zero; null without customers. */
  ltv: number | null;
}

/** How the customers of one group (a source or an influencer) in one currency bought. */
export interface AcquisitionFigures {
  currency: string;
  customers: number;
  orders: number;
  netRevenue: number;
  /** net revenue / orders, minor units, rounded half away from zero. */
  aov: number | null;
  /** Customers with at least two counted orders. */
  repeatCustomers: number;
  /** repeat customers / customers, 4 decimals. */
  repeatRate: number | null;
  ltv: LtvAtHorizon[];
}

export interface AcquisitionComparison {
  sources: (AcquisitionFigures & { source: ComparedSource })[];
  influencers: (AcquisitionFigures & {
    influencer: { id: number; name: string; handle: string | null };
  })[];
}

const day = 86_400_000;

/**
 * Organic vs influencer (README: acquisition): the customers acquired (first counted order) in the
 * range, per currency, by acquisition source and per influencer. One statement: the brand's orders once,
 * summed per customer, joined to the accounts' classifications by account id and grouped both ways at
 * once (grouping sets); the influencers named by id.
 */
export async function compareAcquisition({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow;
}): Promise<AcquisitionComparison> {
  checkWindow(ctx, input);
  const asOf = input.asOf.getTime();
  const horizonColumns = ltvHorizons.map(
    (days) =>
      sql`, count(*) FILTER (WHERE p.first_at <= ${new Date(asOf - days * day).toISOString()}::timestamptz) AS customers_${sql.raw(String(days))},
          sum(p.net_${sql.raw(String(days))}) FILTER (WHERE p.first_at <= ${new Date(asOf - days * day).toISOString()}::timestamptz) AS net_${sql.raw(String(days))}`,
  );
  const horizonSums = ltvHorizons.map(
    (days) =>
      sql`, sum(o.net) FILTER (WHERE o.placed_at < o.first_at + ${days * 24} * interval '1 hour') AS net_${sql.raw(String(days))}`,
  );
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input)}),
    p AS (
      SELECT o.account_id, o.currency, min(o.first_at) AS first_at, count(*) AS orders, sum(o.net) AS net
             ${sql.join(horizonSums, sql``)}
        FROM o
       WHERE ${inRange("o.first_at", input)}
       GROUP BY o.account_id, o.currency
    ),
    groups AS (
      SELECT p.currency, coalesce(aa.source::text, 'unclassified') AS source, aa.influencer_id,
             GROUPING(aa.influencer_id) AS by_source,
             count(*) AS customers, sum(p.orders) AS orders, sum(p.net) AS net,
             count(*) FILTER (WHERE p.orders >= 2) AS repeat_customers
             ${sql.join(horizonColumns, sql``)}
        FROM p
        LEFT JOIN account_acquisition aa ON aa.account_id = p.account_id
       GROUP BY GROUPING SETS ((p.currency, coalesce(aa.source::text, 'unclassified')), (p.currency, aa.influencer_id))
    )
    SELECT g.*, i.name AS influencer_name, i.handle AS influencer_handle
      FROM groups g
      LEFT JOIN influencers i ON i.id = g.influencer_id AND g.by_source = 0
     WHERE g.by_source = 1 OR g.influencer_id IS NOT NULL
     ORDER BY g.by_source DESC, g.source, i.name, g.influencer_id, g.currency`,
  );
  const comparison: AcquisitionComparison = { sources: [], influencers: [] };
  for (const row of rows) {
    const figures = toFigures(row);
    if (Number(row.by_source) === 1)
      comparison.sources.push({ source: text(row.source) as ComparedSource, ...figures });
    else
      comparison.influencers.push({
        influencer: {
          id: Number(row.influencer_id),
          name: text(row.influencer_name),
          handle: textOrNull(row.influencer_handle),
        },
        ...figures,
      });
  }
  return comparison;
}

function toFigures(row: Row): AcquisitionFigures {
  return {
    currency: text(row.currency),
    customers: integer(row.customers),
    orders: integer(row.orders),
    netRevenue: integer(row.net),
    aov: average(row.net, row.orders),
    repeatCustomers: integer(row.repeat_customers),
    repeatRate: ratio(row.repeat_customers, row.customers),
    ltv: ltvHorizons.map((days) => ({
      days,
      customers: integer(row[`customers_${days}`]),
      netRevenue: integer(row[`net_${days}`]),
      ltv: average(row[`net_${days}`], row[`customers_${days}`]),
    })),
  };
}

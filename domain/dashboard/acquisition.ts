import { sql } from "drizzle-orm";
import { pgArray } from "../../db/sql.ts";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { chooseCurrency, dayWindow } from "./window.ts";

export const acquisitionSources = ["organic", "influencer", "unclassified"] as const;
export type AcquisitionSource = (typeof acquisitionSources)[number];

export interface SourceDay {
  day: string;
  /** Σ order totals per source, minor units. */
  revenue: Record<AcquisitionSource, number>;
}

export interface SourceTotals {
  source: AcquisitionSource;
  orders: number;
  revenue: number;
  refunded: number;
  newCustomers: number;
}

export interface LtvMonth {
  /** First of the acquisition month. */
  month: string;
  source: AcquisitionSource;
  accounts: number;
  netRevenue: number;
  avgLtv: number;
}

/** One bin of the frequency × monetary scatter. */
export interface ScatterBin {
  /** Index into `frequencyBins`. */
  frequency: number;
  /** Index into `monetaryBins`. */
  monetary: number;
  /** Accounts of the sample in the bin. */
  sampled: number;
  /** The bin's accounts estimated for the whole brand: each sampled account weighs its R×F cell's count / the cell's sample. */
  estimated: number;
}

export interface BinEdge {
  /** Inclusive lower bound. */
  from: number;
  /** Exclusive upper bound; null for the last bin. */
  to: number | null;
}

export interface Acquisition {
  brandId: number;
  from: string;
  to: string;
  currencies: string[];
  currency: string | null;
  days: SourceDay[];
  totals: SourceTotals[];
  /** The run date of the LTV snapshot; null when there is none. */
  ltvAsOf: string | null;
  ltv: LtvMonth[];
  scatter: {
    /** The scores' run date; null when nothing is scored. */
    asOf: string | null;
    /** Scored accounts of the brand in the currency. */
    accounts: number;
    sampled: number;
    /** At most this many accounts are read from each of the 25 R×F cells. */
    perCell: number;
    frequencyBins: BinEdge[];
    monetaryBins: BinEdge[];
    bins: ScatterBin[];
  };
}

/** Orders per account: 1, 2, 3, 4, 5–6, 7–9, 10+. */
export const frequencyBounds = [2, 3, 4, 5, 7, 10] as const;
/** Monetary in minor units on a 1-2-5 scale from 1 to 5 × 10¹²; below 1 (nothing net) is its own bin. */
export const monetaryBounds: readonly number[] = Array.from({ length: 13 }, (_, decade) =>
  [1, 2, 5].map((step) => step * 10 ** decade),
).flat();

const edges = (bounds: readonly number[], first: number): BinEdge[] =>
  [first, ...bounds].map((from, index) => ({ from, to: bounds[index] ?? null }));

/** How many accounts the scatter reads from each R×F cell: 25 cells × 1,000 at most, at any size of brand. */
export const scatterSamplePerCell = 1000;

const isSource = (value: string): value is AcquisitionSource =>
  (acquisitionSources as readonly string[]).includes(value);

/**
 * The acquisition tab: organic vs influencer per day and in total from `daily_revenue` by source, the LTV
 * of each acquisition month from the latest `ltv_by_acquisition_month` snapshot, and the frequency ×
 * monetary scatter binned from `account_rfm`. The scatter reads a stratified sample (at most
 * {@link scatterSamplePerCell} accounts of each R×F cell, by the `account_rfm_brand_cell_idx` index) and
 * weighs each by its cell's size from `rfm_cells`, so its cost does not grow with the brand; when no cell
 * holds more than the sample, the counts are exact.
 */
export async function dashboardAcquisition({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number; to: string; days: number; currency?: string | undefined };
}): Promise<Acquisition> {
  assertBrand(ctx.principal, input.brandId);
  const window = dayWindow(input.to, input.days);
  const revenue = await ctx.db.execute<{
    day: string;
    source: string;
    currency: string;
    orders: number | string;
    revenue: number | string;
    refunded: number | string;
    new_customers: number | string;
  }>(sql`
    SELECT day::text AS day, source, currency, sum(orders) AS orders, sum(revenue) AS revenue,
           sum(refunded) AS refunded, sum(new_customers) AS new_customers
      FROM daily_revenue
     WHERE brand_id = ${input.brandId} AND day BETWEEN ${window.from}::date AND ${window.to}::date
     GROUP BY day, source, currency`);
  const ordersByCurrency = new Map<string, number>();
  for (const row of revenue.rows)
    ordersByCurrency.set(row.currency, (ordersByCurrency.get(row.currency) ?? 0) + Number(row.orders));
  const currency = chooseCurrency(ordersByCurrency, input.currency);
  const zero = (): Record<AcquisitionSource, number> => ({ organic: 0, influencer: 0, unclassified: 0 });
  const byDay = new Map(window.days.map((day) => [day, zero()]));
  const totals = new Map(
    acquisitionSources.map((source) => [
      source,
      { source, orders: 0, revenue: 0, refunded: 0, newCustomers: 0 } as SourceTotals,
    ]),
  );
  for (const row of revenue.rows) {
    if (row.currency !== currency || !isSource(row.source)) continue;
    const day = byDay.get(row.day);
    if (day) day[row.source] += Number(row.revenue);
    const total = totals.get(row.source);
    if (!total) continue;
    total.orders += Number(row.orders);
    total.revenue += Number(row.revenue);
    total.refunded += Number(row.refunded);
    total.newCustomers += Number(row.new_customers);
  }

  // The snapshot table holds one run date; its rows of this brand and currency only.
  const ltv = await ctx.db.execute<{
    as_of: string;
    month: string;
    source: string;
    accounts: number | string;
    net_revenue: number | string;
    avg_ltv: number | string;
  }>(sql`
    SELECT as_of::text AS as_of, acquisition_month::text AS month, source, accounts, net_revenue, avg_ltv
      FROM ltv_by_acquisition_month
     WHERE brand_id = ${input.brandId} AND currency = ${currency}::char(3)
       AND as_of = (SELECT max(as_of) FROM ltv_by_acquisition_month WHERE brand_id = ${input.brandId})
     ORDER BY acquisition_month, source`);

  const scatter = await ctx.db.execute<{
    f_bin: number | string | null;
    m_bin: number | string | null;
    sampled: number | string;
    estimated: number | string;
    accounts: number | string;
    as_of: string | null;
  }>(sql`
    WITH cells AS (
      SELECT r, f, accounts, as_of FROM rfm_cells WHERE brand_id = ${input.brandId} AND currency = ${currency}::char(3)
    ), sample AS (
      SELECT c.r, c.f, c.accounts, s.frequency, s.monetary
        FROM cells c
        CROSS JOIN LATERAL (
          SELECT a.frequency, a.monetary FROM account_rfm a
           WHERE a.brand_id = ${input.brandId} AND a.r = c.r AND a.f = c.f AND a.currency = ${currency}::char(3)
           ORDER BY a.account_id LIMIT ${scatterSamplePerCell}) s
    ), weighted AS (
      SELECT frequency, monetary, accounts::numeric / count(*) OVER (PARTITION BY r, f) AS weight FROM sample
    )
    SELECT width_bucket(frequency, ${pgArray([...frequencyBounds])}::int[]) AS f_bin,
           width_bucket(monetary, ${pgArray([...monetaryBounds])}::bigint[]) AS m_bin,
           count(*) AS sampled, round(sum(weight)) AS estimated,
           (SELECT coalesce(sum(accounts), 0) FROM cells) AS accounts, (SELECT max(as_of)::text FROM cells) AS as_of
      FROM weighted GROUP BY 1, 2
    UNION ALL
    SELECT NULL, NULL, 0, 0, (SELECT coalesce(sum(accounts), 0) FROM cells), (SELECT max(as_of)::text FROM cells)
     ORDER BY 1, 2`);
  const summary = scatter.rows.find((row) => row.f_bin === null);
  const bins = scatter.rows
    .filter((row) => row.f_bin !== null && row.m_bin !== null)
    .map((row) => ({
      frequency: Number(row.f_bin),
      monetary: Number(row.m_bin),
      sampled: Number(row.sampled),
      estimated: Number(row.estimated),
    }));
  return {
    brandId: input.brandId,
    from: window.from,
    to: window.to,
    currencies: [...ordersByCurrency.keys()].sort(),
    currency,
    days: window.days.map((day) => ({ day, revenue: byDay.get(day) ?? zero() })),
    totals: [...totals.values()],
    ltvAsOf: ltv.rows[0]?.as_of ?? null,
    ltv: ltv.rows.flatMap((row) =>
      isSource(row.source)
        ? [
            {
              month: row.month,
              source: row.source,
              accounts: Number(row.accounts),
              netRevenue: Number(row.net_revenue),
              avgLtv: Number(row.avg_ltv),
            },
          ]
        : [],
    ),
    scatter: {
      asOf: summary?.as_of ?? null,
      accounts: Number(summary?.accounts ?? 0),
      sampled: bins.reduce((sum, bin) => sum + bin.sampled, 0),
      perCell: scatterSamplePerCell,
      frequencyBins: edges(frequencyBounds, 1),
      monetaryBins: edges(monetaryBounds, 0),
      bins,
    },
  };
}

import { sql } from "drizzle-orm";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { type BinEdge, frequencyBins, monetaryBins } from "../rfm/scatter.ts";
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

/** One bin of the frequency × monetary scatter: exact, as of the scores' run date. */
export interface ScatterBin {
  /** Index into `frequencyBins`. */
  frequency: number;
  /** Index into `monetaryBins`. */
  monetary: number;
  /** Scored accounts in the bin. */
  accounts: number;
  /** Σ their net revenue (monetary), minor units. */
  netRevenue: number;
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
    /** Scored accounts of the brand in the currency (the sum of the bins). */
    accounts: number;
    frequencyBins: readonly BinEdge[];
    monetaryBins: readonly BinEdge[];
    bins: ScatterBin[];
  };
}

const isSource = (value: string): value is AcquisitionSource =>
  (acquisitionSources as readonly string[]).includes(value);

/**
 * The acquisition tab: organic vs influencer per day and in total from `daily_revenue` by source, the LTV
 * of each acquisition month from the latest `ltv_by_acquisition_month` snapshot, and the frequency ×
 * monetary scatter from `rfm_scatter_bins`, the exact per-bin counts the RFM recompute stores with the
 * scores (at most 7 × 40 rows, so its cost does not grow with the brand).
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
    f_bin: number | string;
    m_bin: number | string;
    accounts: number | string;
    monetary: number | string;
    as_of: string;
  }>(sql`
    SELECT f_bin, m_bin, accounts, monetary, as_of::text AS as_of
      FROM rfm_scatter_bins
     WHERE brand_id = ${input.brandId} AND currency = ${currency}::char(3)
     ORDER BY f_bin, m_bin`);
  const bins = scatter.rows.map((row) => ({
    frequency: Number(row.f_bin),
    monetary: Number(row.m_bin),
    accounts: Number(row.accounts),
    netRevenue: Number(row.monetary),
  }));
  // One recompute writes a brand's bins; the latest run date if a partial write ever left two.
  const scatterAsOf = scatter.rows.reduce<string | null>(
    (latest, row) => (latest === null || row.as_of > latest ? row.as_of : latest),
    null,
  );
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
      asOf: scatterAsOf,
      accounts: bins.reduce((sum, bin) => sum + bin.accounts, 0),
      frequencyBins,
      monetaryBins,
      bins,
    },
  };
}

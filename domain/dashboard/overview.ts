import { sql } from "drizzle-orm";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { chooseCurrency, dayWindow } from "./window.ts";

export interface RevenueDay {
  day: string;
  orders: number;
  /** Σ order totals, minor units. */
  revenue: number;
  /** Σ refunds paid that day, minor units. */
  refunded: number;
  newCustomers: number;
}

export interface Overview {
  brandId: number;
  from: string;
  to: string;
  /** Every currency the brand has rows in over the window. */
  currencies: string[];
  /** The currency shown; null when the window has no rows. */
  currency: string | null;
  /** Every day of the window, days without rows as zeros. */
  days: RevenueDay[];
  totals: Omit<RevenueDay, "day">;
}

/**
 * The overview tab: a brand's orders, revenue, refunds and new customers per UTC day from the nightly
 * `daily_revenue` (summed over markets and sources), one currency at a time. It reads the aggregate's rows of
 * the window only (at most days × markets × sources × currencies), whatever the number of customers.
 */
export async function dashboardOverview({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number; to: string; days: number; currency?: string | undefined };
}): Promise<Overview> {
  assertBrand(ctx.principal, input.brandId);
  const window = dayWindow(input.to, input.days);
  const result = await ctx.db.execute<{
    day: string;
    currency: string;
    orders: number | string;
    revenue: number | string;
    refunded: number | string;
    new_customers: number | string;
  }>(sql`
    SELECT day::text AS day, currency, sum(orders) AS orders, sum(revenue) AS revenue,
           sum(refunded) AS refunded, sum(new_customers) AS new_customers
      FROM daily_revenue
     WHERE brand_id = ${input.brandId} AND day BETWEEN ${window.from}::date AND ${window.to}::date
     GROUP BY day, currency`);
  const ordersByCurrency = new Map<string, number>();
  for (const row of result.rows)
    ordersByCurrency.set(row.currency, (ordersByCurrency.get(row.currency) ?? 0) + Number(row.orders));
  const currency = chooseCurrency(ordersByCurrency, input.currency);
  const byDay = new Map(result.rows.filter((row) => row.currency === currency).map((row) => [row.day, row]));
  const days = window.days.map((day): RevenueDay => {
    const row = byDay.get(day);
    return {
      day,
      orders: Number(row?.orders ?? 0),
      revenue: Number(row?.revenue ?? 0),
      refunded: Number(row?.refunded ?? 0),
      newCustomers: Number(row?.new_customers ?? 0),
    };
  });
  const totals = { orders: 0, revenue: 0, refunded: 0, newCustomers: 0 };
  for (const day of days) {
    totals.orders += day.orders;
    totals.revenue += day.revenue;
    totals.refunded += day.refunded;
    totals.newCustomers += day.newCustomers;
  }
  return {
    brandId: input.brandId,
    from: window.from,
    to: window.to,
    currencies: [...ordersByCurrency.keys()].sort(),
    currency,
    days,
    totals,
  };
}

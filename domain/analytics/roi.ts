import { integer, returnOnDiscount } from "./figures.ts";
import { type Row, text } from "./window.ts";

/** Whether an order was the account's first counted order (a new customer's) or a later one. */
export const customerTypes = ["new", "existing"] as const;
export type CustomerType = (typeof customerTypes)[number];

/** What the orders of one coupon or campaign, currency and customer type brought and cost. */
export interface RoiFigures {
  currency: string;
  customerType: CustomerType;
  orders: number;
  /** Distinct accounts among those orders. */
  customers: number;
  /** Σ order totals: what was invoiced. */
  revenue: number;
  /** Σ credited totals of the same orders: invoiced money taken back by credit notes (refunds). */
  refunds: number;
  /** revenue − refunds. */
  netRevenue: number;
  discountCost: number;
  /** (net revenue − discount cost) / discount cost, 4 decimals; null without a discount cost. */
  roi: number | null;
}

/**
 * The SELECT list of an ROI statement over the counted orders `o` (window.ts) joined to what they are
 * grouped by; `discount` is the discount cost expression of one joined row.
 */
export const roiAggregates = (discount: string): string => `
  o.currency, CASE WHEN o.seq = 1 THEN 'new' ELSE 'existing' END AS customer_type,
  count(*) AS orders, count(DISTINCT o.account_id) AS customers,
  sum(o.total) AS revenue, sum(o.credited_total) AS refunds, sum(${discount}) AS discount_cost`;

export function toRoiFigures(row: Row): RoiFigures {
  const revenue = integer(row.revenue);
  const refunds = integer(row.refunds);
  const discountCost = integer(row.discount_cost);
  return {
    currency: text(row.currency),
    customerType: text(row.customer_type) as CustomerType,
    orders: integer(row.orders),
    customers: integer(row.customers),
    revenue,
    refunds,
    netRevenue: revenue - refunds,
    discountCost,
    roi: returnOnDiscount(revenue - refunds, discountCost),
  };
}

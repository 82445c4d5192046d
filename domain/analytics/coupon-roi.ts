import { sql } from "drizzle-orm";
import type { VerbContext } from "../core/verb.ts";
import { type RoiFigures, roiAggregates, toRoiFigures } from "./roi.ts";
import { type AnalyticsWindow, checkWindow, countedOrders, inRange, rowsOf, text } from "./window.ts";

export interface CouponRoi extends RoiFigures {
  coupon: { id: number; code: string };
}

/**
 * Coupon ROI split new vs existing customers (README: coupon ROI): per coupon, currency and customer
 * type, the counted orders placed in the range that used the coupon, their revenue, refunds and net
 * revenue, and the discount the store attributed to the coupon on them (`order_coupons.discount`). An
 * order with two coupons counts in full for each. One statement: the brand's orders once (the window
 * decides which order was each account's first), their coupon rows by order, the coupons by id.
 */
export async function couponRoi({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow;
}): Promise<CouponRoi[]> {
  checkWindow(ctx, input);
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input)})
    SELECT c.id AS coupon_id, c.code, ${sql.raw(roiAggregates("oc.discount"))}
      FROM o
      JOIN order_coupons oc ON oc.order_id = o.id
      JOIN coupons c ON c.id = oc.coupon_id
     WHERE ${inRange("o.placed_at", input)}
     GROUP BY c.id, c.code, o.currency, customer_type
     ORDER BY c.code, c.id, o.currency, customer_type DESC`,
  );
  return rows.map((row) => ({
    coupon: { id: Number(row.coupon_id), code: text(row.code) },
    ...toRoiFigures(row),
  }));
}

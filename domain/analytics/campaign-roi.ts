import { sql } from "drizzle-orm";
import type { VerbContext } from "../core/verb.ts";
import { type RoiFigures, roiAggregates, toRoiFigures } from "./roi.ts";
import { type AnalyticsWindow, checkWindow, countedOrders, inRange, rowsOf, text } from "./window.ts";

export interface CampaignRoi extends RoiFigures {
  campaign: { id: number; code: string; name: string };
}

/**
 * Campaign ROI split new vs existing customers (README: campaign ROI): per campaign, currency and
 * customer type, the counted orders placed in the range that name the campaign, their revenue, refunds
 * and net revenue, and their discounts (`orders.discount_total`) as the discount cost. One statement:
 * the brand's orders once, the campaigns by id.
 */
export async function campaignRoi({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: AnalyticsWindow;
}): Promise<CampaignRoi[]> {
  checkWindow(ctx, input);
  const rows = await rowsOf(
    ctx,
    sql`
    WITH o AS (${countedOrders(input)})
    SELECT k.id AS campaign_id, k.code, k.name, ${sql.raw(roiAggregates("o.discount_total"))}
      FROM o
      JOIN campaigns k ON k.id = o.campaign_id
     WHERE ${inRange("o.placed_at", input)}
     GROUP BY k.id, k.code, k.name, o.currency, customer_type
     ORDER BY k.code, k.id, o.currency, customer_type DESC`,
  );
  return rows.map((row) => ({
    campaign: { id: Number(row.campaign_id), code: text(row.code), name: text(row.name) },
    ...toRoiFigures(row),
  }));
}

import { sql } from "drizzle-orm";
import { NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import {
  type ArmFunnel,
  type FunnelStage,
  funnelOf,
  funnelStages,
  funnelTotals,
  type StageCounts,
} from "./funnel.ts";

/** What the funnel reads of a campaign. */
export interface CampaignFacts {
  id: number;
  brandId: number;
  name: string;
  status: string;
  launchedAt: Date | null;
  completedAt: Date | null;
  goalWindowDays: number;
}

/** A campaign visible to the caller (404 when there is none, 403 outside its brands). */
export async function visibleCampaign(ctx: VerbContext, id: number): Promise<CampaignFacts> {
  const result = await ctx.db.execute<{
    id: number | string;
    brand_id: number | string;
    name: string;
    status: string;
    launched_at: string | Date | null;
    completed_at: string | Date | null;
    goal_window_days: number | string;
  }>(sql`
    SELECT id, brand_id, name, status::text AS status, launched_at, completed_at, goal_window_days
      FROM message_campaigns WHERE id = ${id}`);
  const row = result.rows[0];
  if (!row) throw new NotFound("message campaign");
  const campaign: CampaignFacts = {
    id: Number(row.id),
    brandId: Number(row.brand_id),
    name: row.name,
    status: row.status,
    launchedAt: row.launched_at === null ? null : new Date(row.launched_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
    goalWindowDays: Number(row.goal_window_days),
  };
  assertBrand(ctx.principal, campaign.brandId);
  return campaign;
}

/** One run date's stored funnel (message_funnel_daily), per arm. */
export interface FunnelDay {
  asOf: string;
  computedAt: Date;
  arms: (StageCounts & { arm: number; name: string })[];
}

export interface CampaignFunnel {
  campaign: CampaignFacts;
  asOf: Date;
  arms: ArmFunnel[];
  totals: StageCounts;
  /** Oldest first. */
  series: FunnelDay[];
}

/**
 * The funnel of a campaign per arm, counted live as of `now` (the visits' read and one counting statement),
 * with its totals, and the stored daily series the nightly `message-funnel` job wrote, oldest first.
 */
export async function getCampaignFunnel({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number; alphabet: string; now?: Date };
}): Promise<CampaignFunnel> {
  const campaign = await visibleCampaign(ctx, input.id);
  const asOf = input.now ?? new Date();
  const arms = await funnelOf(ctx.db, campaign, asOf, input.alphabet);
  const stored = await ctx.db.execute<
    Record<FunnelStage, number | string> & {
      as_of: string;
      arm: number | string;
      name: string | null;
      computed_at: string | Date;
    }
  >(sql`
    SELECT d.as_of::text AS as_of, d.arm, a.name, d.computed_at,
           d.targeted, d.sent, d.delivered, d.opened, d.clicked, d.visited, d.carted, d.purchased
      FROM message_funnel_daily d
      LEFT JOIN message_campaign_arms a ON a.message_campaign_id = d.message_campaign_id AND a.position = d.arm
     WHERE d.message_campaign_id = ${campaign.id}
     ORDER BY d.as_of, d.arm`);
  const series: FunnelDay[] = [];
  for (const row of stored.rows) {
    let day = series[series.length - 1];
    if (day?.asOf !== row.as_of) {
      day = { asOf: row.as_of, computedAt: new Date(row.computed_at), arms: [] };
      series.push(day);
    }
    const computedAt = new Date(row.computed_at);
    if (computedAt > day.computedAt) day.computedAt = computedAt;
    const counts = Object.fromEntries(
      funnelStages.map((stage) => [stage, Number(row[stage])]),
    ) as StageCounts;
    day.arms.push({ arm: Number(row.arm), name: row.name ?? String(row.arm), ...counts });
  }
  return { campaign, asOf, arms, totals: funnelTotals(arms), series };
}

import { sql } from "drizzle-orm";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { type FunnelStage, funnelOf, funnelStages, type StageCounts } from "../funnel/funnel.ts";

export type ArmRole = "control" | "variant" | "holdout";

export interface DashboardArm extends StageCounts {
  arm: number;
  name: string;
  role: ArmRole;
}

/**
 * Where a campaign's funnel comes from: `stored`, the nightly `message-funnel` row of its latest run date
 * (a read of one row per arm, the same at any size); `live`, counted now because no night has counted it
 * yet, it was launched in the last {@link liveFunnelHours} hours and it is small enough ({@link liveFunnelMembers}
 * members at most) to count during the request; `none`, not counted (not launched, too large, or too old).
 */
export type FunnelSource = "stored" | "live" | "none";

export interface DashboardCampaign {
  id: number;
  name: string;
  status: string;
  launchedAt: Date | null;
  memberCount: number | null;
  source: FunnelSource;
  /** The stored run date (`stored`) or the instant counted (`live`). */
  asOf: string | null;
  arms: DashboardArm[];
}

/** The largest campaign whose funnel is counted during a page request (its counting reads its members). */
export const liveFunnelMembers = 5000;
/**
 * Only a campaign launched this recently is counted live: before its first night. The count reads the landing
 * captures since the launch, so an old campaign the nightly job never counted (e.g. completed before it ran)
 * is not counted during a request.
 */
export const liveFunnelHours = 48;
/** At most this many live counts per page, so a page of new campaigns stays quick. */
const maxLiveCounts = 3;
export const campaignListLimit = 20;

type Row = Record<FunnelStage, number | string | null> & {
  id: number | string;
  name: string;
  status: string;
  launched_at: string | Date | null;
  member_count: number | string | null;
  latest: string | null;
  position: number | string | null;
  arm_name: string | null;
  role: ArmRole | null;
  stored: boolean;
};

/**
 * The campaigns tab: the brand's message campaigns (newest first), each with its eight funnel stages per
 * arm. One statement reads the campaigns, their arms and the stored rows of each campaign's latest run date
 * (`message_funnel_daily`'s key); a campaign without a stored day is counted live when it is small.
 */
export async function dashboardCampaigns({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number; alphabet: string; now: Date };
}): Promise<DashboardCampaign[]> {
  assertBrand(ctx.principal, input.brandId);
  const result = await ctx.db.execute<Row>(sql`
    SELECT c.id, c.name, c.status, c.launched_at, c.member_count, l.latest::text AS latest,
           a.position, a.name AS arm_name, a.role::text AS role, d.message_campaign_id IS NOT NULL AS stored,
           d.targeted, d.sent, d.delivered, d.opened, d.clicked, d.visited, d.carted, d.purchased
      FROM (SELECT id, name, status::text AS status, launched_at, member_count FROM message_campaigns
             WHERE brand_id = ${input.brandId} ORDER BY id DESC LIMIT ${campaignListLimit}) c
      LEFT JOIN LATERAL (
        SELECT max(as_of) AS latest FROM message_funnel_daily WHERE message_campaign_id = c.id) l ON TRUE
      LEFT JOIN message_campaign_arms a ON a.message_campaign_id = c.id
      LEFT JOIN message_funnel_daily d
             ON d.message_campaign_id = c.id AND d.arm = a.position AND d.as_of = l.latest
     ORDER BY c.id DESC, a.position`);
  const campaigns: DashboardCampaign[] = [];
  for (const row of result.rows) {
    const id = Number(row.id);
    let campaign = campaigns[campaigns.length - 1];
    if (campaign?.id !== id) {
      campaign = {
        id,
        name: row.name,
        status: row.status,
        launchedAt: row.launched_at === null ? null : new Date(row.launched_at),
        memberCount: row.member_count === null ? null : Number(row.member_count),
        source: row.latest === null ? "none" : "stored",
        asOf: row.latest,
        arms: [],
      };
      campaigns.push(campaign);
    }
    if (row.position === null || row.arm_name === null || row.role === null) continue;
    const counts = Object.fromEntries(
      funnelStages.map((stage) => [stage, Number(row[stage] ?? 0)]),
    ) as StageCounts;
    campaign.arms.push({ arm: Number(row.position), name: row.arm_name, role: row.role, ...counts });
  }
  let live = 0;
  for (const campaign of campaigns) {
    if (campaign.source !== "none" || campaign.launchedAt === null) continue;
    if ((campaign.memberCount ?? 0) > liveFunnelMembers || live >= maxLiveCounts) continue;
    if (input.now.getTime() - campaign.launchedAt.getTime() > liveFunnelHours * 3_600_000) continue;
    live += 1;
    const arms = await funnelOf(
      ctx.db,
      { id: campaign.id, brandId: input.brandId, launchedAt: campaign.launchedAt },
      input.now,
      input.alphabet,
    );
    campaign.source = "live";
    campaign.asOf = input.now.toISOString();
    campaign.arms = arms.map((arm) => ({ ...arm }));
  }
  return campaigns;
}

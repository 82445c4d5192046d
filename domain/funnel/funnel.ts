import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import { decodeLinkToken, linkTokenParam } from "../messaging/links.ts";

/**
 * The eight-stage message-response funnel (SPEC §13) of a campaign per arm, as of an instant. A member counts
 * once per stage; the definitions are the contract's (README of this folder):
 * targeted (members), sent (handed to and accepted by the provider), delivered, opened (any request for the
 * tracked link, link previews included), clicked (a request that is not a bot), visited (a landing capture
 * carrying the send's token after it was sent), carted (an abandoned cart in the goal window, or purchased)
 * and purchased (an order not cancelled placed in the goal window).
 */

export const funnelStages = [
  "targeted",
  "sent",
  "delivered",
  "opened",
  "clicked",
  "visited",
  "carted",
  "purchased",
] as const;
export type FunnelStage = (typeof funnelStages)[number];
export type StageCounts = Record<FunnelStage, number>;

export interface ArmFunnel extends StageCounts {
  /** The arm's position (what members, sends and tokens carry). */
  arm: number;
  name: string;
  role: "control" | "variant" | "holdout";
}

/** The campaign facts the counting statements need. */
export interface FunnelCampaign {
  id: number;
  brandId: number;
  launchedAt: Date | null;
}

/** A send whose token a landing capture carried, with the latest such capture before the instant. */
export interface Visit {
  sendId: number;
  arm: number;
  lastAt: string;
}

/**
 * The sends of `campaign` whose token (`lr_m`) landing captures carried, received from the launch until
 * `asOf`, with the latest such capture per send. Only captures of the campaign's brand that are not a bot's
 * (outcome `bot`) count: a link forwarded to another brand's landing, or a crawler following it, is no
 * visit. The tokens are decoded here (sqids cannot be decoded in SQL): one read of the captures of that
 * period that carry any token (captures_received_idx), grouped by token; tokens of other campaigns, and
 * values that are not canonical tokens, are left out.
 */
export async function campaignVisits(
  db: Pick<Executor, "execute">,
  campaign: FunnelCampaign,
  asOf: Date,
  alphabet: string,
): Promise<Visit[]> {
  if (campaign.launchedAt === null || campaign.launchedAt >= asOf) return [];
  const result = await db.execute<{ token: string; last_at: string | Date }>(sql`
    SELECT m.extra->>${linkTokenParam} AS token, max(c.received_at) AS last_at
      FROM captures c JOIN capture_marketing m ON m.capture_id = c.id
     WHERE c.received_at >= ${campaign.launchedAt.toISOString()}::timestamptz
       AND c.received_at < ${asOf.toISOString()}::timestamptz
       AND c.brand_id = ${campaign.brandId} AND c.outcome <> 'bot'
       AND m.extra ? ${linkTokenParam}
     GROUP BY 1`);
  const visits: Visit[] = [];
  for (const row of result.rows) {
    const token = decodeLinkToken(alphabet, row.token);
    if (token === null || token.messageCampaignId !== campaign.id) continue;
    const lastAt = row.last_at instanceof Date ? row.last_at.toISOString() : String(row.last_at);
    visits.push({ sendId: token.sendId, arm: token.arm, lastAt });
  }
  return visits;
}

/**
 * The members of the campaign assigned before `asOf`, each with its goal window's end, and the members that
 * purchased in their window by `asOf` (an order of their account, not cancelled by then, placed in
 * [assigned_at, assigned_at + goal_window_days)). The CTEs `funnel_campaign`, `member` and `bought`, shared by
 * the funnel and the experiment counts. Both read members by message_campaign_members' primary key
 * (campaign, account) and orders by orders_account_idx (account_id, placed_at).
 */
function memberCtes(campaignId: number, asOf: string): SQL {
  return sql`
    funnel_campaign AS (
      SELECT id, brand_id, goal_window_days * interval '1 day' AS goal_window
        FROM message_campaigns WHERE id = ${campaignId}
    ),
    member AS (
      SELECT mm.account_id, mm.contact_id, mm.arm, mm.assigned_at, mm.assigned_at + fc.goal_window AS goal_end
        FROM message_campaign_members mm CROSS JOIN funnel_campaign fc
       WHERE mm.message_campaign_id = ${campaignId} AND mm.assigned_at < ${asOf}::timestamptz
    ),
    bought AS (
      SELECT DISTINCT m.account_id
        FROM member m
        JOIN orders o ON o.account_id = m.account_id
             AND o.placed_at >= m.assigned_at AND o.placed_at < m.goal_end
             AND o.placed_at < ${asOf}::timestamptz
             AND (o.cancelled_at IS NULL OR o.cancelled_at >= ${asOf}::timestamptz)
    )`;
}

/**
 * The funnel's rows per arm as one SELECT (every arm of the campaign, in position order, zeros for an arm
 * without members), for `funnelOf` and for the nightly job's INSERT … SELECT. Statuses are read as they
 * are, with their times: a send counts as sent once `sent_at` < asOf and its status is one the provider
 * accepted (accepted, pending, delivered, failed), as delivered when its status is delivered and
 * `final_at` < asOf; clicks and carts count when they happened before asOf.
 */
export function funnelSelect(campaignId: number, asOf: Date, visits: readonly Visit[]): SQL {
  const at = asOf.toISOString();
  const visitRows = visits.map((visit) => ({ send_id: visit.sendId, arm: visit.arm, last_at: visit.lastAt }));
  return sql`
    WITH ${memberCtes(campaignId, at)},
    visit AS (
      SELECT send_id, arm, max(last_at) AS last_at
        FROM ${recordset(visitRows, "send_id bigint, arm smallint, last_at timestamptz")}
       GROUP BY send_id, arm
    ),
    clicked AS (
      SELECT send_id, bool_or(NOT bot) AS human
        FROM message_clicks
       WHERE message_campaign_id = ${campaignId} AND at < ${at}::timestamptz
       GROUP BY send_id
    ),
    carted AS (
      SELECT DISTINCT m.account_id
        FROM member m CROSS JOIN funnel_campaign fc
        JOIN abandoned_carts ac ON ac.brand_id = fc.brand_id AND ac.contact_id = m.contact_id
             AND ac.abandoned_at >= m.assigned_at AND ac.abandoned_at < m.goal_end
             AND ac.abandoned_at < ${at}::timestamptz
    ),
    per_arm AS (
      SELECT m.arm,
             count(*) AS targeted,
             count(*) FILTER (WHERE s.status IN ('accepted', 'pending', 'delivered', 'failed')
                                AND s.sent_at < ${at}::timestamptz) AS sent,
             count(*) FILTER (WHERE s.status = 'delivered'
                                AND coalesce(s.final_at, s.sent_at) < ${at}::timestamptz) AS delivered,
             count(k.send_id) AS opened,
             count(k.send_id) FILTER (WHERE k.human) AS clicked,
             count(v.send_id) FILTER (WHERE v.last_at > s.sent_at) AS visited,
             count(*) FILTER (WHERE b.account_id IS NOT NULL OR c.account_id IS NOT NULL) AS carted,
             count(b.account_id) AS purchased
        FROM member m
        LEFT JOIN message_sends s ON s.message_campaign_id = ${campaignId} AND s.account_id = m.account_id
        LEFT JOIN clicked k ON k.send_id = s.id
        LEFT JOIN visit v ON v.send_id = s.id AND v.arm = s.arm
        LEFT JOIN bought b ON b.account_id = m.account_id
        LEFT JOIN carted c ON c.account_id = m.account_id
       GROUP BY m.arm
    )
    SELECT a.message_campaign_id, a.position AS arm, a.name, a.role::text AS role,
           coalesce(p.targeted, 0)::int AS targeted, coalesce(p.sent, 0)::int AS sent,
           coalesce(p.delivered, 0)::int AS delivered, coalesce(p.opened, 0)::int AS opened,
           coalesce(p.clicked, 0)::int AS clicked, coalesce(p.visited, 0)::int AS visited,
           coalesce(p.carted, 0)::int AS carted, coalesce(p.purchased, 0)::int AS purchased
      FROM message_campaign_arms a LEFT JOIN per_arm p ON p.arm = a.position
     WHERE a.message_campaign_id = ${campaignId}`;
}

type FunnelRow = {
  arm: number | string;
  name: string;
  role: ArmFunnel["role"];
  targeted: number | string;
  sent: number | string;
  delivered: number | string;
  opened: number | string;
  clicked: number | string;
  visited: number | string;
  carted: number | string;
  purchased: number | string;
};

function toArmFunnel(row: FunnelRow): ArmFunnel {
  const counts = Object.fromEntries(funnelStages.map((stage) => [stage, Number(row[stage])])) as StageCounts;
  return { arm: Number(row.arm), name: row.name, role: row.role, ...counts };
}

/** The funnel of `campaign` per arm as of `asOf`, counted live: the visits' read, then one statement. */
export async function funnelOf(
  db: Pick<Executor, "execute">,
  campaign: FunnelCampaign,
  asOf: Date,
  alphabet: string,
): Promise<ArmFunnel[]> {
  const visits = await campaignVisits(db, campaign, asOf, alphabet);
  const result = await db.execute<FunnelRow & { message_campaign_id: number }>(
    sql`SELECT * FROM (${funnelSelect(campaign.id, asOf, visits)}) f ORDER BY f.arm`,
  );
  return result.rows.map(toArmFunnel);
}

/** Σ over the arms, stage by stage. */
export function funnelTotals(arms: readonly StageCounts[]): StageCounts {
  const totals = Object.fromEntries(funnelStages.map((stage) => [stage, 0])) as StageCounts;
  for (const arm of arms) for (const stage of funnelStages) totals[stage] += arm[stage];
  return totals;
}

/** Each stage's share of `targeted` (null without members). */
export function stageRates(counts: StageCounts): Record<FunnelStage, number | null> {
  return Object.fromEntries(
    funnelStages.map((stage) => [stage, counts.targeted === 0 ? null : counts[stage] / counts.targeted]),
  ) as Record<FunnelStage, number | null>;
}

/** Members and conversions (purchased, intent to treat) of one arm. */
export interface ArmCounts {
  arm: number;
  name: string;
  role: ArmFunnel["role"];
  weight: number;
  n: number;
  conversions: number;
}

/**
 * An experiment's counts per arm as of `asOf`, in one statement: n = every member of the arm (the holdout
 * included, whatever became of its send), conversions = the members that purchased in their goal window.
 */
export async function experimentCounts(
  db: Pick<Executor, "execute">,
  campaignId: number,
  asOf: Date,
): Promise<ArmCounts[]> {
  const at = asOf.toISOString();
  const result = await db.execute<{
    arm: number | string;
    name: string;
    role: ArmFunnel["role"];
    weight: number | string;
    n: number | string;
    conversions: number | string;
  }>(sql`
    WITH ${memberCtes(campaignId, at)},
    per_arm AS (
      SELECT m.arm, count(*) AS n, count(b.account_id) AS conversions
        FROM member m LEFT JOIN bought b ON b.account_id = m.account_id
       GROUP BY m.arm
    )
    SELECT a.position AS arm, a.name, a.role::text AS role, a.weight,
           coalesce(p.n, 0)::int AS n, coalesce(p.conversions, 0)::int AS conversions
      FROM message_campaign_arms a LEFT JOIN per_arm p ON p.arm = a.position
     WHERE a.message_campaign_id = ${campaignId}
     ORDER BY a.position`);
  return result.rows.map((row) => ({
    arm: Number(row.arm),
    name: row.name,
    role: row.role,
    weight: Number(row.weight),
    n: Number(row.n),
    conversions: Number(row.conversions),
  }));
}

import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { jsonParam } from "../../db/sql.ts";
import { recoverAbandonedCarts } from "../commerce/carts.ts";
import {
  evaluateCounts,
  experimentColumns,
  jsonSafe,
  storedLooks,
  toExperimentFacts,
} from "./experiment-results.ts";
import { campaignVisits, experimentCounts, type FunnelCampaign, funnelSelect } from "./funnel.ts";

type Db = Pick<Executor, "execute">;

/**
 * The campaigns a run date counts: launched before the end of the date, and running or paused, or
 * completed while their goal window (from the launch) still reached into the date — after that their
 * funnel and conversions can no longer change.
 */
const liveOn = (start: string, end: string) => sql`
  mc.launched_at IS NOT NULL AND mc.launched_at < ${end}::timestamptz
  AND (mc.status IN ('running', 'paused')
       OR (mc.status = 'completed'
           AND mc.launched_at + mc.goal_window_days * interval '1 day' > ${start}::timestamptz))`;

/**
 * Marks the recovered abandoned carts of every brand with a running campaign (domain/commerce/carts.ts),
 * carts abandoned since its earliest running campaign's launch: one statement per brand. Returns the carts
 * marked.
 */
export async function recoverCartsOfRunningCampaigns(db: Db): Promise<number> {
  const brands = await db.execute<{ brand_id: number | string; since: string | Date }>(sql`
    SELECT brand_id, min(launched_at) AS since FROM message_campaigns
     WHERE status = 'running' AND launched_at IS NOT NULL GROUP BY brand_id ORDER BY brand_id`);
  let marked = 0;
  for (const row of brands.rows)
    marked += await recoverAbandonedCarts(db, {
      brandId: Number(row.brand_id),
      abandonedSince: new Date(row.since),
    });
  return marked;
}

/** The next `limit` campaigns counted on the date, after campaign id `after`. */
export async function liveCampaigns(
  db: Db,
  window: { start: Date; end: Date },
  after: number | null,
  limit: number,
): Promise<FunnelCampaign[]> {
  const result = await db.execute<{
    id: number | string;
    brand_id: number | string;
    launched_at: string | Date;
  }>(sql`
    SELECT mc.id, mc.brand_id, mc.launched_at FROM message_campaigns mc
     WHERE mc.id > ${after ?? 0} AND ${liveOn(window.start.toISOString(), window.end.toISOString())}
     ORDER BY mc.id LIMIT ${limit}`);
  return result.rows.map((row) => ({
    id: Number(row.id),
    brandId: Number(row.brand_id),
    launchedAt: new Date(row.launched_at),
  }));
}

/**
 * Upserts the campaign's message_funnel_daily rows for `date`, counted as of `end` (the end of the date):
 * the visits' read and one INSERT … SELECT of the funnel. A row whose counts did not change is left as it was
 * (its `computed_at` too), so a re-run over the same data writes nothing. Returns the rows written.
 */
export async function writeFunnelDay(
  db: Db,
  campaign: FunnelCampaign,
  date: string,
  end: Date,
  alphabet: string,
): Promise<number> {
  const visits = await campaignVisits(db, campaign, end, alphabet);
  const result = await db.execute(sql`
    INSERT INTO message_funnel_daily AS d
      (message_campaign_id, arm, as_of, targeted, sent, delivered, opened, clicked, visited, carted, purchased, computed_at)
    SELECT f.message_campaign_id, f.arm, ${date}::date, f.targeted, f.sent, f.delivered, f.opened, f.clicked,
           f.visited, f.carted, f.purchased, now()
      FROM (${funnelSelect(campaign.id, end, visits)}) f
    ON CONFLICT (message_campaign_id, arm, as_of) DO UPDATE SET
      targeted = EXCLUDED.targeted, sent = EXCLUDED.sent, delivered = EXCLUDED.delivered,
      opened = EXCLUDED.opened, clicked = EXCLUDED.clicked, visited = EXCLUDED.visited,
      carted = EXCLUDED.carted, purchased = EXCLUDED.purchased, computed_at = EXCLUDED.computed_at
    WHERE (d.targeted, d.sent, d.delivered, d.opened, d.clicked, d.visited, d.carted, d.purchased)
          IS DISTINCT FROM (EXCLUDED.targeted, EXCLUDED.sent, EXCLUDED.delivered, EXCLUDED.opened,
                            EXCLUDED.clicked, EXCLUDED.visited, EXCLUDED.carted, EXCLUDED.purchased)
    RETURNING 1`);
  return result.rows.length;
}

/** The next `limit` experiments whose campaign is counted on the date, after experiment id `after`. */
export async function liveExperiments(
  db: Db,
  window: { start: Date; end: Date },
  after: number | null,
  limit: number,
) {
  const result = await db.execute<Parameters<typeof toExperimentFacts>[0]>(sql`
    SELECT ${experimentColumns} FROM experiments e JOIN message_campaigns mc ON mc.id = e.message_campaign_id
     WHERE e.id > ${after ?? 0} AND ${liveOn(window.start.toISOString(), window.end.toISOString())}
     ORDER BY e.id LIMIT ${limit}`);
  return result.rows.map(toExperimentFacts);
}

/**
 * The experiment's look for `date`: its counts per arm as of `end` (one statement) upserted into
 * experiment_daily_counts, then `evaluate()` with the looks of earlier dates as history, upserted into
 * experiment_evaluations with its verdict kind. Unchanged rows are left as they were. An experiment whose
 * arms `evaluate()` refuses (no control or no variant) gets its counts and no evaluation, and is logged.
 * Returns the rows written.
 */
export async function writeExperimentDay(
  db: Db,
  experiment: ReturnType<typeof toExperimentFacts>,
  date: string,
  end: Date,
): Promise<number> {
  const counts = await experimentCounts(db, experiment.messageCampaignId, end);
  const rows = counts.map((arm) => ({ arm: arm.arm, n: arm.n, conversions: arm.conversions }));
  const written = await db.execute(sql`
    INSERT INTO experiment_daily_counts AS d (experiment_id, as_of, arm, n, conversions)
    SELECT ${experiment.id}, ${date}::date, r.arm, r.n, r.conversions
      FROM jsonb_to_recordset(${jsonParam(rows)}::jsonb) AS r(arm smallint, n integer, conversions integer)
    ON CONFLICT (experiment_id, as_of, arm) DO UPDATE SET n = EXCLUDED.n, conversions = EXCLUDED.conversions
    WHERE (d.n, d.conversions) IS DISTINCT FROM (EXCLUDED.n, EXCLUDED.conversions)
    RETURNING 1`);
  let evaluation: ReturnType<typeof evaluateCounts>;
  try {
    const looks = await storedLooks(db, experiment.id, counts, date);
    evaluation = jsonSafe(evaluateCounts(experiment, counts, looks));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    console.error(
      JSON.stringify({
        event: "batch.experiment_not_evaluated",
        experimentId: experiment.id,
        error: error.message,
      }),
    );
    return written.rows.length;
  }
  const stored = await db.execute(sql`
    INSERT INTO experiment_evaluations AS e (experiment_id, as_of, verdict, result, computed_at)
    VALUES (${experiment.id}, ${date}::date, ${evaluation.verdict.kind}, ${jsonParam(evaluation)}::jsonb, now())
    ON CONFLICT (experiment_id, as_of) DO UPDATE SET
      verdict = EXCLUDED.verdict, result = EXCLUDED.result, computed_at = EXCLUDED.computed_at
    WHERE (e.verdict, e.result) IS DISTINCT FROM (EXCLUDED.verdict, EXCLUDED.result)
    RETURNING 1`);
  return written.rows.length + stored.rows.length;
}

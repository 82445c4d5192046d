import { sql } from "drizzle-orm";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import type { Evaluation } from "../experiments/statistics.ts";

export interface DashboardExperiment {
  id: number;
  key: string;
  campaignId: number;
  campaignName: string;
  campaignStatus: string;
  alpha: number;
  /** The latest stored evaluation (experiment_evaluations, by run date); null before the first night. */
  latest: { asOf: string; computedAt: Date; verdict: string; evaluation: Evaluation } | null;
}

export const experimentListLimit = 20;

/**
 * The experiments tab: the brand's experiments (newest first) with the latest row of the nightly
 * `experiment-evaluation` job, `evaluate()`'s result as stored: per arm its counts, rate and lift with its
 * interval, the SRM check and the verdict. Nothing is recounted, so the tab costs the same at any size.
 */
export async function dashboardExperiments({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number };
}): Promise<DashboardExperiment[]> {
  assertBrand(ctx.principal, input.brandId);
  const result = await ctx.db.execute<{
    id: number | string;
    key: string;
    campaign_id: number | string;
    campaign_name: string;
    campaign_status: string;
    alpha: number | string;
    as_of: string | null;
    computed_at: string | Date | null;
    verdict: string | null;
    result: unknown;
  }>(sql`
    SELECT e.id, e.key, c.id AS campaign_id, c.name AS campaign_name, c.status::text AS campaign_status, e.alpha,
           v.as_of::text AS as_of, v.computed_at, v.verdict, v.result
      FROM experiments e
      JOIN message_campaigns c ON c.id = e.message_campaign_id
      LEFT JOIN LATERAL (
        SELECT as_of, computed_at, verdict, result FROM experiment_evaluations x
         WHERE x.experiment_id = e.id ORDER BY x.as_of DESC LIMIT 1) v ON TRUE
     WHERE e.brand_id = ${input.brandId}
     ORDER BY e.id DESC LIMIT ${experimentListLimit}`);
  return result.rows.map((row) => ({
    id: Number(row.id),
    key: row.key,
    campaignId: Number(row.campaign_id),
    campaignName: row.campaign_name,
    campaignStatus: row.campaign_status,
    alpha: Number(row.alpha),
    latest:
      row.as_of === null || row.computed_at === null || row.verdict === null
        ? null
        : {
            asOf: row.as_of,
            computedAt: new Date(row.computed_at),
            verdict: row.verdict,
            // Written by writeExperimentDay from evaluate()'s result (domain/funnel/nightly.ts).
            evaluation: (typeof row.result === "string" ? JSON.parse(row.result) : row.result) as Evaluation,
          },
  }));
}

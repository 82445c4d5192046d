import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import type { ArmRole } from "../experiments/assignment.ts";
import { type Counts, type Evaluation, type ExperimentDesign, evaluate } from "../experiments/statistics.ts";
import { type ArmCounts, experimentCounts } from "./funnel.ts";

/** An experiment as stored, with its campaign's brand and the design `evaluate()` reads. */
export interface ExperimentFacts {
  id: number;
  brandId: number;
  messageCampaignId: number;
  key: string;
  alpha: number;
  power: number;
  baselineRate: number;
  targetRate: number;
  analysis: "fixed" | "sequential";
  mixingVariance: number | null;
}

type ExperimentRow = {
  id: number | string;
  brand_id: number | string;
  message_campaign_id: number | string;
  key: string;
  alpha: number | string;
  power: number | string;
  baseline_rate: number | string;
  target_rate: number | string;
  analysis: "fixed" | "sequential";
  mixing_variance: number | string | null;
};

export const experimentColumns = sql`e.id, e.brand_id, e.message_campaign_id, e.key, e.alpha, e.power,
  e.baseline_rate, e.target_rate, e.analysis::text AS analysis, e.mixing_variance`;

export function toExperimentFacts(row: ExperimentRow): ExperimentFacts {
  return {
    id: Number(row.id),
    brandId: Number(row.brand_id),
    messageCampaignId: Number(row.message_campaign_id),
    key: row.key,
    alpha: Number(row.alpha),
    power: Number(row.power),
    baselineRate: Number(row.baseline_rate),
    targetRate: Number(row.target_rate),
    analysis: row.analysis,
    mixingVariance: row.mixing_variance === null ? null : Number(row.mixing_variance),
  };
}

/** The experiment's design for `evaluate()`, its arms in position order (the order of their bucket ranges). */
export function designOf(experiment: ExperimentFacts, arms: readonly ArmCounts[]): ExperimentDesign {
  return {
    arms: arms.map((arm) => ({ name: arm.name, role: arm.role as ArmRole, weight: arm.weight })),
    alpha: experiment.alpha,
    power: experiment.power,
    baselineRate: experiment.baselineRate,
    targetRate: experiment.targetRate,
    analysis: experiment.analysis,
    ...(experiment.mixingVariance === null ? {} : { mixingVariance: experiment.mixingVariance }),
  };
}

/** A stored look (experiment_daily_counts): the counts per arm name as of a run date. */
export interface Look {
  asOf: string;
  arms: Record<string, Counts>;
}

/**
 * The stored looks of an experiment, oldest first, before `beforeDate` when given (the job's own date and
 * later are not earlier looks). An arm missing from a look had no members then.
 */
export async function storedLooks(
  db: Pick<Executor, "execute">,
  experimentId: number,
  arms: readonly ArmCounts[],
  beforeDate?: string,
): Promise<Look[]> {
  const result = await db.execute<{
    as_of: string;
    arm: number | string;
    n: number | string;
    conversions: number | string;
  }>(sql`
    SELECT as_of::text AS as_of, arm, n, conversions FROM experiment_daily_counts
     WHERE experiment_id = ${experimentId}
       AND (${beforeDate ?? null}::date IS NULL OR as_of < ${beforeDate ?? null}::date)
     ORDER BY as_of, arm`);
  const names = new Map(arms.map((arm) => [arm.arm, arm.name]));
  const looks: Look[] = [];
  for (const row of result.rows) {
    let look = looks[looks.length - 1];
    if (look?.asOf !== row.as_of) {
      look = {
        asOf: row.as_of,
        arms: Object.fromEntries(arms.map((arm) => [arm.name, { n: 0, conversions: 0 }])),
      };
      looks.push(look);
    }
    const name = names.get(Number(row.arm));
    if (name !== undefined) look.arms[name] = { n: Number(row.n), conversions: Number(row.conversions) };
  }
  return looks;
}

/** `evaluate()` of the counts now and the earlier looks. */
export function evaluateCounts(
  experiment: ExperimentFacts,
  arms: readonly ArmCounts[],
  looks: readonly Look[],
): Evaluation {
  const current = Object.fromEntries(
    arms.map((arm) => [arm.name, { n: arm.n, conversions: arm.conversions }]),
  );
  return evaluate(designOf(experiment, arms), { arms: current, history: looks.map((look) => look.arms) });
}

/**
 * `value` with every number that JSON cannot carry (NaN, ±Infinity) as null: what is stored in
 * experiment_evaluations and answered by the API is exactly what `evaluate()` returned otherwise.
 */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, item: unknown) =>
      typeof item === "number" && !Number.isFinite(item) ? null : item,
    ),
  ) as T;
}

export interface ExperimentResults {
  experiment: ExperimentFacts;
  asOf: Date;
  counts: ArmCounts[];
  looks: Look[];
  evaluation: Evaluation;
}

/**
 * An experiment's results as of `now`: the counts per arm (one statement: n = the arm's members,
 * conversions = those who purchased in their goal window, intent to treat), the stored daily counts as the
 * sequential looks (oldest first), and `evaluate()` with the experiment's design.
 */
export async function getExperimentResults({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number; now?: Date };
}): Promise<ExperimentResults> {
  const found = await ctx.db.execute<ExperimentRow>(
    sql`SELECT ${experimentColumns} FROM experiments e WHERE e.id = ${input.id}`,
  );
  const row = found.rows[0];
  if (!row) throw new NotFound("experiment");
  const experiment = toExperimentFacts(row);
  assertBrand(ctx.principal, experiment.brandId);
  const asOf = input.now ?? new Date();
  const counts = await experimentCounts(ctx.db, experiment.messageCampaignId, asOf);
  const looks = await storedLooks(ctx.db, experiment.id, counts);
  return { experiment, asOf, counts, looks, evaluation: jsonSafe(evaluateCounts(experiment, counts, looks)) };
}

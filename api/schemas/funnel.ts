import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { Evaluation, Lift } from "../../domain/experiments/statistics.ts";
import type { CampaignFunnel } from "../../domain/funnel/campaign-funnel.ts";
import type { ExperimentResults } from "../../domain/funnel/experiment-results.ts";
import { funnelStages, type StageCounts, stageRates } from "../../domain/funnel/funnel.ts";
import { batchDate } from "./batch-run.ts";
import { presentExperimentDesign } from "./campaign.ts";
import { timestamp } from "./common.ts";

const count = (description: string) => z.number().int().openapi({ description });

const stageFields = {
  targeted: count("Members of the arm."),
  sent: count("Sends handed to and accepted by the provider (accepted, pending, delivered, failed)."),
  delivered: count("Sends the provider reported delivered."),
  opened: count("Sends whose tracked link was requested at all (link previews count)."),
  clicked: count("Sends whose tracked link was requested by a person (not a bot)."),
  visited: count(
    "Sends whose token (`lr_m`) a landing capture of the campaign's brand carried after the send, a bot's not counted.",
  ),
  carted: count("Members with an abandoned cart in their goal window, or who purchased."),
  purchased: count("Members whose account placed an order, not cancelled, in their goal window."),
};

const rateSchema = z
  .object(
    Object.fromEntries(funnelStages.map((stage) => [stage, z.number().nullable()])) as Record<
      (typeof funnelStages)[number],
      z.ZodNullable<z.ZodNumber>
    >,
  )
  .openapi("FunnelRates", { description: "Each stage as a share of `targeted`; null without members." });

const role = z.enum(["control", "variant", "holdout"]);

const funnelArmSchema = z
  .object({
    arm: z.string().openapi({ description: "The arm's name." }),
    position: z.number().int().openapi({ description: "The arm's position, from 0." }),
    role,
    ...stageFields,
    rates: rateSchema,
  })
  .openapi("FunnelArm");

const funnelDaySchema = z
  .object({
    as_of: batchDate,
    computed_at: timestamp,
    arms: z.array(
      z.object({ arm: z.string(), position: z.number().int(), ...stageFields }).openapi("FunnelDayArm"),
    ),
  })
  .openapi("FunnelDay");

export const campaignFunnelSchema = z
  .object({
    campaign: z.string().openapi({ description: "The campaign's hash id." }),
    name: z.string(),
    status: z.string(),
    launched_at: timestamp.nullable(),
    goal_window_days: z.number().int(),
    as_of: timestamp.openapi({ description: "The instant the live counts are as of (now)." }),
    arms: z.array(funnelArmSchema),
    totals: z.object({ ...stageFields, rates: rateSchema }).openapi("FunnelTotals"),
    series: z.array(funnelDaySchema).openapi({
      description:
        "The nightly `message-funnel` counts per run date (as of the end of the date), oldest first.",
    }),
  })
  .openapi("CampaignFunnel");

const pick = (counts: StageCounts): StageCounts =>
  Object.fromEntries(funnelStages.map((stage) => [stage, counts[stage]])) as StageCounts;

export function presentCampaignFunnel(
  ids: HashIds,
  funnel: CampaignFunnel,
): z.infer<typeof campaignFunnelSchema> {
  return {
    campaign: ids.encode("messageCampaign", funnel.campaign.id),
    name: funnel.campaign.name,
    status: funnel.campaign.status,
    launched_at: funnel.campaign.launchedAt?.toISOString() ?? null,
    goal_window_days: funnel.campaign.goalWindowDays,
    as_of: funnel.asOf.toISOString(),
    arms: funnel.arms.map((arm) => ({
      arm: arm.name,
      position: arm.arm,
      role: arm.role,
      ...pick(arm),
      rates: stageRates(arm),
    })),
    totals: { ...funnel.totals, rates: stageRates(funnel.totals) },
    series: funnel.series.map((day) => ({
      as_of: day.asOf,
      computed_at: day.computedAt.toISOString(),
      arms: day.arms.map((arm) => ({ arm: arm.name, position: arm.arm, ...pick(arm) })),
    })),
  };
}

const interval = z.object({ lower: z.number(), upper: z.number() });
const estimate = interval.extend({ estimate: z.number(), standard_error: z.number() });

const comparisonSchema = z
  .object({
    against: z.string(),
    lift: z.object({ absolute: estimate, relative: estimate.nullable() }).nullable(),
    z: z.number(),
    p: z.number(),
    sequential_p: z.number().nullable(),
    confidence_sequence: interval.nullable(),
    adjusted_p: z.number(),
    significant: z.boolean(),
    power: z.number(),
  })
  .openapi("ExperimentComparison");

const evaluationSchema = z
  .object({
    arms: z.array(
      z
        .object({
          arm: z.string(),
          role,
          n: z.number().int(),
          conversions: z.number().int(),
          rate: z.number().nullable(),
          expected_share: z.number(),
          minimum_reached: z.boolean().nullable(),
          comparison: comparisonSchema.nullable(),
        })
        .openapi("ExperimentArmResult"),
    ),
    minimum_sample_size: z.number().int(),
    srm: z.object({
      statistic: z.number(),
      degrees_of_freedom: z.number().int(),
      p: z.number(),
      mismatch: z.boolean(),
    }),
    verdict: z.object({
      kind: z.enum(["winner", "no_difference", "not_yet"]),
      winner: z.string().nullable(),
      code: z.enum([
        "winner",
        "control_wins",
        "no_difference",
        "srm",
        "sample_below_minimum",
        "too_few_events",
        "no_decision_yet",
      ]),
      reason: z.string(),
    }),
  })
  .openapi("ExperimentEvaluation", {
    description:
      "`evaluate()` of domain/experiments (its README has every formula and the verdict's rules), field for field in snake_case (`expectedShare` is `expected_share`).",
  });

export const experimentResultsSchema = z
  .object({
    experiment: z.string().openapi({ description: "The experiment's hash id." }),
    campaign: z.string().openapi({ description: "Its message campaign's hash id." }),
    key: z.string(),
    as_of: timestamp,
    design: z.object({
      alpha: z.number(),
      power: z.number(),
      baseline_rate: z.number(),
      target_rate: z.number(),
      analysis: z.enum(["fixed", "sequential"]),
      mixing_variance: z.number().nullable(),
    }),
    looks: z
      .array(
        z.object({
          as_of: batchDate,
          arms: z.array(z.object({ arm: z.string(), n: z.number().int(), conversions: z.number().int() })),
        }),
      )
      .openapi({
        description:
          "The stored daily counts (nightly `experiment-evaluation`, as of the end of each date), oldest first: the sequential test's earlier looks.",
      }),
    evaluation: evaluationSchema,
  })
  .openapi("ExperimentResults");

export function presentExperimentResults(
  ids: HashIds,
  results: ExperimentResults,
): z.infer<typeof experimentResultsSchema> {
  const { experiment } = results;
  return {
    experiment: ids.encode("experiment", experiment.id),
    campaign: ids.encode("messageCampaign", experiment.messageCampaignId),
    key: experiment.key,
    as_of: results.asOf.toISOString(),
    design: presentExperimentDesign(experiment),
    looks: results.looks.map((look) => ({
      as_of: look.asOf,
      arms: Object.entries(look.arms).map(([arm, counts]) => ({ arm, ...counts })),
    })),
    evaluation: presentEvaluation(results.evaluation),
  };
}

type EvaluationBody = z.infer<typeof evaluationSchema>;

const presentEstimate = (value: Lift["absolute"]) => ({
  estimate: value.estimate,
  standard_error: value.standardError,
  lower: value.lower,
  upper: value.upper,
});

/** `evaluate()`'s result in the API's snake_case; the values are the domain's, unchanged. */
export function presentEvaluation(evaluation: Evaluation): EvaluationBody {
  return {
    arms: evaluation.arms.map((arm) => ({
      arm: arm.arm,
      role: arm.role,
      n: arm.n,
      conversions: arm.conversions,
      rate: arm.rate,
      expected_share: arm.expectedShare,
      minimum_reached: arm.minimumReached,
      comparison: arm.comparison && {
        against: arm.comparison.against,
        lift: arm.comparison.lift && {
          absolute: presentEstimate(arm.comparison.lift.absolute),
          relative: arm.comparison.lift.relative && presentEstimate(arm.comparison.lift.relative),
        },
        z: arm.comparison.z,
        p: arm.comparison.p,
        sequential_p: arm.comparison.sequentialP,
        confidence_sequence: arm.comparison.confidenceSequence && {
          lower: arm.comparison.confidenceSequence.lower,
          upper: arm.comparison.confidenceSequence.upper,
        },
        adjusted_p: arm.comparison.adjustedP,
        significant: arm.comparison.significant,
        power: arm.comparison.power,
      },
    })),
    minimum_sample_size: evaluation.minimumSampleSize,
    srm: {
      statistic: evaluation.srm.statistic,
      degrees_of_freedom: evaluation.srm.degreesOfFreedom,
      p: evaluation.srm.p,
      mismatch: evaluation.srm.mismatch,
    },
    verdict: evaluation.verdict,
  };
}

import chisquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { type ArmDesign, type ArmRole, armRanges, bucketCount } from "./assignment.ts";

/**
 * The statistics of an experiment (SPEC §12), pure: conversions are Bernoulli, arms are compared with the
 * control by the two-proportion z-test, and every formula is written out in this folder's README. The normal
 * and chi-square distributions are stdlib's; nothing here approximates them.
 */

/** Customers of an arm and how many of them converted. */
export interface Counts {
  n: number;
  conversions: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

/** Standard normal CDF Φ. */
const phi = (x: number): number => normalCdf(x, 0, 1);
/** Standard normal quantile Φ⁻¹. */
const phiInverse = (p: number): number => normalQuantile(p, 0, 1);
/** Two-sided p-value of a standard normal statistic, from the lower tail (no 1 − Φ cancellation). */
const twoSided = (z: number): number => Math.min(1, 2 * phi(-Math.abs(z)));

function checkCounts(counts: Counts, what: string): void {
  if (!Number.isSafeInteger(counts.n) || counts.n < 0)
    throw new RangeError(`${what}: n must be a non-negative integer, not ${counts.n}`);
  if (!Number.isSafeInteger(counts.conversions) || counts.conversions < 0 || counts.conversions > counts.n)
    throw new RangeError(
      `${what}: conversions must be an integer from 0 to n (${counts.n}), not ${counts.conversions}`,
    );
}

function checkProbability(value: number, what: string, open: boolean): void {
  const inside = open ? value > 0 && value < 1 : value >= 0 && value <= 1;
  if (!Number.isFinite(value) || !inside)
    throw new RangeError(
      `${what} must be ${open ? "strictly between 0 and 1" : "from 0 to 1"}, not ${value}`,
    );
}

/** The conversion rate x / n, or null without customers. */
export const rate = (counts: Counts): number | null =>
  counts.n === 0 ? null : counts.conversions / counts.n;

export interface ZTest {
  /** (p̂_B − p̂_A) / SE₀: positive when the variant converts better. */
  z: number;
  /** Two-sided: 2 · Φ(−|z|). */
  p: number;
  /** SE₀ = √(p̄(1 − p̄)(1/n_A + 1/n_B)), p̄ = (x_A + x_B) / (n_A + n_B). */
  standardError: number;
}

/**
 * Two-proportion z-test of a variant against the control, pooled standard error, two-sided: the same z as
 * R's `prop.test(c(x_B, x_A), c(n_B, n_A), correct = FALSE)` (its X-squared is z²). With no customers in an
 * arm, or every customer of both arms alike (all converted or none), there is no evidence: z = 0, p = 1.
 */
export function zTest(control: Counts, variant: Counts): ZTest {
  checkCounts(control, "control");
  checkCounts(variant, "variant");
  if (control.n === 0 || variant.n === 0) return { z: 0, p: 1, standardError: 0 };
  const pooled = (control.conversions + variant.conversions) / (control.n + variant.n);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / variant.n));
  if (standardError === 0) return { z: 0, p: 1, standardError };
  const z = (variant.conversions / variant.n - control.conversions / control.n) / standardError;
  return { z, p: twoSided(z), standardError };
}

export interface Lift {
  /** p̂_B − p̂_A with its Wald interval at 1 − α (unpooled standard error). */
  absolute: { estimate: number; standardError: number } & Interval;
  /** p̂_B / p̂_A − 1 with its delta-method interval; null when the control rate is 0. */
  relative: ({ estimate: number; standardError: number } & Interval) | null;
}

/**
 * The lift of a variant over the control with confidence intervals at 1 − α. Absolute: d = p̂_B − p̂_A,
 * SE = √(p̂_A(1 − p̂_A)/n_A + p̂_B(1 − p̂_B)/n_B), d ± z₁₋α/₂ · SE. Relative: r = p̂_B / p̂_A − 1, SE by the
 * delta method, √(v_B / p̂_A² + p̂_B² · v_A / p̂_A⁴) with v = p̂(1 − p̂)/n, r ± z₁₋α/₂ · SE (symmetric, as
 * GrowthBook's gbstats). Both arms need customers.
 */
export function liftInterval(control: Counts, variant: Counts, alpha: number): Lift {
  checkCounts(control, "control");
  checkCounts(variant, "variant");
  checkProbability(alpha, "alpha", true);
  if (control.n === 0 || variant.n === 0) throw new RangeError("a lift needs customers in both arms");
  const rateA = control.conversions / control.n;
  const rateB = variant.conversions / variant.n;
  const varianceA = (rateA * (1 - rateA)) / control.n;
  const varianceB = (rateB * (1 - rateB)) / variant.n;
  const critical = phiInverse(1 - alpha / 2);
  const absoluteEstimate = rateB - rateA;
  const absoluteError = Math.sqrt(varianceA + varianceB);
  const absolute = {
    estimate: absoluteEstimate,
    standardError: absoluteError,
    lower: absoluteEstimate - critical * absoluteError,
    upper: absoluteEstimate + critical * absoluteError,
  };
  if (rateA === 0) return { absolute, relative: null };
  const relativeEstimate = rateB / rateA - 1;
  const relativeError = Math.sqrt(varianceB / rateA ** 2 + (rateB ** 2 * varianceA) / rateA ** 4);
  return {
    absolute,
    relative: {
      estimate: relativeEstimate,
      standardError: relativeError,
      lower: relativeEstimate - critical * relativeError,
      upper: relativeEstimate + critical * relativeError,
    },
  };
}

function checkRates(baselineRate: number, targetRate: number): void {
  checkProbability(baselineRate, "baselineRate", false);
  checkProbability(targetRate, "targetRate", false);
  if (baselineRate === targetRate) throw new RangeError("baselineRate and targetRate must differ");
}

/**
 * Customers needed in each of two arms for a two-sided test at `alpha` to detect p₁ → p₂ with `power`:
 * n = ⌈(z₁₋α/₂ · √(2p̄(1 − p̄)) + z₁₋β · √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₂ − p₁)²⌉, p̄ = (p₁ + p₂)/2
 * (Fleiss, Levin and Paik, Statistical Methods for Rates and Proportions, 3rd ed., eq. 4.14, without the
 * continuity correction).
 */
export function minimumSampleSize(
  baselineRate: number,
  targetRate: number,
  alpha: number,
  power: number,
): number {
  checkRates(baselineRate, targetRate);
  checkProbability(alpha, "alpha", true);
  checkProbability(power, "power", true);
  const mean = (baselineRate + targetRate) / 2;
  const root =
    phiInverse(1 - alpha / 2) * Math.sqrt(2 * mean * (1 - mean)) +
    phiInverse(power) * Math.sqrt(baselineRate * (1 - baselineRate) + targetRate * (1 - targetRate));
  return Math.ceil(root ** 2 / (targetRate - baselineRate) ** 2);
}

/**
 * The power the test has now, with `nControl` and `nVariant` customers, to detect the design's p₁ → p₂ (not
 * the "observed power" of the observed lift, which says nothing the p-value does not):
 * Φ((|p₂ − p₁| − z₁₋α/₂ · √(p̄(1 − p̄)(1/n_A + 1/n_B))) / √(p₁(1 − p₁)/n_A + p₂(1 − p₂)/n_B)),
 * p̄ = (n_A p₁ + n_B p₂)/(n_A + n_B); with n_A = n_B it is the inverse of {@link minimumSampleSize}
 * (the far tail, below α/2, is left out there as here). 0 while an arm is empty.
 */
export function achievedPower(
  baselineRate: number,
  targetRate: number,
  nControl: number,
  nVariant: number,
  alpha: number,
): number {
  checkRates(baselineRate, targetRate);
  checkProbability(alpha, "alpha", true);
  for (const [what, n] of [
    ["nControl", nControl],
    ["nVariant", nVariant],
  ] as const)
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${what} must be a non-negative number, not ${n}`);
  if (nControl === 0 || nVariant === 0) return 0;
  const mean = (nControl * baselineRate + nVariant * targetRate) / (nControl + nVariant);
  const nullError = Math.sqrt(mean * (1 - mean) * (1 / nControl + 1 / nVariant));
  const alternativeError = Math.sqrt(
    (baselineRate * (1 - baselineRate)) / nControl + (targetRate * (1 - targetRate)) / nVariant,
  );
  return phi(
    (Math.abs(targetRate - baselineRate) - phiInverse(1 - alpha / 2) * nullError) / alternativeError,
  );
}

export interface SrmTest {
  /** Σ (observed − expected)² / expected over the arms. */
  statistic: number;
  /** Arms − 1. */
  degreesOfFreedom: number;
  /** Upper tail of χ²(df) at the statistic. */
  p: number;
  /** p < {@link srmThreshold}. */
  mismatch: boolean;
}

/** A sample-ratio mismatch is flagged below this p (the usual threshold: Kohavi, Tang and Xu, ch. 21). */
export const srmThreshold = 0.001;

/**
 * Sample-ratio mismatch: Pearson's chi-square goodness of fit of the customers per arm against the designed
 * shares (`shares` proportional, any positive scale), df = arms − 1; flagged at p < 0.001. No customers yet:
 * statistic 0, p 1.
 */
export function srmTest(observed: readonly number[], shares: readonly number[]): SrmTest {
  if (observed.length < 2 || observed.length !== shares.length)
    throw new RangeError("the SRM test needs at least two arms and one share per arm");
  for (const count of observed)
    if (!Number.isSafeInteger(count) || count < 0)
      throw new RangeError(`arm counts must be non-negative integers, not ${count}`);
  for (const share of shares)
    if (!Number.isFinite(share) || share <= 0) throw new RangeError(`shares must be positive, not ${share}`);
  const total = observed.reduce((sum, count) => sum + count, 0);
  const shareTotal = shares.reduce((sum, share) => sum + share, 0);
  const degreesOfFreedom = observed.length - 1;
  if (total === 0) return { statistic: 0, degreesOfFreedom, p: 1, mismatch: false };
  const statistic = observed.reduce((sum, count, index) => {
    const expected = (total * (shares[index] ?? 0)) / shareTotal;
    return sum + (count - expected) ** 2 / expected;
  }, 0);
  const p = 1 - chisquareCdf(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, p, mismatch: p < srmThreshold };
}

export interface Holm {
  /** Holm-adjusted p-values in input order: R's `p.adjust(p, "holm")`. */
  adjusted: number[];
  /** adjusted ≤ α: the hypotheses Holm's step-down procedure rejects. */
  rejected: boolean[];
}

/**
 * Holm's step-down correction (Holm 1979) for m comparisons: with p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted
 * p₍ᵢ₎ = maxⱼ≤ᵢ min(1, (m − j + 1) · p₍ⱼ₎); H₍ᵢ₎ is rejected when its adjusted p ≤ α, which is the same as
 * rejecting while p₍ᵢ₎ ≤ α / (m − i + 1) and stopping at the first that is not. Controls the family-wise
 * error rate at α for any dependence between the comparisons.
 */
export function holm(pValues: readonly number[], alpha: number): Holm {
  checkProbability(alpha, "alpha", true);
  for (const p of pValues) checkProbability(p, "a p-value", false);
  const m = pValues.length;
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p || a.index - b.index);
  const adjusted = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[index] = running;
  });
  return { adjusted, rejected: adjusted.map((p) => p <= alpha) };
}

/** One look at a running comparison: cumulative counts of the control and the variant so far. */
export interface SequentialLook {
  control: Counts;
  variant: Counts;
}

export interface SequentialResult {
  /** Always-valid p-value: min over the looks so far of min(1, 1/Λₙ); never rises. */
  p: number;
  /** Confidence sequence for p_B − p_A at 1 − α: the intersection of the looks' intervals so far. */
  interval: Interval;
}

/**
 * The mixture sequential probability ratio test (mSPRT) and its always-valid p-values and confidence
 * sequence: Johari, Koomen, Pekelis and Walsh, "Peeking at A/B Tests", KDD 2017, and Johari, Pekelis, Koomen
 * and Walsh, "Always Valid Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3), 2022.
 * The difference d = p̂_B − p̂_A is taken as normal with variance V (the normal approximation the papers use
 * for conversions); with a normal mixture N(0, τ²) over the true difference,
 *
 *   Λₙ = √(V / (V + τ²)) · exp(τ² d² / (2V(V + τ²)))
 *
 * (for equal arms of n and V = 2σ²/n this is the paper's √(2σ²/(2σ² + nτ²)) · exp(n²τ²d² / (4σ²(2σ² + nτ²)))).
 * Λ is a martingale under no difference, so by Ville's inequality P(some look has Λ ≥ 1/α) ≤ α: the p-value
 * pₙ = min(1, minₘ≤ₙ 1/Λₘ) may be read after every look. The p-value uses the pooled V (as the z-test);
 * the interval uses the unpooled V (as the fixed-horizon interval) and is {d : Λₙ(d) < 1/α}:
 * d ± √(V(V + τ²)/τ² · (2 ln(1/α) + ln((V + τ²)/V))). A look with an empty arm, or whose V is 0, adds no
 * evidence (p 1, interval [−1, 1]); should the running intersection ever come out empty (an event of
 * probability ≤ α), the look's own interval stands, which is a valid confidence sequence by itself.
 */
export function sequential(
  looks: readonly SequentialLook[],
  options: { alpha: number; mixingVariance: number },
): SequentialResult[] {
  checkProbability(options.alpha, "alpha", true);
  const tau2 = options.mixingVariance;
  if (!Number.isFinite(tau2) || tau2 <= 0)
    throw new RangeError(`mixingVariance must be positive, not ${tau2}`);
  let p = 1;
  let interval: Interval = { lower: -1, upper: 1 };
  return looks.map((look, index) => {
    checkCounts(look.control, `look ${index} control`);
    checkCounts(look.variant, `look ${index} variant`);
    const { control, variant } = look;
    if (control.n > 0 && variant.n > 0) {
      const rateA = control.conversions / control.n;
      const rateB = variant.conversions / variant.n;
      const difference = rateB - rateA;
      const pooled = (control.conversions + variant.conversions) / (control.n + variant.n);
      const nullVariance = pooled * (1 - pooled) * (1 / control.n + 1 / variant.n);
      if (nullVariance > 0) {
        const inverseRatio =
          Math.sqrt((nullVariance + tau2) / nullVariance) *
          Math.exp(-(tau2 * difference ** 2) / (2 * nullVariance * (nullVariance + tau2)));
        p = Math.min(p, inverseRatio);
      }
      const variance = (rateA * (1 - rateA)) / control.n + (rateB * (1 - rateB)) / variant.n;
      if (variance > 0) {
        const half = Math.sqrt(
          ((variance * (variance + tau2)) / tau2) *
            (2 * Math.log(1 / options.alpha) + Math.log((variance + tau2) / variance)),
        );
        const own = { lower: Math.max(-1, difference - half), upper: Math.min(1, difference + half) };
        const lower = Math.max(interval.lower, own.lower);
        const upper = Math.min(interval.upper, own.upper);
        interval = lower <= upper ? { lower, upper } : own;
      }
    }
    return { p, interval: { ...interval } };
  });
}

/** What an experiment was designed as: its arms, the error rates and the effect it must be able to detect. */
export interface ExperimentDesign {
  arms: readonly ArmDesign[];
  /** Family-wise type I error rate of the winner decision (two-sided), e.g. 0.05. */
  alpha: number;
  /** 1 − β for each variant against the control, e.g. 0.8. */
  power: number;
  /** p₁: the control's expected conversion rate. */
  baselineRate: number;
  /** p₂: the smallest (or largest) variant rate worth detecting. */
  targetRate: number;
  /** `fixed`: read once the minimum sample is reached; `sequential`: mSPRT, may be read at every look. */
  analysis: "fixed" | "sequential";
  /** τ² of the mSPRT's mixture; default (p₂ − p₁)². */
  mixingVariance?: number;
}

/** What has been seen: customers and conversions per arm name now, and (sequential) at the earlier looks. */
export interface Observed {
  arms: Readonly<Record<string, Counts>>;
  /** Earlier looks, oldest first, each cumulative; the sequential p-value is the smallest over all looks. */
  history?: readonly Readonly<Record<string, Counts>>[];
}

/** A variant against the control. */
export interface Comparison {
  /** The control's name. */
  against: string;
  /** Null while either arm has no customers. */
  lift: Lift | null;
  z: number;
  /** Fixed-horizon two-sided p of the z-test. */
  p: number;
  /** Sequential analysis: the always-valid p (null for a fixed analysis). */
  sequentialP: number | null;
  /** Sequential analysis: confidence sequence for p_B − p_A at 1 − α / variants (Bonferroni, simultaneous). */
  confidenceSequence: Interval | null;
  /** Holm-adjusted p of the p the analysis decides on (p, or sequentialP). */
  adjustedP: number;
  /** Rejected by Holm at α. */
  significant: boolean;
  /** Power to detect p₁ → p₂ at α / variants with the customers so far ({@link achievedPower}). */
  power: number;
}

export interface ArmResult {
  arm: string;
  role: ArmRole;
  n: number;
  conversions: number;
  /** Null without customers. */
  rate: number | null;
  /** The arm's designed share: its buckets / 10,000. */
  expectedShare: number;
  /** Control and variants: n ≥ the minimum sample per arm. Null for the holdout. */
  minimumReached: boolean | null;
  /** Variants only. */
  comparison: Comparison | null;
}

export type VerdictCode =
  | "winner"
  | "control_wins"
  | "no_difference"
  | "srm"
  | "sample_below_minimum"
  | "too_few_events"
  | "no_decision_yet";

export interface Verdict {
  kind: "winner" | "no_difference" | "not_yet";
  /** The winning arm (a variant, or the control when every variant is worse), else null. */
  winner: string | null;
  code: VerdictCode;
  reason: string;
}

export interface Evaluation {
  arms: ArmResult[];
  /** Customers needed in the control and in each variant (at α / variants, see the README). */
  minimumSampleSize: number;
  srm: SrmTest;
  verdict: Verdict;
}

/** Each compared arm needs this many conversions and this many non-conversions (n·p ≥ 5, n·(1 − p) ≥ 5). */
export const minimumEventsPerArm = 5;

const formatP = (p: number): string => (p < 0.0001 ? "< 0.0001" : `= ${p.toPrecision(2)}`);
const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;
const points = (value: number): string => `${(value * 100).toFixed(2)} percentage points`;

/**
 * Per-arm results and the verdict of an experiment. The rules, in order (README "Verdict"): SRM detected →
 * not yet; (fixed) control or a variant below the minimum sample → not yet; an arm with fewer than 5
 * conversions or non-conversions → not yet; Holm at α over the variants' p-values (fixed: z-test;
 * sequential: always-valid) → a significantly better variant wins (the highest rate among them), or the
 * control when every variant is significantly worse; otherwise, fixed: no difference; sequential: no
 * difference once every undecided variant's confidence sequence lies within ±|p₂ − p₁|, else not yet.
 */
export function evaluate(design: ExperimentDesign, observed: Observed): Evaluation {
  const ranges = armRanges(design.arms);
  checkProbability(design.alpha, "alpha", true);
  checkProbability(design.power, "power", true);
  checkRates(design.baselineRate, design.targetRate);
  const countsOf = (look: Readonly<Record<string, Counts>>, arm: string, what: string): Counts => {
    const counts = look[arm];
    if (!counts) throw new RangeError(`${what} has no counts for arm "${arm}"`);
    checkCounts(counts, `${what} arm "${arm}"`);
    return counts;
  };
  const current = new Map(
    design.arms.map((arm) => [arm.name, countsOf(observed.arms, arm.name, "observed")]),
  );
  const counts = (arm: string): Counts => current.get(arm) ?? { n: 0, conversions: 0 };
  const control = design.arms.find((arm) => arm.role === "control");
  if (!control) throw new RangeError("an experiment has exactly one control");
  const variants = design.arms.filter((arm) => arm.role === "variant");
  const perComparisonAlpha = design.alpha / variants.length;
  const minimum = minimumSampleSize(design.baselineRate, design.targetRate, perComparisonAlpha, design.power);
  const effect = Math.abs(design.targetRate - design.baselineRate);
  const mixingVariance = design.mixingVariance ?? effect ** 2;
  const sequentialAnalysis = design.analysis === "sequential";

  const controlCounts = counts(control.name);
  const comparisons = variants.map((variant) => {
    const variantCounts = counts(variant.name);
    const test = zTest(controlCounts, variantCounts);
    const lift =
      controlCounts.n > 0 && variantCounts.n > 0
        ? liftInterval(controlCounts, variantCounts, design.alpha)
        : null;
    let sequentialResult: SequentialResult | null = null;
    if (sequentialAnalysis) {
      const looks = [...(observed.history ?? []), observed.arms].map((look, index) => ({
        control: countsOf(look, control.name, `look ${index}`),
        variant: countsOf(look, variant.name, `look ${index}`),
      }));
      // The always-valid p does not depend on α; the confidence sequence is at α / variants.
      sequentialResult = sequential(looks, { alpha: perComparisonAlpha, mixingVariance }).at(-1) ?? null;
    }
    return {
      variant,
      counts: variantCounts,
      test,
      lift,
      sequentialResult,
      power: achievedPower(
        design.baselineRate,
        design.targetRate,
        controlCounts.n,
        variantCounts.n,
        perComparisonAlpha,
      ),
    };
  });
  const decisionP = comparisons.map((comparison) => comparison.sequentialResult?.p ?? comparison.test.p);
  const corrected = holm(decisionP, design.alpha);

  const srm = srmTest(
    ranges.map((range) => counts(range.arm).n),
    ranges.map((range) => range.to - range.from),
  );
  const arms: ArmResult[] = ranges.map((range) => {
    const armCounts = counts(range.arm);
    const index = comparisons.findIndex((comparison) => comparison.variant.name === range.arm);
    const comparison = comparisons[index];
    return {
      arm: range.arm,
      role: range.role,
      n: armCounts.n,
      conversions: armCounts.conversions,
      rate: rate(armCounts),
      expectedShare: (range.to - range.from) / bucketCount,
      minimumReached: range.role === "holdout" ? null : armCounts.n >= minimum,
      comparison: comparison
        ? {
            against: control.name,
            lift: comparison.lift,
            z: comparison.test.z,
            p: comparison.test.p,
            sequentialP: comparison.sequentialResult?.p ?? null,
            confidenceSequence: comparison.sequentialResult?.interval ?? null,
            adjustedP: corrected.adjusted[index] ?? 1,
            significant: corrected.rejected[index] ?? false,
            power: comparison.power,
          }
        : null,
    };
  });

  const decide = (): Verdict => {
    const notYet = (code: VerdictCode, reason: string): Verdict => ({
      kind: "not_yet",
      winner: null,
      code,
      reason,
    });
    if (srm.mismatch)
      return notYet(
        "srm",
        `not yet: SRM detected — the customers per arm depart from the designed weights (χ² = ${srm.statistic.toFixed(2)}, df = ${srm.degreesOfFreedom}, p ${formatP(srm.p)}, flagged below ${srmThreshold}); find the assignment or logging fault before reading any result`,
      );
    const compared = [control, ...variants];
    if (!sequentialAnalysis) {
      const short = compared.filter((arm) => counts(arm.name).n < minimum);
      if (short.length > 0)
        return notYet(
          "sample_below_minimum",
          `not yet: sample below the minimum of ${minimum} per arm (${short.map((arm) => `${arm.name} ${counts(arm.name).n}`).join(", ")})`,
        );
    }
    const sparse = compared.filter((arm) => {
      const { n, conversions } = counts(arm.name);
      return conversions < minimumEventsPerArm || n - conversions < minimumEventsPerArm;
    });
    if (sparse.length > 0)
      return notYet(
        "too_few_events",
        `not yet: fewer than ${minimumEventsPerArm} conversions or non-conversions in ${sparse.map((arm) => arm.name).join(", ")}, too few for the normal approximation`,
      );
    const better = comparisons.filter(
      (comparison, index) => corrected.rejected[index] && comparison.test.z > 0,
    );
    const worse = comparisons.filter(
      (comparison, index) => corrected.rejected[index] && comparison.test.z < 0,
    );
    const method = sequentialAnalysis ? "always-valid p, Holm" : "Holm";
    if (better.length > 0) {
      const best = better.reduce((top, comparison) =>
        (rate(comparison.counts) ?? 0) > (rate(top.counts) ?? 0) ? comparison : top,
      );
      const others = better
        .filter((comparison) => comparison !== best)
        .map((comparison) => comparison.variant.name);
      return {
        kind: "winner",
        winner: best.variant.name,
        code: "winner",
        reason: `${best.variant.name} converts better than ${control.name} (${percent(rate(best.counts) ?? 0)} vs ${percent(rate(controlCounts) ?? 0)}, adjusted p ${formatP(corrected.adjusted[comparisons.indexOf(best)] ?? 1)} ≤ α = ${design.alpha}, ${method})${others.length > 0 ? `; ${others.join(", ")} also ${others.length === 1 ? "beats" : "beat"} ${control.name} at a lower rate (not tested against ${best.variant.name})` : ""}`,
      };
    }
    if (worse.length === comparisons.length)
      return {
        kind: "winner",
        winner: control.name,
        code: "control_wins",
        reason: `every variant converts worse than ${control.name} (${method}, α = ${design.alpha})`,
      };
    const worseNote =
      worse.length > 0
        ? `; ${worse.map((comparison) => comparison.variant.name).join(", ")} ${worse.length === 1 ? "converts" : "convert"} worse`
        : "";
    const undecided = comparisons.filter((_, index) => !corrected.rejected[index]);
    if (!sequentialAnalysis)
      return {
        kind: "no_difference",
        winner: null,
        code: "no_difference",
        reason: `no variant converts differently from ${control.name} at α = ${design.alpha} (${method}) with at least ${minimum} customers per arm${worseNote}`,
      };
    const bounded = undecided.every(({ sequentialResult }) => {
      const interval = sequentialResult?.interval;
      return interval !== undefined && interval.lower > -effect && interval.upper < effect;
    });
    if (bounded)
      return {
        kind: "no_difference",
        winner: null,
        code: "no_difference",
        reason: `no variant differs from ${control.name} by ${points(effect)} or more: every confidence sequence lies within ±${points(effect)}${worseNote}`,
      };
    const smallest = Math.min(...undecided.map(({ sequentialResult }) => sequentialResult?.p ?? 1));
    return notYet(
      "no_decision_yet",
      `not yet: no variant differs from ${control.name} yet (smallest always-valid p ${formatP(smallest)}) and a difference of ${points(effect)} is not ruled out; keep the experiment running`,
    );
  };

  return { arms, minimumSampleSize: minimum, srm, verdict: decide() };
}

import { describe, expect, it } from "vitest";
import {
  type Counts,
  type ExperimentDesign,
  evaluate,
  holm,
  sequential,
  zTest,
} from "../../domain/experiments/statistics.ts";

/*
 * The verdict rules of evaluate() (domain/experiments/README.md, "Verdict"), one per test, on designs of
 * p₁ = 10% → p₂ = 15%, α = 0.05, power 0.8. Reference numbers are from 40-digit arithmetic (mpmath):
 * 100/1000 vs 150/1000 has z = 0.05 / √(0.125 · 0.875 · 0.002) = 3.3806170189140663 and p = 7.232327164301934e-4.
 */
const tolerance = 1e-9;
const c = (conversions: number, n: number): Counts => ({ n, conversions });

const twoArms: ExperimentDesign = {
  arms: [
    { name: "control", role: "control", weight: 50 },
    { name: "B", role: "variant", weight: 50 },
  ],
  alpha: 0.05,
  power: 0.8,
  baselineRate: 0.1,
  targetRate: 0.15,
  analysis: "fixed",
};

const withHoldout: ExperimentDesign = {
  ...twoArms,
  arms: [
    { name: "control", role: "control", weight: 30 },
    { name: "B", role: "variant", weight: 30 },
    { name: "C", role: "variant", weight: 30 },
    { name: "holdout", role: "holdout", weight: 10 },
  ],
};

const sequentialTwoArms: ExperimentDesign = { ...twoArms, analysis: "sequential" };

describe("evaluate: per-arm results", () => {
  it("gives each arm n, conversions, rate and share, and each variant its lift, CI, p, Holm p and power", () => {
    const result = evaluate(twoArms, { arms: { control: c(100, 1000), B: c(150, 1000) } });
    expect(result.minimumSampleSize).toBe(686);
    const [control, variant] = result.arms;
    expect(control).toEqual({
      arm: "control",
      role: "control",
      n: 1000,
      conversions: 100,
      rate: 0.1,
      expectedShare: 0.5,
      minimumReached: true,
      comparison: null,
    });
    expect(variant?.rate).toBe(0.15);
    const comparison = variant?.comparison;
    expect(comparison?.against).toBe("control");
    expect(Math.abs((comparison?.z ?? 0) - 3.3806170189140663)).toBeLessThan(tolerance);
    expect(Math.abs((comparison?.p ?? 0) - 7.232327164301934e-4)).toBeLessThan(tolerance);
    expect(comparison?.adjustedP).toBe(comparison?.p);
    expect(comparison?.significant).toBe(true);
    expect(comparison?.sequentialP).toBeNull();
    expect(comparison?.confidenceSequence).toBeNull();
    // Power to detect 10% → 15% with 1000 per arm at α = 0.05: 0.92288229906495100.
    expect(Math.abs((comparison?.power ?? 0) - 0.922882299064951)).toBeLessThan(tolerance);
    const se = Math.sqrt(0.09 / 1000 + 0.1275 / 1000);
    expect(Math.abs((comparison?.lift?.absolute.lower ?? 0) - (0.05 - 1.959963984540054 * se))).toBeLessThan(
      tolerance,
    );
    expect(Math.abs((comparison?.lift?.relative?.estimate ?? 0) - 0.5)).toBeLessThan(tolerance);
    expect(result.srm).toEqual({ statistic: 0, degreesOfFreedom: 1, p: 1, mismatch: false });
  });

  it("a holdout is counted and checked for SRM but compared with nothing; its minimum does not apply", () => {
    const result = evaluate(withHoldout, {
      arms: { control: c(100, 1000), B: c(140, 1000), C: c(150, 1000), holdout: c(30, 333) },
    });
    const holdout = result.arms.find((arm) => arm.arm === "holdout");
    expect(holdout).toEqual({
      arm: "holdout",
      role: "holdout",
      n: 333,
      conversions: 30,
      rate: 30 / 333,
      expectedShare: 0.1,
      minimumReached: null,
      comparison: null,
    });
    expect(result.srm.degreesOfFreedom).toBe(3);
    expect(result.srm.mismatch).toBe(false);
  });

  it("refuses observations missing an arm or with impossible counts", () => {
    expect(() => evaluate(twoArms, { arms: { control: c(1, 10) } })).toThrow(
      'observed has no counts for arm "B"',
    );
    expect(() => evaluate(twoArms, { arms: { control: c(1, 10), B: c(11, 10) } })).toThrow(
      'observed arm "B": conversions must be an integer from 0 to n (10), not 11',
    );
  });
});

describe("evaluate: the verdict", () => {
  it("winner: B is significantly better", () => {
    const { verdict } = evaluate(twoArms, { arms: { control: c(100, 1000), B: c(150, 1000) } });
    expect(verdict).toEqual({
      kind: "winner",
      winner: "B",
      code: "winner",
      reason: "B converts better than control (15.00% vs 10.00%, adjusted p = 0.00072 ≤ α = 0.05, Holm)",
    });
  });

  it("the control wins when every variant is significantly worse", () => {
    const { verdict } = evaluate(twoArms, { arms: { control: c(100, 1000), B: c(60, 1000) } });
    expect(verdict).toEqual({
      kind: "winner",
      winner: "control",
      code: "control_wins",
      reason: "every variant converts worse than control (Holm, α = 0.05)",
    });
  });

  it("no difference: the minimum is reached and B is not significantly different", () => {
    const { verdict } = evaluate(twoArms, { arms: { control: c(100, 1000), B: c(110, 1000) } });
    expect(verdict).toEqual({
      kind: "no_difference",
      winner: null,
      code: "no_difference",
      reason:
        "no variant converts differently from control at α = 0.05 (Holm) with at least 686 customers per arm",
    });
  });

  it("not yet: sample below the minimum, even with a striking difference", () => {
    const { verdict, arms } = evaluate(twoArms, { arms: { control: c(30, 600), B: c(90, 620) } });
    expect(verdict).toEqual({
      kind: "not_yet",
      winner: null,
      code: "sample_below_minimum",
      reason: "not yet: sample below the minimum of 686 per arm (control 600, B 620)",
    });
    expect(arms.map((arm) => arm.minimumReached)).toEqual([false, false]);
  });

  it("not yet: SRM detected comes before everything else", () => {
    // 9700 vs 10300 on a 50/50 design: χ² = 18, p = erfc(3) = 2.2e-5.
    const result = evaluate(twoArms, { arms: { control: c(970, 9700), B: c(1500, 10300) } });
    expect(result.srm.mismatch).toBe(true);
    expect(result.arms[1]?.comparison?.significant).toBe(true);
    expect(result.verdict).toEqual({
      kind: "not_yet",
      winner: null,
      code: "srm",
      reason:
        "not yet: SRM detected — the customers per arm depart from the designed weights (χ² = 18.00, df = 1, p < 0.0001, flagged below 0.001); find the assignment or logging fault before reading any result",
    });
  });

  it("not yet: too few conversions for the normal approximation", () => {
    const { verdict } = evaluate(twoArms, { arms: { control: c(3, 1000), B: c(10, 1000) } });
    expect(verdict).toEqual({
      kind: "not_yet",
      winner: null,
      code: "too_few_events",
      reason:
        "not yet: fewer than 5 conversions or non-conversions in control, too few for the normal approximation",
    });
  });

  it("several variants: the minimum is at α / 2, Holm picks the winners, the higher rate wins", () => {
    // B 140/1000: p = 5.915851074238017e-3; C 150/1000: p = 7.232327164301934e-4 → Holm 0.00145, 0.00592.
    const result = evaluate(withHoldout, {
      arms: { control: c(100, 1000), B: c(140, 1000), C: c(150, 1000), holdout: c(30, 333) },
    });
    expect(result.minimumSampleSize).toBe(831);
    const [b, cArm] = [result.arms[1]?.comparison, result.arms[2]?.comparison];
    expect(Math.abs((b?.p ?? 0) - 5.915851074238017e-3)).toBeLessThan(tolerance);
    expect(Math.abs((b?.adjustedP ?? 0) - 5.915851074238017e-3)).toBeLessThan(tolerance);
    expect(Math.abs((cArm?.adjustedP ?? 0) - 2 * 7.232327164301934e-4)).toBeLessThan(tolerance);
    // Power at α / 2 = 0.025 with 1000 per arm: 0.87337338850987326.
    expect(Math.abs((b?.power ?? 0) - 0.8733733885098733)).toBeLessThan(tolerance);
    expect(result.verdict).toEqual({
      kind: "winner",
      winner: "C",
      code: "winner",
      reason:
        "C converts better than control (15.00% vs 10.00%, adjusted p = 0.0014 ≤ α = 0.05, Holm); B also beats control at a lower rate (not tested against C)",
    });
  });

  it("several variants: two p-values below α that Holm does not reject give no difference", () => {
    // B 130/1000: p = 0.0354884504664747; C 128/1000: p = 0.0488344608480606; Holm: 2 · 0.0355 = 0.071 > 0.05.
    const result = evaluate(withHoldout, {
      arms: { control: c(100, 1000), B: c(130, 1000), C: c(128, 1000), holdout: c(30, 333) },
    });
    const b = result.arms[1]?.comparison;
    const cArm = result.arms[2]?.comparison;
    expect(Math.abs((b?.p ?? 0) - 0.0354884504664747)).toBeLessThan(tolerance);
    expect(Math.abs((cArm?.p ?? 0) - 0.0488344608480606)).toBeLessThan(tolerance);
    expect(Math.abs((b?.adjustedP ?? 0) - 2 * 0.0354884504664747)).toBeLessThan(tolerance);
    expect(Math.abs((cArm?.adjustedP ?? 0) - 2 * 0.0354884504664747)).toBeLessThan(tolerance);
    expect([b?.significant, cArm?.significant]).toEqual([false, false]);
    expect(result.verdict.code).toBe("no_difference");
  });

  it("a variant significantly worse beside one no different: no difference, the worse one named", () => {
    const result = evaluate(withHoldout, {
      arms: { control: c(100, 1000), B: c(50, 1000), C: c(105, 1000), holdout: c(30, 333) },
    });
    expect(result.verdict).toEqual({
      kind: "no_difference",
      winner: null,
      code: "no_difference",
      reason:
        "no variant converts differently from control at α = 0.05 (Holm) with at least 831 customers per arm; B converts worse",
    });
  });
});

describe("evaluate: sequential analysis", () => {
  it("decides below the fixed minimum on the always-valid p, the smallest over every look", () => {
    const history = [{ control: c(10, 100), B: c(25, 100) }];
    const now = { control: c(100, 1000), B: c(150, 1000) };
    const result = evaluate(sequentialTwoArms, { arms: now, history });
    const comparison = result.arms[1]?.comparison;
    // τ² = (0.15 − 0.10)²: the looks' 1/Λ are 0.22400393665056381 and 0.018416346453504858.
    expect(Math.abs((comparison?.sequentialP ?? 0) - 0.01841634645350486)).toBeLessThan(tolerance);
    expect(comparison?.adjustedP).toBe(comparison?.sequentialP);
    expect(comparison?.p).toBe(zTest(now.control, now.B).p);
    expect(comparison?.sequentialP).toBeGreaterThan(comparison?.p ?? 1);
    expect(result.verdict).toEqual({
      kind: "winner",
      winner: "B",
      code: "winner",
      reason:
        "B converts better than control (15.00% vs 10.00%, adjusted p = 0.018 ≤ α = 0.05, always-valid p, Holm)",
    });
  });

  it("an earlier look's stronger evidence is kept: p never rises when the data weaken", () => {
    const history = [{ control: c(10, 200), B: c(40, 200) }];
    const now = { control: c(100, 1000), B: c(112, 1000) };
    // The design's default mixing variance, (p₂ − p₁)², computed as evaluate() does.
    const mixingVariance = (0.15 - 0.1) ** 2;
    const direct = sequential(
      [
        { control: c(10, 200), variant: c(40, 200) },
        { control: now.control, variant: now.B },
      ],
      { alpha: 0.05, mixingVariance },
    );
    const first = direct[0]?.p ?? 1;
    expect(first).toBeLessThan(0.05);
    const result = evaluate(sequentialTwoArms, { arms: now, history });
    expect(result.arms[1]?.comparison?.sequentialP).toBe(first);
    expect(result.verdict.winner).toBe("B");
  });

  it("no difference once the confidence sequence excludes the designed effect both ways", () => {
    const result = evaluate(sequentialTwoArms, { arms: { control: c(2000, 20000), B: c(2010, 20000) } });
    const interval = result.arms[1]?.comparison?.confidenceSequence;
    expect(interval?.lower).toBeGreaterThan(-0.05);
    expect(interval?.upper).toBeLessThan(0.05);
    expect(result.verdict).toEqual({
      kind: "no_difference",
      winner: null,
      code: "no_difference",
      reason:
        "no variant differs from control by 5.00 percentage points or more: every confidence sequence lies within ±5.00 percentage points",
    });
  });

  it("not yet while neither a difference nor its absence is shown", () => {
    const result = evaluate(sequentialTwoArms, { arms: { control: c(100, 1000), B: c(110, 1000) } });
    expect(result.verdict).toEqual({
      kind: "not_yet",
      winner: null,
      code: "no_decision_yet",
      reason:
        "not yet: no variant differs from control yet (smallest always-valid p = 1.0) and a difference of 5.00 percentage points is not ruled out; keep the experiment running",
    });
  });

  it("the confidence sequence is at α / variants, and Holm runs over the always-valid p-values", () => {
    const design: ExperimentDesign = { ...withHoldout, analysis: "sequential", mixingVariance: 0.001 };
    const arms = { control: c(100, 1000), B: c(150, 1000), C: c(130, 1000), holdout: c(30, 333) };
    const result = evaluate(design, { arms });
    const looks = (name: "B" | "C") => [{ control: arms.control, variant: arms[name] }];
    const b = sequential(looks("B"), { alpha: 0.025, mixingVariance: 0.001 })[0];
    const cArm = sequential(looks("C"), { alpha: 0.025, mixingVariance: 0.001 })[0];
    expect(result.arms[1]?.comparison?.confidenceSequence).toEqual(b?.interval);
    expect(result.arms[2]?.comparison?.confidenceSequence).toEqual(cArm?.interval);
    const corrected = holm([b?.p ?? 1, cArm?.p ?? 1], 0.05);
    expect(result.arms.slice(1, 3).map((arm) => arm.comparison?.adjustedP)).toEqual(corrected.adjusted);
  });
});

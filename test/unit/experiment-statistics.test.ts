import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  achievedPower,
  type Counts,
  holm,
  liftInterval,
  minimumSampleSize,
  type SequentialLook,
  sequential,
  srmTest,
  zTest,
} from "../../domain/experiments/statistics.ts";
import { seededRandom } from "../support/random.ts";

/*
 * Reference values. Closed forms are chosen so that each statistic is a published constant:
 * - Φ(−√2·k)·2 = erfc(k): erfc(1) = 0.15729920705028513066, erfc(2) = 0.0046777349810472658379,
 *   erfc(3) = 2.2090496998585441373e-5 (Abramowitz & Stegun, Table 7.1; here to 20 digits from mpmath).
 * - the χ² upper tail: df 1, P(χ² > x) = erfc(√(x/2)); df 2, P(χ² > x) = e^(−x/2).
 * - normal quantiles: z₀.₉₇₅ = 1.959963984540054, z₀.₈ = 0.8416212335729142, z₀.₉₉₅ = 2.5758293035489008.
 * Where no closed form exists the value is the formula evaluated with 40-digit arithmetic (mpmath), shown.
 */
const tolerance = 1e-9;
const erfc1 = 0.15729920705028513;
const erfc2 = 0.004677734981047266;
const erfc3 = 2.2090496998585441e-5;
const z975 = 1.959963984540054;

const counts = (conversions: number, n: number): Counts => ({ n, conversions });

describe("normal quantiles from stdlib", () => {
  it("z₀.₉₇₅, z₀.₈ and z₀.₉₉₅", () => {
    expect(normalQuantile(0.975, 0, 1)).toBeCloseTo(z975, 15);
    expect(normalQuantile(0.8, 0, 1)).toBeCloseTo(0.8416212335729142, 15);
    expect(normalQuantile(0.995, 0, 1)).toBeCloseTo(2.5758293035489008, 14);
  });
});

describe("zTest (pooled, two-sided)", () => {
  it("40/100 vs 60/100: p̄ = 0.5, SE = √0.005, z = 2√2, p = erfc(2); prop.test X-squared = 8", () => {
    const result = zTest(counts(40, 100), counts(60, 100));
    expect(Math.abs(result.z - 2 * Math.SQRT2)).toBeLessThan(tolerance);
    expect(Math.abs(result.z ** 2 - 8)).toBeLessThan(tolerance);
    expect(Math.abs(result.p - erfc2)).toBeLessThan(tolerance);
    expect(Math.abs(result.standardError - Math.sqrt(0.005))).toBeLessThan(tolerance);
  });

  it("45/100 vs 55/100: z = √2, p = erfc(1); the sign follows the variant", () => {
    const better = zTest(counts(45, 100), counts(55, 100));
    expect(Math.abs(better.z - Math.SQRT2)).toBeLessThan(tolerance);
    expect(Math.abs(better.p - erfc1)).toBeLessThan(tolerance);
    const worse = zTest(counts(55, 100), counts(45, 100));
    expect(Math.abs(worse.z + Math.SQRT2)).toBeLessThan(tolerance);
    expect(Math.abs(worse.p - erfc1)).toBeLessThan(tolerance);
  });

  it("unequal arms, 200/1000 vs 150/500: p̄ = 7/30, z² = 0.01 / (7/30 · 23/30 · 3/1000) = 9000/483", () => {
    // R: prop.test(c(150, 200), c(500, 1000), correct = FALSE) → X-squared = 18.634, p-value = 1.584e-05.
    const result = zTest(counts(200, 1000), counts(150, 500));
    expect(Math.abs(result.z ** 2 - 9000 / 483)).toBeLessThan(tolerance);
    expect(Math.abs(result.z - 4.316658473017156)).toBeLessThan(tolerance);
    // erfc(√(4500/483)) with 40 digits.
    expect(Math.abs(result.p - 1.5840896498178682e-5)).toBeLessThan(1e-15);
  });

  it("equal rates: z = 0, p = 1", () => {
    const result = zTest(counts(30, 300), counts(10, 100));
    expect([result.z, result.p]).toEqual([0, 1]);
    expect(Math.abs(result.standardError - Math.sqrt(0.09 * (4 / 300)))).toBeLessThan(tolerance);
  });

  it("zero conversions in both arms, or every customer converted: no evidence, z = 0, p = 1", () => {
    expect(zTest(counts(0, 500), counts(0, 400))).toEqual({ z: 0, p: 1, standardError: 0 });
    expect(zTest(counts(20, 20), counts(3, 3))).toEqual({ z: 0, p: 1, standardError: 0 });
  });

  it("zero conversions in one arm only: 0/100 vs 5/100, p̄ = 0.025, z = 0.05 / √(0.025 · 0.975 · 0.02)", () => {
    const result = zTest(counts(0, 100), counts(5, 100));
    const z = 0.05 / Math.sqrt(0.025 * 0.975 * 0.02);
    expect(Math.abs(result.z - 2.2645540682891916)).toBeLessThan(tolerance);
    expect(Math.abs(result.z - z)).toBeLessThan(tolerance);
  });

  it("tiny n: 0/1 vs 1/1 gives z = √2 (p̄ = ½, SE = √(¼ · 2)), p = erfc(1); an empty arm gives p = 1", () => {
    const result = zTest(counts(0, 1), counts(1, 1));
    expect(Math.abs(result.z - Math.SQRT2)).toBeLessThan(tolerance);
    expect(Math.abs(result.p - erfc1)).toBeLessThan(tolerance);
    expect(zTest(counts(0, 0), counts(1, 1))).toEqual({ z: 0, p: 1, standardError: 0 });
  });

  it("a p far in the tail keeps its precision (from Φ(−|z|), not 1 − Φ(|z|))", () => {
    // 30/1000 vs 120/1000: z = 0.09 / √(0.075 · 0.925 · 0.002) = 7.6327…, p ≈ 2.3e-14.
    const result = zTest(counts(30, 1000), counts(120, 1000));
    expect(result.p).toBeGreaterThan(0);
    expect(result.p).toBeLessThan(1e-13);
  });

  it("refuses counts that are not counts", () => {
    expect(() => zTest(counts(5, 4), counts(1, 10))).toThrow(
      "control: conversions must be an integer from 0 to n (4), not 5",
    );
    expect(() => zTest(counts(1, 10), counts(-1, 10))).toThrow(RangeError);
    expect(() => zTest(counts(1, 10.5), counts(1, 10))).toThrow(
      "control: n must be a non-negative integer, not 10.5",
    );
  });
});

describe("liftInterval (unpooled SE; relative by the delta method)", () => {
  it("40/100 vs 60/100 at α = 0.05: d = 0.2 ± z₀.₉₇₅ · √0.0048; r = 0.5 ± z₀.₉₇₅ · √(0.0024/0.16 + 0.36 · 0.0024/0.0256)", () => {
    const lift = liftInterval(counts(40, 100), counts(60, 100), 0.05);
    expect(Math.abs(lift.absolute.estimate - 0.2)).toBeLessThan(tolerance);
    expect(Math.abs(lift.absolute.standardError - Math.sqrt(0.0048))).toBeLessThan(tolerance);
    expect(Math.abs(lift.absolute.lower - 0.06420971191085938)).toBeLessThan(tolerance);
    expect(Math.abs(lift.absolute.upper - 0.3357902880891406)).toBeLessThan(tolerance);
    expect(lift.relative).not.toBeNull();
    expect(Math.abs((lift.relative?.estimate ?? 0) - 0.5)).toBeLessThan(tolerance);
    expect(Math.abs((lift.relative?.standardError ?? 0) - 0.22079402165819617)).toBeLessThan(tolerance);
    expect(Math.abs((lift.relative?.lower ?? 0) - 0.0672516695481788)).toBeLessThan(tolerance);
    expect(Math.abs((lift.relative?.upper ?? 0) - 0.9327483304518212)).toBeLessThan(tolerance);
  });

  it("α = 0.01 widens the interval by z₀.₉₉₅ / z₀.₉₇₅", () => {
    const lift = liftInterval(counts(40, 100), counts(60, 100), 0.01);
    expect(Math.abs(lift.absolute.upper - (0.2 + 2.5758293035489008 * Math.sqrt(0.0048)))).toBeLessThan(
      tolerance,
    );
  });

  it("a control rate of 0 has an absolute lift but no relative one", () => {
    const lift = liftInterval(counts(0, 100), counts(5, 100), 0.05);
    expect(lift.relative).toBeNull();
    expect(Math.abs(lift.absolute.estimate - 0.05)).toBeLessThan(tolerance);
    expect(Math.abs(lift.absolute.upper - (0.05 + z975 * Math.sqrt(0.0475 / 100)))).toBeLessThan(tolerance);
  });

  it("rates of 0 and 1 everywhere: a zero-width Wald interval at the estimate", () => {
    const lift = liftInterval(counts(0, 50), counts(50, 50), 0.05);
    expect(lift.absolute).toEqual({ estimate: 1, standardError: 0, lower: 1, upper: 1 });
    expect(lift.relative).toBeNull();
  });

  it("needs customers in both arms", () => {
    expect(() => liftInterval(counts(0, 0), counts(1, 10), 0.05)).toThrow(
      "a lift needs customers in both arms",
    );
  });
});

describe("minimumSampleSize", () => {
  /*
   * n = ⌈(z₁₋α/₂ √(2p̄(1−p̄)) + z₁₋β √(p₁(1−p₁)+p₂(1−p₂)))² / (p₂−p₁)²⌉, each unrounded value evaluated with
   * 40-digit arithmetic. 10% → 15% at 5%/80%: (1.959963984540054 · √0.21875 + 0.8416212335729142 · √0.2175)² /
   * 0.0025 = 685.5968583253610, the 686 of Fleiss's uncorrected formula; 5% → 6%: 8157.731447849273, the
   * 8,158 per arm that A/B sample-size calculators quote.
   */
  it.each([
    [0.1, 0.15, 0.05, 0.8, 685.596858325361, 686],
    [0.05, 0.06, 0.05, 0.8, 8157.731447849273, 8158],
    [0.2, 0.3, 0.01, 0.9, 555.4997638505567, 556],
    [0.5, 0.4, 0.05, 0.8, 387.3385166990357, 388],
    [0, 0.01, 0.05, 0.8, 779.7835580047231, 780],
    [0.1, 0.15, 0.025, 0.8, 830.3919946891912, 831],
  ])("p₁ = %f → p₂ = %f, α = %f, power %f: %f → %i", (p1, p2, alpha, power, exact, n) => {
    expect(minimumSampleSize(p1, p2, alpha, power)).toBe(n);
    // At the unrounded n per arm the power is exactly the one asked for: achievedPower inverts the formula.
    expect(Math.abs(achievedPower(p1, p2, exact, exact, alpha) - power)).toBeLessThan(tolerance);
  });

  it("refuses equal rates and rates or error levels out of range", () => {
    expect(() => minimumSampleSize(0.1, 0.1, 0.05, 0.8)).toThrow("baselineRate and targetRate must differ");
    expect(() => minimumSampleSize(0.1, 1.2, 0.05, 0.8)).toThrow("targetRate must be from 0 to 1, not 1.2");
    expect(() => minimumSampleSize(0.1, 0.2, 0, 0.8)).toThrow(
      "alpha must be strictly between 0 and 1, not 0",
    );
    expect(() => minimumSampleSize(0.1, 0.2, 0.05, 1)).toThrow(
      "power must be strictly between 0 and 1, not 1",
    );
  });
});

describe("achievedPower", () => {
  it("grows with n, is 0 with an empty arm, and passes 1 − β at the minimum sample", () => {
    expect(achievedPower(0.1, 0.15, 0, 500, 0.05)).toBe(0);
    const powers = [100, 300, 686, 2000].map((n) => achievedPower(0.1, 0.15, n, n, 0.05));
    expect(powers).toEqual([...powers].sort((a, b) => a - b));
    expect(powers[2]).toBeGreaterThanOrEqual(0.8);
    expect(achievedPower(0.1, 0.15, 685, 685, 0.05)).toBeLessThan(0.8);
  });

  it("unequal arms: p̄ weighted by n, Φ((0.05 − z₀.₉₇₅ · √(p̄(1−p̄)(1/1000 + 1/500))) / √(0.09/1000 + 0.1275/500))", () => {
    const mean = (1000 * 0.1 + 500 * 0.15) / 1500;
    const argument =
      (0.05 - z975 * Math.sqrt(mean * (1 - mean) * (1 / 1000 + 1 / 500))) /
      Math.sqrt(0.09 / 1000 + 0.1275 / 500);
    // With 40 digits: argument = 0.83652094695424304, Φ(argument) = 0.79856905117726747.
    expect(Math.abs(argument - 0.836520946954243)).toBeLessThan(tolerance);
    expect(Math.abs(achievedPower(0.1, 0.15, 1000, 500, 0.05) - 0.7985690511772675)).toBeLessThan(tolerance);
  });
});

describe("srmTest (Pearson χ², df = arms − 1, flagged at p < 0.001)", () => {
  it("50/50, 9800 vs 10200: χ² = 400²/20000 = 8, p = erfc(2) — not flagged", () => {
    const result = srmTest([9800, 10200], [1, 1]);
    expect(result.degreesOfFreedom).toBe(1);
    expect(Math.abs(result.statistic - 8)).toBeLessThan(tolerance);
    expect(Math.abs(result.p - erfc2)).toBeLessThan(tolerance);
    expect(result.mismatch).toBe(false);
  });

  it("50/50, 9700 vs 10300: χ² = 18, p = erfc(3) — flagged", () => {
    const result = srmTest([9700, 10300], [5000, 5000]);
    expect(Math.abs(result.statistic - 18)).toBeLessThan(tolerance);
    expect(Math.abs(result.p - erfc3)).toBeLessThan(tolerance);
    expect(result.mismatch).toBe(true);
  });

  it("40/40/20 with a holdout, df = 2 so p = e^(−χ²/2)", () => {
    // 4100, 3950, 1950 of 10000: 100²/4000 + 50²/4000 + 50²/2000 = 4.375.
    const fine = srmTest([4100, 3950, 1950], [40, 40, 20]);
    expect(fine.degreesOfFreedom).toBe(2);
    expect(Math.abs(fine.statistic - 4.375)).toBeLessThan(tolerance);
    expect(Math.abs(fine.p - Math.exp(-2.1875))).toBeLessThan(tolerance);
    expect(fine.mismatch).toBe(false);
    // 4000, 4200, 1800: 0 + 10 + 20 = 30, p = e^(−15) = 3.059e-7.
    const broken = srmTest([4000, 4200, 1800], [40, 40, 20]);
    expect(Math.abs(broken.statistic - 30)).toBeLessThan(tolerance);
    expect(Math.abs(broken.p - 3.059023205018258e-7)).toBeLessThan(tolerance);
    expect(broken.mismatch).toBe(true);
  });

  it("the threshold: 50/50 with χ² just either side of 10.827566 (the 0.999 point of χ²(1))", () => {
    // N = 20000, difference d: χ² = d²/20000. d = 466 → 10.8578 (p 0.00098, flagged); d = 464 → 10.7648 (p 0.00103).
    expect(srmTest([9767, 10233], [1, 1]).mismatch).toBe(true);
    expect(srmTest([9768, 10232], [1, 1]).mismatch).toBe(false);
  });

  it("no customers yet: statistic 0, p 1; and refuses mismatched or bad input", () => {
    expect(srmTest([0, 0, 0], [1, 1, 1])).toEqual({
      statistic: 0,
      degreesOfFreedom: 2,
      p: 1,
      mismatch: false,
    });
    expect(() => srmTest([1, 2], [1])).toThrow("the SRM test needs at least two arms and one share per arm");
    expect(() => srmTest([1, 2], [1, 0])).toThrow("shares must be positive, not 0");
  });
});

describe("holm", () => {
  it("the textbook example: p = 0.01, 0.04, 0.03, 0.005 at α = 0.05 rejects the first and the last", () => {
    // Sorted 0.005, 0.01, 0.03, 0.04 against α/4, α/3, α/2, α: 0.005 ≤ 0.0125, 0.01 ≤ 0.01667, 0.03 > 0.025 stop.
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") → 0.03 0.06 0.06 0.02.
    const result = holm([0.01, 0.04, 0.03, 0.005], 0.05);
    expect(result.adjusted.map((p) => Number(p.toFixed(12)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(result.rejected).toEqual([true, false, false, true]);
  });

  it("one comparison is left as it is; adjusted values cap at 1 and never fall below an earlier one", () => {
    expect(holm([0.04], 0.05)).toEqual({ adjusted: [0.04], rejected: [true] });
    const capped = holm([0.6, 0.02, 0.5], 0.05);
    expect(capped.adjusted.map((p) => Number(p.toFixed(12)))).toEqual([1, 0.06, 1]);
    expect(capped.rejected).toEqual([false, false, false]);
    // Sorted 0.01, 0.02, 0.03 → 3 · 0.01 = 0.03, 2 · 0.02 = 0.04, then 1 · 0.03 lifted to the running 0.04.
    const stepped = holm([0.01, 0.02, 0.03], 0.05);
    expect(stepped.adjusted.map((p) => Number(p.toFixed(12)))).toEqual([0.03, 0.04, 0.04]);
    expect(stepped.rejected).toEqual([true, true, true]);
  });

  it("equal p-values share their adjusted value", () => {
    const tied = holm([0.02, 0.02], 0.05);
    expect(tied.adjusted).toEqual([0.04, 0.04]);
    expect(tied.rejected).toEqual([true, true]);
  });
});

describe("sequential (mSPRT, normal mixture)", () => {
  const oneLook = (control: Counts, variant: Counts, mixingVariance: number, alpha = 0.05) =>
    sequential([{ control, variant }], { alpha, mixingVariance })[0];

  it("τ² = V: Λ = √½ · e^(z²/4), so at 40/100 vs 60/100 (z² = 8) the always-valid p is √2 · e^(−2)", () => {
    const result = oneLook(counts(40, 100), counts(60, 100), 0.005);
    expect(Math.abs((result?.p ?? 0) - Math.SQRT2 * Math.exp(-2))).toBeLessThan(tolerance);
    expect(Math.abs((result?.p ?? 0) - 0.19139299302082186)).toBeLessThan(tolerance);
    // The fixed-horizon p of the same data is erfc(2) = 0.0047: peeking-proof costs evidence.
    expect(result?.p).toBeGreaterThan(erfc2);
  });

  it("the confidence sequence: d ± √(V(V+τ²)/τ² · (2 ln 20 + ln((V+τ²)/V))) with the unpooled V = 0.0048", () => {
    const result = oneLook(counts(40, 100), counts(60, 100), 0.005);
    expect(Math.abs((result?.interval.lower ?? 0) - -0.05116292200064722)).toBeLessThan(tolerance);
    expect(Math.abs((result?.interval.upper ?? 0) - 0.4511629220006472)).toBeLessThan(tolerance);
  });

  it("equals the paper's two-stream form √(2σ²/(2σ²+nτ²)) · exp(n²τ²d²/(4σ²(2σ²+nτ²))) for equal arms", () => {
    for (const [a, b, n, tau2] of [
      [480, 540, 5000, 0.0001],
      [100, 130, 1000, 0.01],
      [12, 25, 200, 0.0004],
    ] as const) {
      const d = (b - a) / n;
      const pooled = (a + b) / (2 * n);
      const sigma2 = pooled * (1 - pooled);
      const lambda =
        Math.sqrt((2 * sigma2) / (2 * sigma2 + n * tau2)) *
        Math.exp((n ** 2 * tau2 * d ** 2) / (4 * sigma2 * (2 * sigma2 + n * tau2)));
      const result = oneLook(counts(a, n), counts(b, n), tau2);
      expect(Math.abs((result?.p ?? 0) - Math.min(1, 1 / lambda))).toBeLessThan(tolerance);
    }
  });

  it("no evidence: equal rates, all-zero arms and empty arms give p = 1 and the whole [−1, 1] where V is 0", () => {
    expect(oneLook(counts(10, 100), counts(10, 100), 0.001)?.p).toBe(1);
    expect(oneLook(counts(0, 100), counts(0, 100), 0.001)).toEqual({
      p: 1,
      interval: { lower: -1, upper: 1 },
    });
    expect(oneLook(counts(0, 0), counts(3, 10), 0.001)).toEqual({ p: 1, interval: { lower: -1, upper: 1 } });
  });

  it("never below the fixed-horizon p at the same data, for any data and mixing variance", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 1e-6, max: 1, noNaN: true }),
        (nA, nB, shareA, shareB, tau2) => {
          const control = counts(Math.round(shareA * nA), nA);
          const variant = counts(Math.round(shareB * nB), nB);
          const fixed = zTest(control, variant).p;
          const result = oneLook(control, variant, tau2);
          expect(result?.p).toBeGreaterThanOrEqual(fixed);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("over daily looks: non-increasing, never below the smallest fixed-horizon p so far, the interval only narrows", () => {
    const random = seededRandom(15);
    const looks: SequentialLook[] = [];
    let control = counts(0, 0);
    let variant = counts(0, 0);
    for (let day = 0; day < 60; day += 1) {
      for (let visitor = 0; visitor < 200; visitor += 1) {
        control = counts(control.conversions + (random() < 0.1 ? 1 : 0), control.n + 1);
        variant = counts(variant.conversions + (random() < 0.115 ? 1 : 0), variant.n + 1);
      }
      looks.push({ control, variant });
    }
    const results = sequential(looks, { alpha: 0.05, mixingVariance: 0.015 ** 2 });
    let smallestFixed = 1;
    results.forEach((result, index) => {
      const look = looks[index];
      if (!look) throw new Error("no look");
      smallestFixed = Math.min(smallestFixed, zTest(look.control, look.variant).p);
      expect(result.p).toBeGreaterThanOrEqual(smallestFixed);
      const previous = results[index - 1];
      if (previous) {
        expect(result.p).toBeLessThanOrEqual(previous.p);
        expect(result.interval.lower).toBeGreaterThanOrEqual(previous.interval.lower);
        expect(result.interval.upper).toBeLessThanOrEqual(previous.interval.upper);
      }
    });
    // A true 1.5-point lift over 12,000 customers per arm is found.
    expect(results.at(-1)?.p).toBeLessThan(0.05);
  });

  it("A/A tests looked at every day: the mSPRT stays within α, the fixed-horizon p read daily does not", () => {
    const random = seededRandom(2026);
    const experiments = 400;
    let sequentialFalse = 0;
    let peekingFalse = 0;
    let finalFalse = 0;
    for (let run = 0; run < experiments; run += 1) {
      const looks: SequentialLook[] = [];
      let a = 0;
      let b = 0;
      for (let day = 1; day <= 30; day += 1) {
        for (let visitor = 0; visitor < 100; visitor += 1) {
          if (random() < 0.2) a += 1;
          if (random() < 0.2) b += 1;
        }
        looks.push({ control: counts(a, day * 100), variant: counts(b, day * 100) });
      }
      const last = sequential(looks, { alpha: 0.05, mixingVariance: 0.02 ** 2 }).at(-1);
      if ((last?.p ?? 1) <= 0.05) sequentialFalse += 1;
      if (looks.some((look) => zTest(look.control, look.variant).p <= 0.05)) peekingFalse += 1;
      const final = looks.at(-1);
      if (final && zTest(final.control, final.variant).p <= 0.05) finalFalse += 1;
    }
    // Seeded, so the counts are fixed: the mSPRT read daily 3 of 400 (0.75%); the z-test read once at the
    // end 16 (4%, as designed); the z-test read daily, stopping at the first p ≤ 0.05, 108 (27%).
    expect([sequentialFalse, finalFalse, peekingFalse]).toEqual([3, 16, 108]);
  });

  it("refuses a mixing variance that is not positive", () => {
    expect(() => sequential([], { alpha: 0.05, mixingVariance: 0 })).toThrow(
      "mixingVariance must be positive, not 0",
    );
  });
});

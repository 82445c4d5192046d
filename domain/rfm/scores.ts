import type { RfmSegment } from "../../db/schema/rfm.ts";

/**
 * RFM scoring, the pure part (SPEC §11). The recompute (recompute.ts) does the same in SQL with `rank()`;
 * these functions are its reference and what the tests check it against.
 *
 * The quintile rule: within one partition (a brand and currency) of `n` scored accounts, an account's
 * score is `1 + floor(5 · (rank − 1) / n)`, where `rank` is SQL's `rank()` over the partition ordered by
 * the value, low to high (1 + the number of accounts with a strictly lower value). Equal values always
 * share a rank, so they always share a score: nothing depends on row order, and ties are never split.
 * A tie takes the lowest score its positions reach (a value most accounts share, such as one order,
 * scores low). Frequency and monetary are ordered ascending (more = higher score); recency is ordered by
 * days since the last order descending, so the most recent accounts score 5. With n < 5 not every score
 * occurs (n = 1 scores 1; n = 2 scores 1 and 3).
 */

export type ScoreOrder = "ascending" | "descending";

/** The score of the account at `rank` (1..n) among `n`: 1 + floor(5 · (rank − 1) / n). */
export function quintile(rank: number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, not ${n}`);
  if (!Number.isInteger(rank) || rank < 1 || rank > n)
    throw new RangeError(`rank must be an integer from 1 to ${n}, not ${rank}`);
  return 1 + Math.floor((5 * (rank - 1)) / n);
}

/** SQL `rank()` of each value ordered `order`: 1 + how many values come strictly before it. */
export function ranks(values: readonly number[], order: ScoreOrder = "ascending"): number[] {
  const sorted = [...values].sort((a, b) => (order === "ascending" ? a - b : b - a));
  const first = new Map<number, number>();
  sorted.forEach((value, index) => {
    if (!first.has(value)) first.set(value, index + 1);
  });
  return values.map((value) => first.get(value) ?? 0);
}

/** The quintile score of each value within `values` (one partition), by {@link quintile}. */
export function quintileScores(values: readonly number[], order: ScoreOrder = "ascending"): number[] {
  return ranks(values, order).map((rank) => quintile(rank, values.length));
}

export interface RfmInputs {
  /** Days since the last counted order (0: on the run date). */
  recencyDays: number;
  /** Counted orders. */
  frequency: number;
  /** Net revenue in minor units of the partition's one currency. */
  monetary: number;
}

export interface RfmScores {
  r: number;
  f: number;
  m: number;
  segment: RfmSegment;
}

/** The scores and segment of every account of one partition (a brand and currency), in input order. */
export function rfmScores(accounts: readonly RfmInputs[]): RfmScores[] {
  const r = quintileScores(
    accounts.map((a) => a.recencyDays),
    "descending",
  );
  const f = quintileScores(accounts.map((a) => a.frequency));
  const m = quintileScores(accounts.map((a) => a.monetary));
  return accounts.map((_, index) => {
    const scores = { r: r[index] ?? 1, f: f[index] ?? 1, m: m[index] ?? 1 };
    return { ...scores, segment: segmentOf(scores.r, scores.f) };
  });
}

/**
 * The R×F segment map: `rfmSegmentGrid[r − 1][f − 1]`. Every one of the 25 cells has exactly one segment.
 *
 * | R \ F | 1              | 2                   | 3                   | 4                | 5                |
 * | ----- | -------------- | ------------------- | ------------------- | ---------------- | ---------------- |
 * | 5     | new_customers  | potential_loyalists | potential_loyalists | champions        | champions        |
 * | 4     | promising      | potential_loyalists | potential_loyalists | loyal_customers  | loyal_customers  |
 * | 3     | about_to_sleep | about_to_sleep      | need_attention      | loyal_customers  | loyal_customers  |
 * | 2     | hibernating    | hibernating         | at_risk             | at_risk          | cannot_lose_them |
 * | 1     | hibernating    | hibernating         | at_risk             | at_risk          | cannot_lose_them |
 */
export const rfmSegmentGrid: readonly (readonly RfmSegment[])[] = [
  ["hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose_them"],
  ["hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose_them"],
  ["about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"],
  ["promising", "potential_loyalists", "potential_loyalists", "loyal_customers", "loyal_customers"],
  ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],
];

const isScore = (value: number): boolean => Number.isInteger(value) && value >= 1 && value <= 5;

/** The segment of the (R, F) cell; R and F are scores 1–5. */
export function segmentOf(r: number, f: number): RfmSegment {
  const segment = isScore(r) && isScore(f) ? rfmSegmentGrid[r - 1]?.[f - 1] : undefined;
  if (segment === undefined) throw new RangeError(`(${r}, ${f}) is not an R×F cell`);
  return segment;
}

/** Every (R, F) cell, R then F from 1 to 5: the heatmap's order. */
export const rfmCells: readonly { r: number; f: number; segment: RfmSegment }[] = rfmSegmentGrid.flatMap(
  (row, ri) => row.map((segment, fi) => ({ r: ri + 1, f: fi + 1, segment })),
);

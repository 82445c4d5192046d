/**
 * The bins of the frequency × monetary scatter (the dashboard's acquisition tab): the recompute stores each
 * brand's accounts per bin in `rfm_scatter_bins` with `width_bucket` over these bounds, and the dashboard
 * labels the stored bin indexes with their edges, so the two read the same bounds.
 */

export interface BinEdge {
  /** Inclusive lower bound. */
  from: number;
  /** Exclusive upper bound; null for the last bin. */
  to: number | null;
}

/** Orders per account: 1, 2, 3, 4, 5–6, 7–9, 10+ (bin 0 is 1 order: a scored account has at least one). */
export const frequencyBounds: readonly number[] = [2, 3, 4, 5, 7, 10];
/** Monetary in minor units on a 1-2-5 scale from 1 to 5 × 10¹²; below 1 (nothing net) is its own bin, 0. */
export const monetaryBounds: readonly number[] = Array.from({ length: 13 }, (_, decade) =>
  [1, 2, 5].map((step) => step * 10 ** decade),
).flat();

const edges = (bounds: readonly number[], first: number): BinEdge[] =>
  [first, ...bounds].map((from, index) => ({ from, to: bounds[index] ?? null }));

/** The 7 frequency bins, by the index `width_bucket(frequency, frequencyBounds)` gives. */
export const frequencyBins: readonly BinEdge[] = edges(frequencyBounds, 1);
/** The 40 monetary bins, by the index `width_bucket(monetary, monetaryBounds)` gives. */
export const monetaryBins: readonly BinEdge[] = edges(monetaryBounds, 0);

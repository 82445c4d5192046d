import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rfmSegments } from "../../db/schema/rfm.ts";
import { quintile, quintileScores, ranks, rfmCells, rfmScores, segmentOf } from "../../domain/rfm/scores.ts";

describe("quintile", () => {
  it.each([
    [1, [1]],
    [2, [1, 3]],
    [3, [1, 2, 4]],
    [4, [1, 2, 3, 4]],
    [5, [1, 2, 3, 4, 5]],
    [6, [1, 1, 2, 3, 4, 5]],
    [10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]],
  ])("n = %i: ranks 1..n score %j", (n, expected) => {
    expect(Array.from({ length: n }, (_, index) => quintile(index + 1, n))).toEqual(expected);
  });

  it("a partition of 5k distinct values has exactly k of each score", () => {
    const values = Array.from({ length: 35 }, (_, index) => 1000 - index * 7);
    const scores = quintileScores(values);
    for (const score of [1, 2, 3, 4, 5]) expect(scores.filter((s) => s === score)).toHaveLength(7);
  });

  it("refuses a rank outside 1..n and an n below 1", () => {
    expect(() => quintile(0, 3)).toThrow("rank must be an integer from 1 to 3, not 0");
    expect(() => quintile(4, 3)).toThrow("rank must be an integer from 1 to 3, not 4");
    expect(() => quintile(1.5, 3)).toThrow(RangeError);
    expect(() => quintile(1, 0)).toThrow("n must be a positive integer, not 0");
  });
});

describe("ranks and ties", () => {
  it("ranks as SQL rank(): equal values share the first position, the next value skips", () => {
    expect(ranks([30, 10, 10, 20, 10])).toEqual([5, 1, 1, 4, 1]);
    expect(ranks([30, 10, 10, 20, 10], "descending")).toEqual([1, 3, 3, 2, 3]);
    expect(ranks([])).toEqual([]);
  });

  it("equal values share the lowest score their positions reach", () => {
    // All equal: one rank, score 1, whatever n.
    for (let n = 1; n <= 6; n += 1) expect(quintileScores(Array(n).fill(7))).toEqual(Array(n).fill(1));
    // Three one-order accounts among five: ranks 1, 1, 1, 4, 5.
    expect(quintileScores([1, 2, 1, 3, 1])).toEqual([1, 4, 1, 5, 1]);
    // Two of two tie: both 1 (not 1 and 3).
    expect(quintileScores([4, 4])).toEqual([1, 1]);
    // n = 6, a tie at the top: ranks 1, 2, 3, 3, 5, 5 → 1, 1, 2, 2, 4, 4.
    expect(quintileScores([1, 2, 3, 3, 9, 9])).toEqual([1, 1, 2, 2, 4, 4]);
  });

  it("recency is ordered by days descending: the most recent scores highest", () => {
    // Days 0, 0, 10, 3, 3, 30 → descending 30, 10, 3, 3, 0, 0: ranks 1, 2, 3, 3, 5, 5.
    expect(quintileScores([0, 0, 10, 3, 3, 30], "descending")).toEqual([4, 4, 1, 2, 2, 1]);
    expect(quintileScores([9, 5, 1, 0, 2], "descending")).toEqual([1, 2, 4, 5, 3]);
  });

  it("scores depend only on the values: order-free, ties together, monotone, 1–5", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        (values, descending) => {
          const order = descending ? "descending" : "ascending";
          const scores = quintileScores(values, order);
          const byValue = new Map(values.map((value, index) => [value, scores[index]]));
          const reversed = quintileScores([...values].reverse(), order).reverse();
          expect(reversed).toEqual(scores);
          values.forEach((value, index) => {
            expect(scores[index]).toBe(byValue.get(value));
            expect(scores[index]).toBeGreaterThanOrEqual(1);
            expect(scores[index]).toBeLessThanOrEqual(5);
            // The brute-force definition: 1 + the number of values strictly before it.
            const before = values.filter((other) => (descending ? other > value : other < value)).length;
            expect(scores[index]).toBe(1 + Math.floor((5 * before) / values.length));
          });
          for (const a of values)
            for (const b of values) {
              const higher = descending ? a < b : a > b;
              if (higher) expect(byValue.get(a) ?? 0).toBeGreaterThanOrEqual(byValue.get(b) ?? 0);
            }
        },
      ),
    );
  });
});

describe("segments", () => {
  const expected: Record<string, string> = {
    "1,1": "hibernating",
    "1,2": "hibernating",
    "1,3": "at_risk",
    "1,4": "at_risk",
    "1,5": "cannot_lose_them",
    "2,1": "hibernating",
    "2,2": "hibernating",
    "2,3": "at_risk",
    "2,4": "at_risk",
    "2,5": "cannot_lose_them",
    "3,1": "about_to_sleep",
    "3,2": "about_to_sleep",
    "3,3": "need_attention",
    "3,4": "loyal_customers",
    "3,5": "loyal_customers",
    "4,1": "promising",
    "4,2": "potential_loyalists",
    "4,3": "potential_loyalists",
    "4,4": "loyal_customers",
    "4,5": "loyal_customers",
    "5,1": "new_customers",
    "5,2": "potential_loyalists",
    "5,3": "potential_loyalists",
    "5,4": "champions",
    "5,5": "champions",
  };

  it("every (R, F) cell has the segment of the R×F map, and every segment is used", () => {
    for (let r = 1; r <= 5; r += 1)
      for (let f = 1; f <= 5; f += 1) expect([r, f, segmentOf(r, f)]).toEqual([r, f, expected[`${r},${f}`]]);
    expect(new Set(Object.values(expected))).toEqual(new Set(rfmSegments));
  });

  it("lists the 25 cells R then F ascending with their segments", () => {
    expect(rfmCells).toHaveLength(25);
    expect(rfmCells.slice(0, 6)).toEqual([
      { r: 1, f: 1, segment: "hibernating" },
      { r: 1, f: 2, segment: "hibernating" },
      { r: 1, f: 3, segment: "at_risk" },
      { r: 1, f: 4, segment: "at_risk" },
      { r: 1, f: 5, segment: "cannot_lose_them" },
      { r: 2, f: 1, segment: "hibernating" },
    ]);
    expect(rfmCells.map(({ r, f, segment }) => [`${r},${f}`, segment])).toEqual(Object.entries(expected));
  });

  it("refuses a score outside 1–5", () => {
    expect(() => segmentOf(0, 1)).toThrow("(0, 1) is not an R×F cell");
    expect(() => segmentOf(3, 6)).toThrow("(3, 6) is not an R×F cell");
    expect(() => segmentOf(2.5, 1)).toThrow(RangeError);
  });
});

describe("rfmScores", () => {
  it("scores a partition: R by days descending, F and M ascending, the segment from R and F", () => {
    const accounts = [
      { recencyDays: 2, frequency: 5, monetary: 90_000 },
      { recencyDays: 40, frequency: 1, monetary: 12_000 },
      { recencyDays: 200, frequency: 3, monetary: 40_000 },
      { recencyDays: 2, frequency: 1, monetary: 12_000 },
      { recencyDays: 90, frequency: 2, monetary: 25_000 },
    ];
    expect(rfmScores(accounts)).toEqual([
      // R: days 200, 90, 40, 2, 2 → ranks 1, 2, 3, 4, 4 → 1, 2, 3, 4, 4.
      { r: 4, f: 5, m: 5, segment: "loyal_customers" },
      // F: 1, 1, 2, 3, 5 → ranks 1, 1, 3, 4, 5 → 1, 1, 3, 4, 5. M likewise.
      { r: 3, f: 1, m: 1, segment: "about_to_sleep" },
      { r: 1, f: 4, m: 4, segment: "at_risk" },
      { r: 4, f: 1, m: 1, segment: "promising" },
      { r: 2, f: 3, m: 3, segment: "at_risk" },
    ]);
  });

  it("one account alone scores 1, 1, 1: hibernating; none gives none", () => {
    expect(rfmScores([{ recencyDays: 0, frequency: 9, monetary: 1 }])).toEqual([
      { r: 1, f: 1, m: 1, segment: "hibernating" },
    ]);
    expect(rfmScores([])).toEqual([]);
  });
});

import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Conflict } from "../../domain/core/errors.ts";
import {
  type ArmDesign,
  armOf,
  armRanges,
  assertAssignmentUnchanged,
  assignmentChanges,
  bucket,
  bucketCount,
} from "../../domain/experiments/assignment.ts";

/*
 * Computed once with node:crypto and checked with the README's SQL on PostgreSQL 15:
 *   select ('x' || substr(encode(sha256(convert_to(key || ':' || id, 'UTF8')), 'hex'), 1, 8))::bit(32)::bigint % 10000
 * test/workers/experiment-buckets.test.ts checks the same SQL against bucket() on many ids.
 */
const referenceBuckets: [key: string, id: string | number | bigint, first8Hex: string, bucket: number][] = [
  ["exp-1", 42, "40154296", 5126],
  ["exp-1", "43", "4df4b277", 2103],
  ["welcome-2026", 1, "762fd190", 5328],
  ["welcome-2026", 9007199254740993n, "46370136", 9910],
  ["spring-sale", 0, "05a59dcb", 9915],
  ["한글-실험", 1234, "131e2245", 1957],
  // The first bit set: read as unsigned, 0xde42830f = 3729949455.
  ["spring-sale", "cust_7f3a", "de42830f", 879],
  ["", "", "e7ac0786", 1014],
];

const arms = (...weights: number[]): ArmDesign[] =>
  weights.map((weight, index) => ({
    name: index === 0 ? "control" : `v${index}`,
    role: index === 0 ? "control" : "variant",
    weight,
  }));

describe("bucket", () => {
  it.each(referenceBuckets)("%s:%s → %s → %i", async (key, id, first8Hex, expected) => {
    expect(Number.parseInt(first8Hex, 16) % bucketCount).toBe(expected);
    expect(await bucket(key, id)).toBe(expected);
  });

  it("is uint32(first 8 hex digits of sha256) mod 10000 for any key and id", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.oneof(fc.string(), fc.nat()), async (key, id) => {
        const hex = createHash("sha256").update(`${key}:${id}`, "utf8").digest("hex");
        expect(await bucket(key, id)).toBe(Number.parseInt(hex.slice(0, 8), 16) % 10_000);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a number id that is not a safe integer (its text would not be the database's)", async () => {
    await expect(bucket("exp-1", 1.5)).rejects.toThrow(
      "customerId must be a safe integer or a string, not 1.5",
    );
    await expect(bucket("exp-1", 2 ** 60)).rejects.toThrow(RangeError);
  });

  it("spreads 20,000 ids over the ten deciles of the buckets evenly (χ², 9 df, below the 0.001 point 27.88)", async () => {
    const deciles = new Array<number>(10).fill(0);
    for (let id = 1; id <= 20_000; id += 1) {
      const value = await bucket("uniformity", id);
      deciles[Math.floor(value / 1000)] = (deciles[Math.floor(value / 1000)] ?? 0) + 1;
    }
    const chiSquare = deciles.reduce((sum, count) => sum + (count - 2000) ** 2 / 2000, 0);
    expect(chiSquare).toBeLessThan(27.88);
  });
});

describe("armRanges", () => {
  it("gives contiguous ranges in declared order, the holdout included", () => {
    expect(
      armRanges([
        { name: "control", role: "control", weight: 45 },
        { name: "B", role: "variant", weight: 45 },
        { name: "holdout", role: "holdout", weight: 10 },
      ]),
    ).toEqual([
      { arm: "control", role: "control", from: 0, to: 4500 },
      { arm: "B", role: "variant", from: 4500, to: 9000 },
      { arm: "holdout", role: "holdout", from: 9000, to: 10000 },
    ]);
  });

  it("splits the buckets left over by the largest remainder, equal remainders in declared order", () => {
    // 10000 / 3 = 3333 r 1: the one bucket left goes to the first arm.
    expect(armRanges(arms(1, 1, 1)).map((range) => range.to - range.from)).toEqual([3334, 3333, 3333]);
    // 10000·w / 7 for 1, 2, 4: 1428.57, 2857.14, 5714.29 → floors 1428, 2857, 5714 (9999); remainders 4, 1, 2.
    expect(armRanges(arms(1, 2, 4)).map((range) => range.to - range.from)).toEqual([1429, 2857, 5714]);
    // 10000·w / 6 for 1, 1, 1, 3: 1666.67 ×3 and 5000 → floors 1666 ×3 + 5000 = 9998; remainders 4, 4, 4, 0.
    expect(armRanges(arms(1, 1, 1, 3)).map((range) => range.to - range.from)).toEqual([
      1667, 1667, 1666, 5000,
    ]);
  });

  it("always covers 0–9999 exactly, each arm within one bucket of its share", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 2, maxLength: 5 }), (weights) => {
        const ranges = armRanges(arms(...weights));
        const total = weights.reduce((sum, weight) => sum + weight, 0);
        expect(ranges[0]?.from).toBe(0);
        expect(ranges.at(-1)?.to).toBe(10_000);
        ranges.forEach((range, index) => {
          if (index > 0) expect(range.from).toBe(ranges[index - 1]?.to);
          expect(Math.abs(range.to - range.from - (10_000 * (weights[index] ?? 0)) / total)).toBeLessThan(1);
        });
      }),
    );
  });

  it("refuses bad weights and arm sets", () => {
    expect(() => armRanges(arms(50, 0))).toThrow('the weight of "v1" must be a positive integer, not 0');
    expect(() => armRanges(arms(50, 49.5))).toThrow(
      'the weight of "v1" must be a positive integer, not 49.5',
    );
    expect(() => armRanges(arms(5000, 5001))).toThrow("the weights must sum to at most 10000, not 10001");
    expect(() => armRanges(arms(100))).toThrow("an experiment needs a control and at least one variant");
    expect(() =>
      armRanges([
        { name: "a", role: "control", weight: 1 },
        { name: "a", role: "variant", weight: 1 },
      ]),
    ).toThrow('arm names must be unique: "a" appears twice');
    expect(() =>
      armRanges([
        { name: "a", role: "variant", weight: 1 },
        { name: "b", role: "variant", weight: 1 },
      ]),
    ).toThrow("an experiment has exactly one control, not 0");
    expect(() =>
      armRanges([
        { name: "a", role: "control", weight: 1 },
        { name: "h", role: "holdout", weight: 1 },
      ]),
    ).toThrow("an experiment needs at least one variant");
    expect(() =>
      armRanges([
        { name: "a", role: "control", weight: 1 },
        { name: "b", role: "variant", weight: 1 },
        { name: "h1", role: "holdout", weight: 1 },
        { name: "h2", role: "holdout", weight: 1 },
      ]),
    ).toThrow("an experiment has at most one holdout, not 2");
  });
});

describe("armOf", () => {
  const ranges = armRanges(arms(1, 1, 1));

  it("finds the arm at each range's edges", () => {
    expect([0, 3333, 3334, 6666, 6667, 9999].map((value) => armOf(value, ranges).arm)).toEqual([
      "control",
      "control",
      "v1",
      "v1",
      "v2",
      "v2",
    ]);
  });

  it("refuses a value that is not a bucket", () => {
    expect(() => armOf(10_000, ranges)).toThrow("a bucket is an integer from 0 to 9999, not 10000");
    expect(() => armOf(-1, ranges)).toThrow(RangeError);
    expect(() => armOf(1.5, ranges)).toThrow(RangeError);
  });

  it("assigns a customer from the reference table: exp-1:42 is in bucket 5126, the 50/50 variant's half", async () => {
    expect(armOf(await bucket("exp-1", 42), armRanges(arms(50, 50))).arm).toBe("v1");
    expect(armOf(await bucket("exp-1", 43), armRanges(arms(50, 50))).arm).toBe("control");
  });
});

describe("assignment changes", () => {
  const design = { key: "exp-1", arms: arms(50, 50) };

  it("lets a draft change anything", () => {
    expect(assignmentChanges(design, { key: "exp-2", arms: arms(10, 90) }, "draft")).toEqual([]);
  });

  it("refuses a weight change once running, paused or completed, naming the field", () => {
    for (const status of ["running", "paused", "completed"] as const) {
      expect(assignmentChanges(design, { key: "exp-1", arms: arms(40, 60) }, status)).toEqual([
        {
          field: "arms.0.weight",
          message: `the weight of "control" cannot change once the experiment is ${status}: customers already hold their arms (50 → 40)`,
        },
        {
          field: "arms.1.weight",
          message: `the weight of "v1" cannot change once the experiment is ${status}: customers already hold their arms (50 → 60)`,
        },
      ]);
    }
  });

  it("refuses a new key, an added arm and a reordering of a running experiment", () => {
    expect(
      assignmentChanges(design, { key: "exp-9", arms: arms(50, 50) }, "running").map((c) => c.field),
    ).toEqual(["key"]);
    expect(assignmentChanges(design, { key: "exp-1", arms: arms(50, 50, 10) }, "running")).toEqual([
      {
        field: "arms",
        message:
          "the arms cannot change once the experiment is running: customers already hold their arms (2 → 3)",
      },
    ]);
    const swapped = [design.arms[1], design.arms[0]].filter((arm) => arm !== undefined);
    expect(assignmentChanges(design, { key: "exp-1", arms: swapped }, "running").map((c) => c.field)).toEqual(
      ["arms.0", "arms.1"],
    );
  });

  it("accepts the same design unchanged, and the guard throws a Conflict with field errors otherwise", () => {
    expect(() =>
      assertAssignmentUnchanged(design, { key: "exp-1", arms: arms(50, 50) }, "running"),
    ).not.toThrow();
    try {
      assertAssignmentUnchanged(design, { key: "exp-1", arms: arms(50, 40) }, "running");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Conflict);
      expect((error as Conflict).message).toBe("The assignment of a running experiment cannot change.");
      expect((error as Conflict).errors.map((e) => [e.field, e.category])).toEqual([
        ["arms.1.weight", "conflict"],
      ]);
    }
  });
});

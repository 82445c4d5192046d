import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { pgArray } from "../../db/sql.ts";
import { armOf, armRanges, armSql, bucket, bucketSql } from "../../domain/experiments/assignment.ts";
import { evaluate } from "../../domain/experiments/statistics.ts";
import { withDb } from "../support/api.ts";
import { seededRandom } from "../support/random.ts";

/*
 * The assignment documented in domain/experiments/README.md, computed by Postgres and by bucket() inside workerd
 * (Web Crypto), must agree on every id: the campaigns built on it assign in SQL and in TypeScript alike.
 */

const keys = ["exp-1", "welcome-2026", "한글-실험", "spring sale: 20% off"];

/** Seeded string ids: ASCII, Hangul, an emoji, a colon (the separator itself), an empty one. */
function stringIds(count: number): string[] {
  const random = seededRandom(1215);
  const alphabet = ["a", "Z", "0", "9", "_", "-", ":", "가", "힣", "é", "🙂", " "];
  const made = [""];
  while (made.length < count) {
    const length = 1 + Math.floor(random() * 12);
    made.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)] ?? "a").join(""));
  }
  return made;
}

describe("experiment buckets: Postgres and Web Crypto agree", () => {
  it("the README's SQL and bucketSql() give bucket() for 4 keys × 1,000 integer ids", async () => {
    const rows = await withDb((db) =>
      db.execute<{ key: string; id: string; readme: number; helper: number }>(sql`
        SELECT k.key, g.id::text AS id,
               (('x' || substr(encode(sha256(convert_to(k.key || ':' || g.id, 'UTF8')), 'hex'), 1, 8))::bit(32)::bigint % 10000)::int AS readme,
               ${bucketSql(sql`k.key`, sql`g.id`)} AS helper
          FROM unnest(${pgArray(keys)}::text[]) AS k(key) CROSS JOIN generate_series(1::bigint, 1000::bigint) AS g(id)
         ORDER BY k.key, g.id`),
    );
    expect(rows.rows).toHaveLength(4000);
    const expected = await Promise.all(rows.rows.map((row) => bucket(row.key, Number(row.id))));
    expect(rows.rows.map((row) => Number(row.readme))).toEqual(expected);
    expect(rows.rows.map((row) => Number(row.helper))).toEqual(expected);
    // Every bucket of 0–9999 is reachable: the 4,000 spread over all ten deciles.
    expect(new Set(expected.map((value) => Math.floor(value / 1000))).size).toBe(10);
  });

  it("bigint ids beyond 2^53 and text ids with multi-byte characters, bound as parameters", async () => {
    const bigIds = Array.from({ length: 50 }, (_, index) => 9007199254740990n + BigInt(index) * 7919n);
    const textIds = stringIds(500);
    const rows = await withDb((db) =>
      db.execute<{ id: string; bucket: number }>(sql`
        SELECT i.id, ${bucketSql("welcome-2026", sql`i.id`)} AS bucket
          FROM unnest(${pgArray([...bigIds.map(String), ...textIds])}::text[]) WITH ORDINALITY AS i(id, position)
         ORDER BY i.position`),
    );
    const expected = await Promise.all([
      ...bigIds.map((id) => bucket("welcome-2026", id)),
      ...textIds.map((id) => bucket("welcome-2026", id)),
    ]);
    expect(rows.rows.map((row) => Number(row.bucket))).toEqual(expected);
    // A bigint column casts to the same text as the bigint ids above.
    const column = await withDb((db) =>
      db.execute<{ bucket: number }>(
        sql`SELECT ${bucketSql("welcome-2026", sql`${"9007199254740993"}::bigint`)} AS bucket`,
      ),
    );
    expect(Number(column.rows[0]?.bucket)).toBe(9910);
    expect(await bucket("welcome-2026", 9007199254740993n)).toBe(9910);
  });

  it("armSql() puts every bucket in the arm armOf() does, at every range edge", async () => {
    const ranges = armRanges([
      { name: "control", role: "control", weight: 1 },
      { name: "B", role: "variant", weight: 2 },
      { name: "C", role: "variant", weight: 4 },
      { name: "holdout", role: "holdout", weight: 3 },
    ]);
    const rows = await withDb((db) =>
      db.execute<{ bucket: number; arm: string }>(sql`
        SELECT b.bucket, ${armSql(ranges, sql`b.bucket`)} AS arm
          FROM generate_series(0, 9999) AS b(bucket) ORDER BY b.bucket`),
    );
    expect(rows.rows).toHaveLength(10_000);
    expect(rows.rows.map((row) => row.arm)).toEqual(
      rows.rows.map((row) => armOf(Number(row.bucket), ranges).arm),
    );
    expect(ranges.map((range) => [range.arm, range.from, range.to])).toEqual([
      ["control", 0, 1000],
      ["B", 1000, 3000],
      ["C", 3000, 7000],
      ["holdout", 7000, 10000],
    ]);
  });
});

describe("experiment statistics in workerd", () => {
  it("the stdlib distributions load and give the same z-test as in Node", () => {
    const result = evaluate(
      {
        arms: [
          { name: "control", role: "control", weight: 50 },
          { name: "B", role: "variant", weight: 50 },
        ],
        alpha: 0.05,
        power: 0.8,
        baselineRate: 0.1,
        targetRate: 0.15,
        analysis: "fixed",
      },
      { arms: { control: { n: 100, conversions: 40 }, B: { n: 100, conversions: 60 } } },
    );
    // 40/100 vs 60/100: z = 2√2, p = erfc(2).
    expect(Math.abs((result.arms[1]?.comparison?.z ?? 0) - 2 * Math.SQRT2)).toBeLessThan(1e-9);
    expect(Math.abs((result.arms[1]?.comparison?.p ?? 0) - 0.004677734981047266)).toBeLessThan(1e-9);
    expect(result.minimumSampleSize).toBe(686);
  });
});

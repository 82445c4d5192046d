import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { rfmSegments } from "../../db/schema/rfm.ts";
import { compileCohort } from "../../domain/cohorts/compile.ts";
import {
  acquisitionSourceValues,
  type Condition,
  type Definition,
  type Rule,
} from "../../domain/cohorts/definition.ts";
import { referenceMembers } from "../../domain/cohorts/reference.ts";
import { consentChannels } from "../../domain/commerce/event-types.ts";
import { subscriptionStates } from "../../domain/subscriptions/states.ts";
import { withDb } from "../support/api.ts";
import {
  cohortDataArb,
  cohortNow,
  couponCodesOf,
  dayBefore,
  marketSpecs,
  type SeededCohortData,
  seedCohortData,
} from "../support/cohorts.ts";

/**
 * The SQL compiler against the reference evaluator: random data (fast-check, fixed seed) written to
 * Postgres, random definitions of every field and operator, and the same members from both, exactly.
 */

const seed = 20260601;

function conditionArb(data: SeededCohortData): fc.Arbitrary<Condition> {
  const someOf = <T>(values: readonly T[]) =>
    fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 });
  const sets = <F extends string, T>(field: F, values: readonly T[]) =>
    fc.oneof(
      fc.record({
        field: fc.constant(field),
        op: fc.constant("equals" as const),
        value: fc.constantFrom(...values),
      }),
      fc.record({
        field: fc.constant(field),
        op: fc.constantFrom("in" as const, "not_in" as const),
        value: someOf(values),
      }),
    );
  const numbers = <F extends string>(field: F, values: readonly number[]) =>
    fc.oneof(
      fc.record({
        field: fc.constant(field),
        op: fc.constantFrom("equals" as const, "gt" as const, "gte" as const, "lt" as const, "lte" as const),
        value: fc.constantFrom(...values),
      }),
      fc.tuple(fc.constantFrom(...values), fc.constantFrom(...values)).map(([x, y]) => ({
        field,
        op: "between" as const,
        value: { min: Math.min(x, y), max: Math.max(x, y) },
      })),
    );
  const money = <F extends string>(field: F, values: readonly number[]) =>
    fc
      .tuple(numbers(field, values), fc.constantFrom("KRW", "USD", "EUR"))
      .map(([condition, currency]) => ({ ...condition, currency }));
  const instant = fc.constantFrom(0, 1, 7, 30, 90, 200, 365).map((days) => dayBefore(days).toISOString());
  const dates = <F extends string>(field: F) =>
    fc.oneof(
      fc.record({
        field: fc.constant(field),
        op: fc.constantFrom("before" as const, "after" as const),
        value: instant,
      }),
      fc
        .tuple(fc.constantFrom(1, 7, 30, 90, 200, 365, 400), fc.constantFrom(0, 1, 7, 30, 90))
        .filter(([from, to]) => from > to)
        .map(([from, to]) => ({
          field,
          op: "between" as const,
          value: { from: dayBefore(from).toISOString(), to: dayBefore(to).toISOString() },
        })),
      fc.record({
        field: fc.constant(field),
        op: fc.constant("within_last_days" as const),
        value: fc.constantFrom(1, 7, 30, 90, 365),
      }),
    );
  const has = <F extends string, T>(field: F, value: fc.Arbitrary<T>) =>
    fc.record({ field: fc.constant(field), op: fc.constantFrom("has" as const, "has_not" as const), value });
  const scores = <F extends string>(field: F) =>
    fc.oneof(
      numbers(field, [1, 2, 3, 4, 5]),
      fc.record({
        field: fc.constant(field),
        op: fc.constantFrom("in" as const, "not_in" as const),
        value: someOf([1, 2, 3, 4, 5]),
      }),
    );
  const counts = [0, 1, 2, 3, 4];
  const amounts = [0, 500, 1000, 1500, 2000, 3000, 5000, 6000, 12000];
  return fc.oneof(
    sets("brand", data.brandIds),
    sets("market", data.marketIds),
    sets("country", [...new Set(marketSpecs.map((spec) => spec.country)), "DE"]),
    sets("acquisition_source", acquisitionSourceValues),
    sets("influencer", data.influencerIds.flat()),
    dates("first_order_at"),
    dates("last_order_at"),
    numbers("order_count", counts),
    money("total_spent", amounts),
    money("average_order_value", amounts),
    scores("r_score"),
    scores("f_score"),
    scores("m_score"),
    sets("rfm_segment", rfmSegments),
    has("product", someOf(data.productIds.flat())),
    has("coupon", someOf([...couponCodesOf, "save10", " vip ", "NONE"])),
    has("subscription_state", someOf(subscriptionStates)),
    has("consent", fc.constantFrom(...consentChannels)),
  ) as fc.Arbitrary<Condition>;
}

function definitionArb(data: SeededCohortData, maxDepth: number): fc.Arbitrary<Definition> {
  const condition = conditionArb(data);
  const { group } = fc.letrec<{ group: Definition; rule: Rule }>((tie) => ({
    group: fc.record({
      op: fc.constantFrom("and" as const, "or" as const),
      rules: fc.array(tie("rule"), { minLength: 1, maxLength: 4 }),
    }),
    rule: fc.oneof({ depthSize: "small", maxDepth, withCrossShrink: true }, condition, tie("group")),
  }));
  return group;
}

const scopeArb = (data: SeededCohortData) =>
  fc.oneof(
    fc.constant(null),
    fc.constant(data.brandIds),
    fc.constantFrom(...data.brandIds).map((id) => [id]),
  );

async function sqlMembers(
  db: Parameters<Parameters<typeof withDb>[0]>[0],
  definition: Definition,
  brandIds: readonly number[] | null,
  ours: Set<number>,
) {
  const result = await db.execute<{ id: string | number }>(
    compileCohort(definition, { brandIds, now: cohortNow }),
  );
  // With every brand in scope the shared database's other tenants match too: only ours are compared.
  return result.rows
    .map((row) => Number(row.id))
    .filter((id) => ours.has(id))
    .sort((a, b) => a - b);
}

describe("cohort SQL compiler against the reference evaluator", () => {
  let data: SeededCohortData;
  let ours: Set<number>;
  beforeAll(async () => {
    const [generated] = fc.sample(cohortDataArb, { seed, numRuns: 1 });
    if (!generated) throw new Error("no data");
    data = await seedCohortData(generated);
    ours = new Set(data.accountIds);
  });

  it("the seeded data has what the definitions look at", () => {
    const rows = data.rows;
    expect(rows.accounts.length).toBeGreaterThan(30);
    expect(rows.orders.some((o) => o.cancelledAt !== null)).toBe(true);
    expect(rows.orderItems.length).toBeGreaterThan(10);
    expect(rows.orderCoupons.length).toBeGreaterThan(10);
    expect(rows.subscriptions.length).toBeGreaterThan(10);
    expect(rows.consents.length).toBeGreaterThan(10);
    expect(rows.acquisition.length).toBeGreaterThan(10);
    expect(rows.rfm.length).toBeGreaterThan(10);
  });

  it("every single condition selects the same members", async () => {
    await withDb(async (db) => {
      await fc.assert(
        fc.asyncProperty(conditionArb(data), scopeArb(data), async (condition, brandIds) => {
          const definition: Definition = { op: "and", rules: [condition] };
          const expected = referenceMembers(definition, data.rows, { brandIds, now: cohortNow });
          expect(await sqlMembers(db, definition, brandIds, ours)).toEqual(expected);
        }),
        { seed, numRuns: 400 },
      );
    });
  });

  it("random nested definitions select the same members", async () => {
    let nonTrivial = 0;
    await withDb(async (db) => {
      await fc.assert(
        fc.asyncProperty(definitionArb(data, 6), scopeArb(data), async (definition, brandIds) => {
          const expected = referenceMembers(definition, data.rows, { brandIds, now: cohortNow });
          if (expected.length > 0 && expected.length < data.accountIds.length) nonTrivial += 1;
          expect(await sqlMembers(db, definition, brandIds, ours)).toEqual(expected);
        }),
        { seed: seed + 1, numRuns: 300 },
      );
    });
    // The property is not vacuous: many definitions select some accounts but not all.
    expect(nonTrivial).toBeGreaterThan(100);
  });

  it("a definition 6 groups deep with 60 conditions selects the same members", async () => {
    const conditions = fc.sample(conditionArb(data), { seed: seed + 2, numRuns: 60 });
    // Six levels, alternating and/or, ten conditions at each level.
    let definition: Definition = { op: "or", rules: conditions.slice(50, 60) };
    for (let level = 4; level >= 0; level -= 1)
      definition = {
        op: level % 2 === 0 ? "and" : "or",
        rules: [...conditions.slice(level * 10, level * 10 + 10), definition],
      };
    const depth = (rule: Rule): number => ("rules" in rule ? 1 + Math.max(...rule.rules.map(depth)) : 0);
    expect(depth(definition)).toBe(6);
    const expected = referenceMembers(definition, data.rows, { brandIds: data.brandIds, now: cohortNow });
    const got = await withDb((db) => sqlMembers(db, definition, data.brandIds, ours));
    expect(got).toEqual(expected);
  });
});

import { describe, expect, it } from "vitest";
import {
  average,
  divideRounded,
  integer,
  lastMonthIndex,
  monthOfIndex,
  ratio,
  returnOnDiscount,
  sampleKey,
  utcMonthIndex,
} from "../../domain/analytics/figures.ts";

describe("divideRounded", () => {
  it("rounds halves away from zero, either sign", () => {
    expect(divideRounded(51_901n, 2n)).toBe(25_951n);
    expect(divideRounded(51_899n, 2n)).toBe(25_950n);
    expect(divideRounded(-5n, 2n)).toBe(-3n);
    expect(divideRounded(5n, -2n)).toBe(-3n);
    expect(divideRounded(-7n, 3n)).toBe(-2n);
    expect(divideRounded(10n, 4n)).toBe(3n);
    expect(divideRounded(9n, 4n)).toBe(2n);
    expect(divideRounded(0n, 7n)).toBe(0n);
    expect(() => divideRounded(1n, 0n)).toThrow(RangeError);
  });

  it("stays exact beyond 2^53", () => {
    expect(divideRounded(9_007_199_254_740_993n * 3n, 3n)).toBe(9_007_199_254_740_993n);
  });
});

describe("average, ratio, ROI", () => {
  it("take Postgres's text integers and treat an empty sum as zero", () => {
    expect(average("61801", "2")).toBe(30_901);
    expect(average(null, "0")).toBeNull();
    expect(average(null, 3)).toBe(0);
    expect(integer("-42")).toBe(-42);
    expect(() => integer("1.5")).toThrow(TypeError);
    expect(() => integer(1.5)).toThrow(TypeError);
  });

  it("rates have four decimals, rounded half away from zero; none over zero", () => {
    expect(ratio(1, 3)).toBe(0.3333);
    expect(ratio(2, 3)).toBe(0.6667);
    expect(ratio(1, 8)).toBe(0.125);
    expect(ratio(1, 20_000)).toBe(0.0001);
    expect(ratio(-1, 20_000)).toBe(-0.0001);
    expect(ratio(5, 0)).toBeNull();
  });

  it("ROI is (net revenue − discount) / discount", () => {
    expect(returnOnDiscount(3_990_000, 400_000)).toBe(8.975);
    expect(returnOnDiscount(100, 300)).toBe(-0.6667);
    expect(returnOnDiscount("0", "0")).toBeNull();
  });
});

describe("months", () => {
  it("index UTC calendar months, and print them back", () => {
    expect(
      utcMonthIndex(new Date("2026-03-31T23:59:59.999Z")) - utcMonthIndex(new Date("2025-12-01T00:00:00Z")),
    ).toBe(3);
    // 1 April in Seoul, still March in UTC.
    expect(monthOfIndex(utcMonthIndex(new Date("2026-03-31T20:00:00-00:00")))).toBe("2026-03");
    expect(monthOfIndex(utcMonthIndex(new Date("2026-12-01T00:00:00Z")))).toBe("2026-12");
    expect(monthOfIndex(utcMonthIndex(new Date("2027-01-01T00:00:00Z")))).toBe("2027-01");
  });

  it("the last month is that of the last instant before as_of", () => {
    expect(monthOfIndex(lastMonthIndex(new Date("2026-05-01T00:00:00Z")))).toBe("2026-04");
    expect(monthOfIndex(lastMonthIndex(new Date("2026-05-01T00:00:00.001Z")))).toBe("2026-05");
  });
});

describe("sampleKey", () => {
  it("is Fibonacci hashing modulo 2^32 of the id modulo 2^31", () => {
    expect(sampleKey(1)).toBe(2_654_435_761n);
    expect(sampleKey(2)).toBe((2n * 2_654_435_761n) % 4_294_967_296n);
    expect(sampleKey(2)).toBe(1_013_904_226n);
    expect(sampleKey(2 ** 31 + 1)).toBe(sampleKey(1));
    expect(sampleKey(2 ** 31 - 1)).toBe(((2n ** 31n - 1n) * 2_654_435_761n) % 2n ** 32n);
  });

  it("spreads consecutive ids over the whole range", () => {
    const keys = Array.from({ length: 1000 }, (_, i) => Number(sampleKey(i + 1)));
    const smallest = keys
      .map((key, i) => ({ key, id: i + 1 }))
      .sort((a, b) => a.key - b.key)
      .slice(0, 100)
      .map((k) => k.id);
    // The 100 smallest keys (a 10% sample) come from every tenth of the ids.
    for (let tenth = 0; tenth < 10; tenth += 1)
      expect(smallest.filter((id) => id > tenth * 100 && id <= (tenth + 1) * 100).length).toBeGreaterThan(3);
  });
});

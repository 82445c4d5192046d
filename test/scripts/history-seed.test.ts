import { describe, expect, it } from "vitest";
import { UsageError } from "../../scripts/lib/args.ts";
import {
  blackFriday,
  campaignCatalog,
  chunkRanges,
  coprimeStrides,
  dayWeights,
  expandToSlots,
  formatDuration,
  ordersForUniform,
  parseSeedArgs,
  progressLine,
  seasonalCampaign,
  yearsBefore,
} from "../../scripts/lib/history-seed.ts";

const today = new Date("2026-11-22T15:30:00Z");

describe("npm run seed flags", () => {
  it("is the demo seed alone without --customers", () => {
    expect(parseSeedArgs([], today)).toEqual({ history: null });
    expect(parseSeedArgs(["--help"], today)).toBe("help");
  });

  it("defaults to seed 1, every brand and market, the two years before today, chunks of 50,000", () => {
    expect(parseSeedArgs(["--customers", "1000"], today)).toEqual({
      history: {
        customers: 1000,
        seed: 1,
        brands: null,
        markets: null,
        from: new Date("2024-11-22T00:00:00Z"),
        to: new Date("2026-11-22T00:00:00Z"),
        chunkSize: 50_000,
        append: false,
        fkChecks: false,
      },
    });
  });

  it("reads every option", () => {
    expect(
      parseSeedArgs(
        [
          "--customers",
          "300",
          "--seed",
          "42",
          "--brands",
          "acme-skincare, northwind-coffee,acme-skincare",
          "--markets",
          "kr",
          "--from",
          "2024-01-01",
          "--to",
          "2025-07-01",
          "--chunk",
          "100",
          "--append",
          "--fk-checks",
        ],
        today,
      ),
    ).toEqual({
      history: {
        customers: 300,
        seed: 42,
        brands: ["acme-skincare", "northwind-coffee"],
        markets: ["kr"],
        from: new Date("2024-01-01T00:00:00Z"),
        to: new Date("2025-07-01T00:00:00Z"),
        chunkSize: 100,
        append: true,
        fkChecks: true,
      },
    });
  });

  it.each([
    [["--customers", "0"], "--customers: must be between 1 and 50000000"],
    [["--customers", "1e6"], '--customers: not a whole number: "1e6"'],
    [["--customers", "10", "--seed=-3"], '--seed: not a whole number: "-3"'],
    [["--customers", "10", "--from", "2025-02-30"], "--from: not a date: 2025-02-30"],
    [["--customers", "10", "--to", "yesterday"], "--to: expected YYYY-MM-DD, got yesterday"],
    [["--customers", "10", "--from", "2026-01-01", "--to", "2025-01-01"], "--from must be before --to"],
    [["--customers", "10", "--brands", "Acme!"], '--brands: not a valid name: "Acme!"'],
    [["--customers", "10", "--brands", ","], "--brands: empty list"],
    [["--seed", "3"], "--seed needs --customers"],
    [["--customers", "10", "extra"], "unexpected argument: extra"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseSeedArgs(argv, today)).toThrow(new UsageError(message));
  });

  it("counts two years back from a leap day to 28 February", () => {
    expect(yearsBefore(new Date("2028-02-29T00:00:00Z"), 2)).toEqual(new Date("2026-02-28T00:00:00Z"));
    expect(yearsBefore(new Date("2026-11-22T00:00:00Z"), 2)).toEqual(new Date("2024-11-22T00:00:00Z"));
  });
});

describe("weighted slots", () => {
  it("gives each entry its share of slots, rounded by largest remainder, in order", () => {
    expect(expandToSlots([1, 1, 2], 8)).toEqual([0, 0, 1, 1, 2, 2, 2, 2]);
    // Shares 3.33…: the remainders tie and the lower index wins the one slot left.
    expect(expandToSlots([1, 1, 1], 10)).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(expandToSlots([0, 5], 4)).toEqual([1, 1, 1, 1]);
  });

  it("always fills exactly the slots asked for", () => {
    const slots = expandToSlots([0.3, 2.7, 1.1, 0.01, 9], 1000);
    expect(slots).toHaveLength(1000);
    // 686.5 for the last entry: the four larger remainders (.95, .90, .88, .76) take the four slots left.
    expect([0, 1, 2, 3, 4].map((i) => slots.filter((s) => s === i).length)).toEqual([23, 206, 84, 1, 686]);
  });

  it("refuses weights without a positive sum", () => {
    expect(() => expandToSlots([0, 0], 10)).toThrow(RangeError);
    expect(() => expandToSlots([1, -1, 2], 10)).toThrow(RangeError);
  });
});

describe("calendar", () => {
  it("finds Black Friday", () => {
    expect(blackFriday(2024)).toEqual(new Date("2024-11-29T00:00:00Z"));
    expect(blackFriday(2025)).toEqual(new Date("2025-11-28T00:00:00Z"));
    expect(blackFriday(2026)).toEqual(new Date("2026-11-27T00:00:00Z"));
  });

  it("weighs days by month, weekday, sales days and growth", () => {
    const weights = dayWeights(new Date("2025-11-01T00:00:00Z"), new Date("2025-12-02T00:00:00Z"));
    expect(weights).toHaveLength(31);
    const at = (day: number) => weights[day - 1] ?? Number.NaN;
    const growth = (day: number) => 1 + (0.6 * (day - 1)) / 30;
    // Saturday 1 November: month 1.45 × Saturday 0.94.
    expect(at(1)).toBeCloseTo(1.45 * 0.94 * growth(1), 10);
    // Tuesday 11 November (11.11): × 1.8.
    expect(at(11)).toBeCloseTo(1.45 * 1.02 * 1.8 * growth(11), 10);
    // Black Friday 28 November × 3, Cyber Monday 1 December × 2.4 (December 1.32, Monday 1.12).
    expect(at(28)).toBeCloseTo(1.45 * 0.86 * 3 * growth(28), 10);
    expect(at(31)).toBeCloseTo(1.32 * 1.12 * 2.4 * growth(31), 10);
  });
});

describe("orders and products", () => {
  it("draws the order count from a Pareto tail: most buy once, P(n ≥ k) = k^-1.6, at most 60", () => {
    expect(ordersForUniform(0)).toBe(1);
    expect(ordersForUniform(0.66)).toBe(1);
    // P(n ≥ 2) = 2^-1.6 = 0.3299: u ≥ 0.6701 buys twice or more.
    expect(ordersForUniform(0.6702)).toBe(2);
    expect(ordersForUniform(1 - 10 ** -1.6)).toBe(10);
    expect(ordersForUniform(0.999999)).toBe(60);
  });

  it("steps through distinct products with strides coprime to the catalog size", () => {
    expect(coprimeStrides(8)).toEqual([1, 3, 5, 7]);
    expect(coprimeStrides(6)).toEqual([1, 5]);
    expect(coprimeStrides(1)).toEqual([1]);
    for (const stride of coprimeStrides(8)) {
      const visited = new Set([0, 1, 2, 3].map((j) => (5 + j * stride) % 8));
      expect(visited.size).toBe(4);
    }
  });
});

describe("campaigns", () => {
  it("names the seasonal push of a month", () => {
    expect(seasonalCampaign(2025, 11)).toBe("black-friday-2025");
    expect(seasonalCampaign(2026, 4)).toBe("spring-sale-2026");
    expect(seasonalCampaign(2026, 5)).toBe("always-on");
  });

  it("lists newsletters and pushes from the month before the range to its last month", () => {
    const codes = campaignCatalog(new Date("2025-01-15T00:00:00Z"), new Date("2025-04-01T00:00:00Z")).map(
      (c) => c.code,
    );
    expect(codes).toEqual([
      "always-on",
      "brand-search",
      "retargeting",
      "newsletter-2024-12",
      "holiday-2024",
      "newsletter-2025-01",
      "new-year-2025",
      "newsletter-2025-02",
      "newsletter-2025-03",
      "spring-sale-2025",
      "newsletter-2025-04",
    ]);
  });
});

describe("chunks and progress", () => {
  it("splits customer numbers into ranges", () => {
    expect(chunkRanges(300, 250, 100)).toEqual([
      { lo: 300, hi: 400 },
      { lo: 400, hi: 500 },
      { lo: 500, hi: 550 },
    ]);
    expect(chunkRanges(0, 0, 100)).toEqual([]);
  });

  it("draws a bar with the count, rate and time left", () => {
    expect(progressLine(250_000, 1_000_000, 50_000, 20)).toBe(
      "[#####---------------] 250,000/1,000,000 customers   25%  5,000/s  ETA 2m30s",
    );
    expect(progressLine(0, 300, 0, 10)).toBe("[----------] 0/300 customers    0%  0/s  ETA --");
    expect(progressLine(300, 300, 1500, 10)).toBe("[##########] 300/300 customers  100%  200/s  ETA 0s");
  });

  it("formats durations", () => {
    expect(formatDuration(42.4)).toBe("42s");
    expect(formatDuration(3 * 3600 + 125)).toBe("3h02m");
    expect(formatDuration(Number.NaN)).toBe("--");
  });
});

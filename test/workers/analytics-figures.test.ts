import { beforeAll, describe, expect, it } from "vitest";
import {
  type AnalyticsHistory,
  type RawRows,
  readRawRows,
  seedAnalyticsHistory,
} from "../support/analytics.ts";
import {
  referenceAcquisition,
  referenceCampaignRoi,
  referenceCouponRoi,
  referenceLtv,
  referenceRetention,
  referenceScatter,
  type Window,
} from "../support/analytics-reference.ts";
import { ok } from "../support/api.ts";

/*
 * Every figure of every analytics endpoint against the plain reference computation over the raw rows of
 * a seeded history (two currencies, discounts, coupons, campaigns, refunds, cancellations, influencers,
 * unclassified accounts, RFM segments), for several windows: the whole history, a range, and an as_of in
 * the middle of a month with orders after it.
 */

let history: AnalyticsHistory;
let raw: RawRows;

const windows: { name: string; window: Window }[] = [
  { name: "everything before 1 July 2026", window: { asOf: Date.parse("2026-07-01T00:00:00.000Z") } },
  {
    name: "June to December 2025, as of 1 July 2026",
    window: {
      from: Date.parse("2025-06-01T00:00:00.000Z"),
      to: Date.parse("2026-01-01T00:00:00.000Z"),
      asOf: Date.parse("2026-07-01T00:00:00.000Z"),
    },
  },
  { name: "as of mid-December 2025", window: { asOf: Date.parse("2025-12-15T12:30:00.000Z") } },
];

function query(w: Window, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ brand: history.krw.brand.id, as_of: new Date(w.asOf).toISOString() });
  if (w.from !== undefined) params.set("from", new Date(w.from).toISOString());
  if (w.to !== undefined) params.set("to", new Date(w.to).toISOString());
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params.toString();
}

const get = (path: string, w: Window, extra?: Record<string, string>) =>
  ok("GET", `/api/v1/analytics/${path}?${query(w, extra)}`, { key: history.krw.key });

beforeAll(async () => {
  history = await seedAnalyticsHistory(20_261_114);
  raw = await readRawRows(history.krw.brand.internal);
}, 240_000);

describe("the seeded history", () => {
  it("has what the figures must handle: two currencies, cancellations, refunds, coupons, campaigns, every source, segments", () => {
    const orders = raw.orders;
    expect(new Set(orders.map((o) => o.currency))).toEqual(new Set(["KRW", "USD"]));
    expect(orders.filter((o) => o.cancelled).length).toBeGreaterThan(2);
    expect(orders.filter((o) => !o.cancelled && o.creditedTotal > 0).length).toBeGreaterThan(2);
    expect(orders.filter((o) => o.placedAt >= Date.parse("2026-07-01T00:00:00.000Z")).length).toBeGreaterThan(
      0,
    );
    expect(raw.orderCoupons.filter((c) => c.discount > 0).length).toBeGreaterThan(2);
    expect(raw.orderCoupons.filter((c) => c.discount === 0).length).toBeGreaterThan(0);
    expect(orders.filter((o) => o.campaignId !== null).length).toBeGreaterThan(2);
    const sources = [...raw.acquisition.values()].map((a) => a.source);
    expect(sources).toContain("influencer");
    expect(sources).toContain("organic");
    const accounts = new Set(orders.map((o) => o.accountId));
    expect([...accounts].some((id) => !raw.acquisition.has(id))).toBe(true);
    expect([...accounts].some((id) => raw.segments.has(id))).toBe(true);
    expect([...accounts].some((id) => !raw.segments.has(id))).toBe(true);
  });
});

describe.each(windows)("analytics figures equal the reference: $name", ({ window }) => {
  it("LTV by acquisition month", async () => {
    const body = await get("ltv", window);
    expect(body.brand).toBe(history.krw.brand.id);
    expect(body.as_of).toBe(new Date(window.asOf).toISOString());
    const expected = referenceLtv(raw, window);
    expect(expected.length).toBeGreaterThan(1);
    expect(body.data).toEqual(expected);
  });

  it("coupon ROI, new vs existing", async () => {
    const expected = referenceCouponRoi(raw, window);
    expect(expected.length).toBeGreaterThan(1);
    expect((await get("coupon-roi", window)).data).toEqual(expected);
  });

  it("campaign ROI, new vs existing", async () => {
    const expected = referenceCampaignRoi(raw, window);
    expect(expected.length).toBeGreaterThan(1);
    expect((await get("campaign-roi", window)).data).toEqual(expected);
  });

  it.each(["month", "product", "segment"] as const)("retention by %s", async (by) => {
    const expected = referenceRetention(raw, window, by);
    expect(expected.length).toBeGreaterThan(1);
    expect((await get("retention", window, { by })).data).toEqual(expected);
  });

  it("organic vs influencer", async () => {
    const expected = referenceAcquisition(raw, window);
    expect(expected.sources.length).toBeGreaterThan(1);
    expect(expected.influencers.length).toBeGreaterThan(0);
    expect((await get("acquisition", window)).data).toEqual(expected);
  });

  it("customer scatter: every customer, and a deterministic sample of 7 with exact totals", async () => {
    const all = referenceScatter(raw, window, 5_000);
    expect((await get("scatter", window)).data).toEqual(all);
    const sample = referenceScatter(raw, window, 7);
    expect(sample.points).toHaveLength(7);
    const first = await get("scatter", window, { points: "7" });
    expect(first.data).toEqual(sample);
    // The totals stay those of every customer; the same call gives the same sample.
    expect(first.data.totals.map((t: { customers: number }) => t.customers)).toEqual(
      all.totals.map((t) => t.customers),
    );
    expect((await get("scatter", window, { points: "7" })).data).toEqual(first.data);
  });
});

describe("analytics of a brand without orders", () => {
  it.each(["ltv", "coupon-roi", "campaign-roi", "retention", "acquisition", "scatter"])(
    "%s is empty, not an error",
    async (path) => {
      const body = await ok("GET", `/api/v1/analytics/${path}?brand=${history.other.brand.id}`, {
        key: history.other.key,
      });
      expect(body.brand).toBe(history.other.brand.id);
      expect(body.data).toEqual(
        path === "acquisition"
          ? { sources: [], influencers: [] }
          : path === "scatter"
            ? { points: [], totals: [] }
            : [],
      );
    },
  );
});

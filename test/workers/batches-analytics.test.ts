import { env } from "cloudflare:workers";
import { and, asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { dailyRevenue } from "../../db/schema/analytics.ts";
import type { BatchDate } from "../../domain/batches/dates.ts";
import { batchSettings } from "../../domain/batches/job.ts";
import { dailyRevenueJob } from "../../domain/batches/job-daily-revenue.ts";
import { runBatchJob } from "../../domain/batches/runner.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { classifyAll, janeCouponRule } from "../support/acquisition.ts";
import { withDb } from "../support/api.ts";
import { placeOrder, postRefund, productOf } from "../support/ledger.ts";
import { createSalesTenant, customerEmail, insertMarket, type SalesTenant } from "../support/sales.ts";

/*
 * The jobs rebuild their dates for every brand. Other test files share the database, so these tests use
 * days in 2019, which no other test writes, and read only their own brand's rows.
 */

const settings = batchSettings(dbConfig(env));
const d1 = "2019-06-01";
const d2 = "2019-06-02";

const serum = { sku: "SERUM-30", unitPrice: 42_000 };
const mask = { sku: "MASK-5", unitPrice: 9_900 };

const run = (date: BatchDate) =>
  withDb((db) => runBatchJob(db, dailyRevenueJob, date, { settings, trigger: "manual" }));

let krw: SalesTenant;
let usd: SalesTenant;

/** The tenant's daily_revenue rows of `day`, in key order; `computed_at` only when asked. */
async function rows(day: BatchDate, withComputedAt = false) {
  const found = await withDb((db) =>
    db
      .select()
      .from(dailyRevenue)
      .where(and(eq(dailyRevenue.brandId, krw.brand.internal), eq(dailyRevenue.day, day)))
      .orderBy(asc(dailyRevenue.currency), asc(dailyRevenue.source)),
  );
  return found.map(({ brandId: _brand, computedAt, ...row }) =>
    withComputedAt ? { ...row, computedAt: computedAt.toISOString() } : row,
  );
}

const row = (
  market: SalesTenant,
  day: BatchDate,
  source: string,
  values: { orders: number; revenue: number; refunded: number; new: number; returning: number },
) => ({
  marketId: market.market.internal,
  day,
  source,
  currency: market.market.currency,
  orders: values.orders,
  revenue: values.revenue,
  refunded: values.refunded,
  newCustomers: values.new,
  returningCustomers: values.returning,
});

beforeAll(async () => {
  krw = await createSalesTenant("KRW");
  usd = { ...krw, market: await insertMarket("USD", "America/New_York") };
  await janeCouponRule(krw);

  const alice = customerEmail("alice");
  const bob = customerEmail("bob");
  const jane = { overrides: { coupons: [{ code: "JANE10", discount: 0 }] } };
  const aliceFirst = await placeOrder(krw, alice, `${d1}T01:00:00.000Z`, [serum], jane);
  await placeOrder(krw, alice, `${d1}T20:00:00.000Z`, [mask]);
  // The last instant of the UTC day.
  await placeOrder(krw, bob, `${d1}T23:59:59.999Z`, [serum]);
  const carol = await placeOrder(usd, customerEmail("carol"), `${d1}T12:00:00.000Z`, [
    { sku: "MASK-5", unitPrice: 2_500 },
  ]);

  // Everyone so far is classified; Dave, who comes later, is not.
  await classifyAll(krw.key, {}, 100);

  await placeOrder(krw, bob, `${d2}T00:00:00.000Z`, [mask]);
  await placeOrder(krw, customerEmail("dave"), `${d2}T10:00:00.000Z`, [serum]);
  // Refunds count on the day they are paid back, not on their orders' day.
  const refunds = [
    {
      account: aliceFirst.account.id,
      product: productOf(aliceFirst, serum.sku),
      amount: 20_000,
      currency: "KRW",
      at: "08:00",
    },
    {
      account: carol.account.id,
      product: productOf(carol, mask.sku),
      amount: 1_000,
      currency: "USD",
      at: "09:00",
    },
  ];
  for (const refund of refunds) {
    const response = await postRefund(
      {
        account: refund.account,
        product: refund.product,
        amount: refund.amount,
        currency: refund.currency,
        refunded_at: `${d2}T${refund.at}:00.000Z`,
      },
      krw.key,
    );
    expect(response.status, response.text).toBe(201);
  }
});

describe("daily-revenue", () => {
  const d1Rows = () => [
    // Alice: two orders on her first day, the first through Jane's coupon (classified `influencer`).
    row(krw, d1, "influencer", { orders: 2, revenue: 51_900, refunded: 0, new: 1, returning: 0 }),
    row(krw, d1, "organic", { orders: 1, revenue: 42_000, refunded: 0, new: 1, returning: 0 }),
    row(usd, d1, "organic", { orders: 1, revenue: 2_500, refunded: 0, new: 1, returning: 0 }),
  ];
  const d2Rows = () => [
    row(krw, d2, "influencer", { orders: 0, revenue: 0, refunded: 20_000, new: 0, returning: 0 }),
    row(krw, d2, "organic", { orders: 1, revenue: 9_900, refunded: 0, new: 0, returning: 1 }),
    row(krw, d2, "unclassified", { orders: 1, revenue: 42_000, refunded: 0, new: 1, returning: 0 }),
    row(usd, d2, "organic", { orders: 0, revenue: 0, refunded: 1_000, new: 0, returning: 0 }),
  ];

  it("aggregates each UTC day per market, source and currency; a re-run replaces the day with the same rows; late data re-run changes only its day", async () => {
    for (const date of [d1, d2]) {
      const result = await run(date);
      expect(result).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    }
    expect(await rows(d1)).toEqual(d1Rows());
    expect(await rows(d2)).toEqual(d2Rows());

    const again = await run(d1);
    expect(again).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    // Deleted and written again: at least the tenant's three rows each way.
    expect(again.rows).toBeGreaterThanOrEqual(6);
    expect(await rows(d1)).toEqual(d1Rows());
    expect(await rows(d2)).toEqual(d2Rows());

    // A late order for the first day from a new, not yet classified customer.
    const before = await rows(d2, true);
    await placeOrder(krw, customerEmail("erin"), `${d1}T05:00:00.000Z`, [mask]);
    expect(await run(d1)).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    expect(await rows(d1)).toEqual([
      ...d1Rows().slice(0, 2),
      row(krw, d1, "unclassified", { orders: 1, revenue: 9_900, refunded: 0, new: 1, returning: 0 }),
      ...d1Rows().slice(2),
    ]);
    // The other day's rows were not rewritten (their computed_at too is the same).
    expect(await rows(d2, true)).toEqual(before);
  });
});

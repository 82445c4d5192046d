import { env } from "cloudflare:workers";
import { asc, eq, ne } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ltvByAcquisitionMonth } from "../../db/schema/analytics.ts";
import type { BatchDate } from "../../domain/batches/dates.ts";
import { batchSettings } from "../../domain/batches/job.ts";
import { ltvByAcquisitionMonthJob } from "../../domain/batches/job-ltv-by-acquisition-month.ts";
import { runBatchJob } from "../../domain/batches/runner.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { classifyAll, janeCouponRule } from "../support/acquisition.ts";
import { withDb } from "../support/api.ts";
import { placeOrder, postRefund, productOf } from "../support/ledger.ts";
import { createSalesTenant, customerEmail, insertMarket, type SalesTenant } from "../support/sales.ts";

/*
 * The job replaces the whole table, for every brand. Other test files share the database but none runs
 * this job, so these tests read only their own brand's rows and may check that one as_of is left.
 */

const settings = batchSettings(dbConfig(env));
const asOf = "2018-04-30";
const march = "2018-03-01";
const april = "2018-04-01";

const serum = { sku: "SERUM-30", unitPrice: 42_000 };
const mask = { sku: "MASK-5", unitPrice: 9_900 };

const run = (date: BatchDate) =>
  withDb((db) => runBatchJob(db, ltvByAcquisitionMonthJob, date, { settings, trigger: "manual" }));

let krw: SalesTenant;
let usd: SalesTenant;
let bob: string;

/** The tenant's rows in key order, without brand and computed_at. */
async function rows() {
  const found = await withDb((db) =>
    db
      .select()
      .from(ltvByAcquisitionMonth)
      .where(eq(ltvByAcquisitionMonth.brandId, krw.brand.internal))
      .orderBy(
        asc(ltvByAcquisitionMonth.acquisitionMonth),
        asc(ltvByAcquisitionMonth.source),
        asc(ltvByAcquisitionMonth.currency),
      ),
  );
  return found.map(({ brandId: _brand, computedAt: _at, ...row }) => row);
}

/** How many rows of the whole table have another as_of than `date`. */
const otherDates = async (date: BatchDate) =>
  (await withDb((db) => db.select().from(ltvByAcquisitionMonth).where(ne(ltvByAcquisitionMonth.asOf, date))))
    .length;

const row = (
  date: BatchDate,
  month: string,
  source: string,
  currency: string,
  values: { accounts: number; net: number; avg: number },
) => ({
  asOf: date,
  acquisitionMonth: month,
  source,
  currency,
  accounts: values.accounts,
  netRevenue: values.net,
  avgLtv: values.avg,
});

beforeAll(async () => {
  krw = await createSalesTenant("KRW");
  usd = { ...krw, market: await insertMarket("USD", "America/New_York") };
  await janeCouponRule(krw);

  // Alice: first order in March through Jane's coupon, another in April, part of the first refunded.
  const alice = customerEmail("alice");
  const jane = { overrides: { coupons: [{ code: "JANE10", discount: 0 }] } };
  const aliceFirst = await placeOrder(krw, alice, "2018-03-05T10:00:00.000Z", [serum], jane);
  await placeOrder(krw, alice, "2018-04-10T10:00:00.000Z", [mask]);
  bob = customerEmail("bob");
  await placeOrder(krw, bob, "2018-03-20T10:00:00.000Z", [serum]);
  // The last instant of March in UTC (already April in Seoul); an odd amount, so the average is x.5.
  await placeOrder(krw, customerEmail("carol"), "2018-03-31T23:59:59.999Z", [
    { sku: "MASK-5", unitPrice: 9_901 },
  ]);
  await placeOrder(krw, customerEmail("dave"), "2018-04-01T00:00:00.000Z", [serum]);
  await placeOrder(usd, customerEmail("yuna"), "2018-03-15T10:00:00.000Z", [
    { sku: "MASK-5", unitPrice: 2_500 },
  ]);

  await classifyAll(krw.key, {}, 100);

  // Erin is not classified yet; Frank's first order is after the run date.
  await placeOrder(krw, customerEmail("erin"), "2018-04-30T23:59:59.999Z", [mask]);
  await placeOrder(krw, customerEmail("frank"), "2018-05-01T00:00:00.000Z", [serum]);

  const refund = await postRefund(
    {
      account: aliceFirst.account.id,
      product: productOf(aliceFirst, serum.sku),
      amount: 20_000,
      currency: "KRW",
      refunded_at: "2018-04-20T10:00:00.000Z",
    },
    krw.key,
  );
  expect(refund.status, refund.text).toBe(201);
});

describe("ltv-by-acquisition-month", () => {
  const snapshot = (date: BatchDate) => [
    // Alice: 42,000 + 9,900 invoiced − 20,000 credited by the refund.
    row(date, march, "influencer", "KRW", { accounts: 1, net: 31_900, avg: 31_900 }),
    // Bob and Carol: 51,901 / 2 = 25,950.5, rounded half away from zero.
    row(date, march, "organic", "KRW", { accounts: 2, net: 51_901, avg: 25_951 }),
    row(date, march, "organic", "USD", { accounts: 1, net: 2_500, avg: 2_500 }),
    row(date, april, "organic", "KRW", { accounts: 1, net: 42_000, avg: 42_000 }),
    row(date, april, "unclassified", "KRW", { accounts: 1, net: 9_900, avg: 9_900 }),
  ];

  it("snapshots each cohort's accounts and net revenue as of the run; a re-run gives the same rows, new orders change them, an earlier date replaces the snapshot", async () => {
    const first = await run(asOf);
    expect(first).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    expect(await rows()).toEqual(snapshot(asOf));
    expect(await otherDates(asOf)).toBe(0);

    const again = await run(asOf);
    expect(again).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    // Every row deleted and written again: at least the tenant's five each way.
    expect(again.rows).toBeGreaterThanOrEqual(10);
    expect(await rows()).toEqual(snapshot(asOf));

    // Bob orders again (after the run date: the totals are the accounts' current ones).
    await placeOrder(krw, bob, "2018-05-02T10:00:00.000Z", [mask]);
    expect(await run(asOf)).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    const [alice, organic, ...rest] = snapshot(asOf);
    expect(await rows()).toEqual([
      alice,
      // 61,801 / 2 = 30,900.5
      { ...organic, netRevenue: 61_801, avgLtv: 30_901 },
      ...rest,
    ]);

    // As of the end of March, April's accounts are not acquired yet; the April snapshot is gone.
    expect(await run("2018-03-31")).toMatchObject({ outcome: "succeeded", chunks: 1, error: null });
    expect(await rows()).toEqual([
      row("2018-03-31", march, "influencer", "KRW", { accounts: 1, net: 31_900, avg: 31_900 }),
      row("2018-03-31", march, "organic", "KRW", { accounts: 2, net: 61_801, avg: 30_901 }),
      row("2018-03-31", march, "organic", "USD", { accounts: 1, net: 2_500, avg: 2_500 }),
    ]);
    expect(await otherDates("2018-03-31")).toBe(0);
  });
});

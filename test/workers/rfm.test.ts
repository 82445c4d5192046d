import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { batchRuns } from "../../db/schema/batches.ts";
import { accountRfm } from "../../db/schema/rfm.ts";
import { rfmCells } from "../../db/schema/rfm-cells.ts";
import { rfmScatterBins } from "../../db/schema/rfm-scatter.ts";
import { brandClientAccounts, orders } from "../../db/schema/sales.ts";
import type { BatchDate } from "../../domain/batches/dates.ts";
import { batchSettings } from "../../domain/batches/job.ts";
import { rfmScoresJob } from "../../domain/batches/job-rfm-scores.ts";
import { runBatchJob } from "../../domain/batches/runner.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { frequencyBounds, monetaryBounds } from "../../domain/rfm/scatter.ts";
import { rfmCells as gridCells, rfmScores } from "../../domain/rfm/scores.ts";
import worker from "../../workers/index.ts";
import { call, expectProblem, ids, withDb } from "../support/api.ts";
import { type LedgerLine, placeOrder, postRefund, productOf } from "../support/ledger.ts";
import { seededRandom } from "../support/random.ts";
import { createSalesTenant, customerEmail, insertMarket, type SalesTenant } from "../support/sales.ts";

/*
 * Two brands of this file's own. `big` is a seeded data set in two currencies (KRW and USD markets) with
 * ties, cancelled orders, refunds and orders after the run date; its stored scores must equal a plain
 * computation over its raw order rows. `small` is five hand-scored accounts (and Fay, whose only order is
 * cancelled part-way). The nightly job scores every brand of the database; these tests read only their own.
 */

const settings = batchSettings(dbConfig(env));
const asOf = "2018-06-30";
const dayMs = 86_400_000;

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;

let big: SalesTenant;
let bigUsd: SalesTenant;
let small: SalesTenant;
let fayOrder: Json;

const runJob = (date: BatchDate) =>
  withDb((db) => runBatchJob(db, rfmScoresJob, date, { settings, trigger: "manual" }));

const utcDay = (date: BatchDate, offsetDays: number, hour: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + offsetDays * dayMs + hour * 3_600_000).toISOString();

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const cancel = async (order: Json, key: string) => {
  const response = await call("POST", `/api/v1/orders/${order.id}/cancel`, {
    key,
    body: { cancelled_at: "2018-07-15T00:00:00Z" },
  });
  expect(response.status, response.text).toBe(201);
};

interface Scored {
  accountId: number;
  brandId: number;
  currency: string;
  asOf: string;
  recencyDays: number;
  frequency: number;
  monetary: number;
  r: number;
  f: number;
  m: number;
  segment: string;
}

/**
 * The reference: RFM from the brand's raw order rows in plain TypeScript. Orders placed before the end of
 * `date` and not cancelled; per account the count, Σ (total − credited) and the UTC days from its last
 * one to `date`; then quintiles per currency by scores.ts.
 */
async function reference(brandId: number, date: BatchDate) {
  const rows = await withDb((db) =>
    db
      .select({
        accountId: orders.accountId,
        currency: brandClientAccounts.currency,
        placedAt: orders.placedAt,
        cancelledAt: orders.cancelledAt,
        total: orders.total,
        credited: orders.creditedTotal,
      })
      .from(orders)
      .innerJoin(brandClientAccounts, eq(brandClientAccounts.id, orders.accountId))
      .where(eq(orders.brandId, brandId)),
  );
  const end = Date.parse(`${date}T00:00:00Z`) + dayMs;
  const accounts = new Map<number, { currency: string; last: number; frequency: number; monetary: number }>();
  for (const row of rows) {
    if (row.cancelledAt !== null || row.placedAt.getTime() >= end) continue;
    const account = accounts.get(row.accountId) ?? {
      currency: row.currency,
      last: 0,
      frequency: 0,
      monetary: 0,
    };
    account.last = Math.max(account.last, row.placedAt.getTime());
    account.frequency += 1;
    account.monetary += row.total - row.credited;
    accounts.set(row.accountId, account);
  }
  const result: Scored[] = [];
  for (const currency of new Set([...accounts.values()].map((a) => a.currency))) {
    const partition = [...accounts.entries()]
      .filter(([, a]) => a.currency === currency)
      .map(([accountId, a]) => ({
        accountId,
        recencyDays:
          (Date.parse(`${date}T00:00:00Z`) -
            Date.parse(`${new Date(a.last).toISOString().slice(0, 10)}T00:00:00Z`)) /
          dayMs,
        frequency: a.frequency,
        monetary: a.monetary,
      }));
    const scores = rfmScores(partition);
    partition.forEach((a, index) => {
      const score = scores[index];
      if (score) result.push({ ...a, brandId, currency, asOf: date, ...score });
    });
  }
  return result.sort((a, b) => a.accountId - b.accountId);
}

/** The brand's stored scores in account order; with computed_at when `full`. */
async function stored(brandId: number, full = false) {
  const rows = await withDb((db) =>
    db.select().from(accountRfm).where(eq(accountRfm.brandId, brandId)).orderBy(asc(accountRfm.accountId)),
  );
  return full ? rows : rows.map(({ computedAt: _at, ...row }) => row);
}

async function storedCells(brandIds: number[]) {
  return withDb((db) =>
    db
      .select()
      .from(rfmCells)
      .where(inArray(rfmCells.brandId, brandIds))
      .orderBy(asc(rfmCells.brandId), asc(rfmCells.currency), asc(rfmCells.r), asc(rfmCells.f)),
  );
}

async function storedBins(brandIds: number[]) {
  return withDb((db) =>
    db
      .select()
      .from(rfmScatterBins)
      .where(inArray(rfmScatterBins.brandId, brandIds))
      .orderBy(
        asc(rfmScatterBins.brandId),
        asc(rfmScatterBins.currency),
        asc(rfmScatterBins.fBin),
        asc(rfmScatterBins.mBin),
      ),
  );
}

/** The brands' scatter bins as a plain GROUP BY over their stored `account_rfm` rows. */
async function groupedBins(brandIds: number[]) {
  const result = await withDb((db) =>
    db.execute<{
      brand_id: string | number;
      currency: string;
      f_bin: number;
      m_bin: number;
      as_of: string;
      accounts: number;
      monetary: string | number;
    }>(sql`
      SELECT brand_id, currency, width_bucket(frequency, ${`{${frequencyBounds.join(",")}}`}::int[]) AS f_bin,
             width_bucket(monetary, ${`{${monetaryBounds.join(",")}}`}::bigint[]) AS m_bin,
             max(as_of)::text AS as_of, count(*)::int AS accounts, sum(monetary) AS monetary
        FROM account_rfm
       WHERE brand_id IN (${sql.join(brandIds, sql`, `)})
       GROUP BY 1, 2, 3, 4
       ORDER BY 1, 2, 3, 4`),
  );
  return result.rows.map((row) => ({
    brandId: Number(row.brand_id),
    currency: row.currency,
    fBin: row.f_bin,
    mBin: row.m_bin,
    asOf: row.as_of,
    accounts: row.accounts,
    monetary: Number(row.monetary),
  }));
}

/** The index of `value`'s bin: how many bounds are at most it (as `width_bucket` counts). */
const binOf = (bounds: readonly number[], value: number) => bounds.filter((bound) => bound <= value).length;

/** The scatter bins the reference gives, keyed `currency:f:m` → [accounts, Σ monetary]. */
function expectedBins(scored: Scored[]) {
  const bins = new Map<string, [number, number]>();
  for (const row of scored) {
    const key = `${row.currency}:${binOf(frequencyBounds, row.frequency)}:${binOf(monetaryBounds, row.monetary)}`;
    const bin = bins.get(key) ?? [0, 0];
    bins.set(key, [bin[0] + 1, bin[1] + row.monetary]);
  }
  return bins;
}

/** The stored bins without their write time, checked against a GROUP BY over the stored scores. */
async function binsAgree(brandIds: number[]) {
  const bins = (await storedBins(brandIds)).map(({ computedAt: _at, ...bin }) => bin);
  expect(bins).toEqual(await groupedBins(brandIds));
  return bins;
}

/** The heatmap the reference gives for one currency: 25 cells, averages rounded half away from zero. */
function expectedHeatmap(scored: Scored[], currency: string) {
  const rows = scored.filter((row) => row.currency === currency);
  return gridCells.map(({ r, f, segment }) => {
    const cell = rows.filter((row) => row.r === r && row.f === f);
    const monetary = cell.reduce((sum, row) => sum + row.monetary, 0);
    const count = cell.length;
    return {
      r,
      f,
      segment,
      count,
      share: rows.length === 0 ? 0 : count / rows.length,
      monetary,
      // Non-negative: half away from zero is floor((2·sum + n) / 2n), in integers.
      avg_monetary: count === 0 ? null : Math.floor((2 * monetary + count) / (2 * count)),
    };
  });
}

const heatmap = (query: string, key?: string) =>
  call("GET", `/api/v1/rfm/heatmap?${query}`, key === undefined ? {} : { key });

const recompute = (body: unknown, key?: string) =>
  call("POST", "/api/v1/rfm/recompute", key === undefined ? { body } : { key, body });

beforeAll(async () => {
  big = await createSalesTenant("KRW");
  bigUsd = { ...big, market: await insertMarket("USD", "America/New_York") };
  small = await createSalesTenant("KRW");

  const random = seededRandom(14);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const krwPrices = [9_900, 18_000, 42_000, 19_800];
  const usdPrices = [1_500, 2_500, 4_999];
  // Days drawn from a coarse grid so that accounts tie on recency (and on frequency and amounts).
  const plans = Array.from({ length: 46 }, (_, index) => {
    const usd = index >= 36;
    const count = 1 + Math.floor(random() ** 2 * 5);
    const placed = Array.from({ length: count }, () => {
      // One in ten after the run date (not counted), else up to 175 days before it.
      const after = random() < 0.1;
      const offset = after ? 1 + Math.floor(random() * 10) : -5 * Math.floor(random() * 36);
      return {
        at: utcDay(asOf, offset, Math.floor(random() * 24)),
        line: { sku: "SERUM-30", unitPrice: pick(usd ? usdPrices : krwPrices) } satisfies LedgerLine,
        cancelled: random() < 0.08,
        refunded: random() < 0.1,
      };
    });
    return { tenant: usd ? bigUsd : big, email: customerEmail(`rfm${index}`), placed };
  });
  // One whose only order is cancelled and one who only ordered after the run date: neither is scored.
  plans.push({
    tenant: big,
    email: customerEmail("cancelled"),
    placed: [
      {
        at: utcDay(asOf, -3, 9),
        line: { sku: "SERUM-30", unitPrice: 42_000 },
        cancelled: true,
        refunded: false,
      },
    ],
  });
  plans.push({
    tenant: big,
    email: customerEmail("later"),
    placed: [
      {
        at: utcDay(asOf, 1, 0),
        line: { sku: "SERUM-30", unitPrice: 42_000 },
        cancelled: false,
        refunded: false,
      },
    ],
  });
  await pool(plans, 4, async (plan) => {
    for (const order of plan.placed) {
      const placed = await placeOrder(plan.tenant, plan.email, order.at, [order.line]);
      if (order.cancelled) await cancel(placed, big.key);
      else if (order.refunded) {
        const refund = await postRefund(
          {
            account: placed.account.id,
            product: productOf(placed, "SERUM-30"),
            amount: Math.floor(order.line.unitPrice / 2),
            currency: plan.tenant.market.currency,
            refunded_at: "2018-08-01T00:00:00.000Z",
          },
          big.key,
        );
        expect(refund.status, refund.text).toBe(201);
      }
    }
  });

  // The small brand, as of 2018-06-30. Ann and Ben ordered on the run date (Ann again after it), Cat
  // twice, Dan three times (one partly refunded), Eve once long ago (and once more, cancelled).
  const serum = (unitPrice: number): LedgerLine[] => [{ sku: "SERUM-30", unitPrice }];
  const ann = customerEmail("ann");
  await placeOrder(small, ann, "2018-06-30T10:00:00.000Z", serum(1_000));
  await placeOrder(small, ann, "2018-07-01T00:00:00.000Z", serum(50_000));
  await placeOrder(small, customerEmail("ben"), "2018-06-30T23:59:59.999Z", serum(1_001));
  const cat = customerEmail("cat");
  await placeOrder(small, cat, "2018-06-01T08:00:00.000Z", serum(5_000));
  await placeOrder(small, cat, "2018-06-20T00:00:00.000Z", serum(7_000));
  const dan = customerEmail("dan");
  await placeOrder(small, dan, "2018-03-01T08:00:00.000Z", serum(3_000));
  await placeOrder(small, dan, "2018-04-01T08:00:00.000Z", serum(3_000));
  const danLast = await placeOrder(small, dan, "2018-05-01T08:00:00.000Z", serum(3_000));
  const refund = await postRefund(
    {
      account: danLast.account.id,
      product: productOf(danLast, "SERUM-30"),
      amount: 1_500,
      currency: "KRW",
      refunded_at: "2018-05-10T00:00:00.000Z",
    },
    small.key,
  );
  expect(refund.status, refund.text).toBe(201);
  const eve = customerEmail("eve");
  await placeOrder(small, eve, "2018-01-10T12:00:00.000Z", serum(20_000));
  await cancel(await placeOrder(small, eve, "2018-06-29T12:00:00.000Z", serum(30_000)), small.key);
  fayOrder = await placeOrder(small, customerEmail("fay"), "2018-03-03T03:00:00.000Z", serum(8_000));
}, 120_000);

describe("rfm-scores", () => {
  it("stores exactly the reference computation over the raw orders, per brand and currency; a re-run for the date leaves identical rows; another date rescores", async () => {
    const expectedBig = await reference(big.brand.internal, asOf);
    // 46 planned accounts, less the two never scored and any whose orders all fell out.
    expect(expectedBig.length).toBeGreaterThan(30);
    expect(new Set(expectedBig.map((row) => row.currency))).toEqual(new Set(["KRW", "USD"]));
    // The raw rows hold what must be left out or netted: cancelled orders, refunds, orders after the date.
    const raw = await withDb((db) => db.select().from(orders).where(eq(orders.brandId, big.brand.internal)));
    const end = Date.parse(`${asOf}T00:00:00Z`) + dayMs;
    expect(raw.filter((o) => o.cancelledAt !== null).length).toBeGreaterThan(1);
    expect(raw.filter((o) => o.cancelledAt === null && o.creditedTotal > 0).length).toBeGreaterThan(1);
    expect(raw.filter((o) => o.placedAt.getTime() >= end).length).toBeGreaterThan(1);
    // The data set has ties on every input (what the rule must settle).
    for (const input of ["recencyDays", "frequency", "monetary"] as const)
      expect(new Set(expectedBig.map((row) => row[input])).size).toBeLessThan(expectedBig.length);

    const first = await runJob(asOf);
    expect(first).toMatchObject({ outcome: "succeeded", error: null });
    expect(await stored(big.brand.internal)).toEqual(expectedBig);
    expect(await stored(small.brand.internal)).toEqual(await reference(small.brand.internal, asOf));
    expect(await stored(small.brand.internal)).toHaveLength(6);

    // The cells are the scores' aggregate.
    const cells = await storedCells([big.brand.internal]);
    const cellKeys = new Set(expectedBig.map((row) => `${row.currency}:${row.r}:${row.f}`));
    expect(cells.map((cell) => `${cell.currency}:${cell.r}:${cell.f}`)).toEqual([...cellKeys].sort());
    for (const cell of cells) {
      const members = expectedBig.filter(
        (row) => row.currency === cell.currency && row.r === cell.r && row.f === cell.f,
      );
      expect([cell.asOf, cell.accounts, cell.monetary]).toEqual([
        asOf,
        members.length,
        members.reduce((sum, row) => sum + row.monetary, 0),
      ]);
    }

    // The scatter's bins: a GROUP BY over the stored scores, and the reference's bins.
    const bins = await binsAgree([big.brand.internal, small.brand.internal]);
    const bigBins = bins.filter((bin) => bin.brandId === big.brand.internal);
    expect(
      new Map(
        bigBins.map((bin) => [`${bin.currency}:${bin.fBin}:${bin.mBin}`, [bin.accounts, bin.monetary]]),
      ),
    ).toEqual(expectedBins(expectedBig));
    expect(bigBins.every((bin) => bin.asOf === asOf)).toBe(true);
    expect(bigBins.reduce((sum, bin) => sum + bin.accounts, 0)).toBe(expectedBig.length);

    const before = {
      big: await stored(big.brand.internal, true),
      small: await stored(small.brand.internal, true),
      cells: await storedCells([big.brand.internal, small.brand.internal]),
      bins: await storedBins([big.brand.internal, small.brand.internal]),
    };
    const again = await runJob(asOf);
    expect(again).toMatchObject({ outcome: "succeeded", error: null });
    // Nothing written: every row, its computed_at included, as it was.
    expect({
      big: await stored(big.brand.internal, true),
      small: await stored(small.brand.internal, true),
      cells: await storedCells([big.brand.internal, small.brand.internal]),
      bins: await storedBins([big.brand.internal, small.brand.internal]),
    }).toEqual(before);

    // A month later every recency moves; scores follow the reference for that date, then back.
    const later = "2018-07-31";
    expect(await runJob(later)).toMatchObject({ outcome: "succeeded", error: null });
    const expectedLater = await reference(big.brand.internal, later);
    expect(await stored(big.brand.internal)).toEqual(expectedLater);
    expect(expectedLater).not.toEqual(expectedBig);
    // Frequency and monetary move with orders counted up to the later date; every bin carries it.
    const laterBins = await binsAgree([big.brand.internal]);
    expect(laterBins.every((bin) => bin.asOf === later)).toBe(true);
    // The 03:00 Cron Trigger of 1 July scores 30 June: one chunk per brand (at least this file's two).
    await worker.scheduled(
      createScheduledController({ cron: "0 3 * * *", scheduledTime: new Date("2018-07-01T03:00:00Z") }),
      env,
    );
    const runs = await withDb((db) =>
      db
        .select()
        .from(batchRuns)
        .where(
          and(eq(batchRuns.job, "rfm-scores"), eq(batchRuns.runDate, asOf), eq(batchRuns.trigger, "cron")),
        ),
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ outcome: "succeeded", error: null });
    expect(runs[0]?.chunks).toBeGreaterThanOrEqual(2);
    expect(await stored(big.brand.internal)).toEqual(expectedBig);
    expect(await binsAgree([big.brand.internal])).toEqual(bigBins);
  });

  it("the heatmap of each currency is the reference's 5×5 grid; a brand in two currencies needs one", async () => {
    const expectedBig = await reference(big.brand.internal, asOf);
    const ambiguous = await heatmap(`brand=${big.brand.id}`, big.key);
    const problem = expectProblem(ambiguous, 400, [{ field: "currency", category: "missing" }]);
    expect(problem.detail).toBe("The brand has scored accounts in KRW, USD; name one.");

    for (const currency of ["KRW", "USD"]) {
      const response = await heatmap(`brand=${big.brand.id}&currency=${currency}`, big.key);
      expect(response.status, response.text).toBe(200);
      const { computed_at: computedAt, ...body } = response.body as Json;
      expect(typeof computedAt).toBe("string");
      expect(body).toEqual({
        brand: big.brand.id,
        currency,
        as_of: asOf,
        accounts: expectedBig.filter((row) => row.currency === currency).length,
        cells: expectedHeatmap(expectedBig, currency),
      });
    }

    const none = await heatmap(`brand=${big.brand.id}&currency=EUR`, big.key);
    expect(none.status, none.text).toBe(200);
    expect(none.body).toEqual({
      brand: big.brand.id,
      currency: "EUR",
      as_of: null,
      computed_at: null,
      accounts: 0,
      cells: gridCells.map(({ r, f, segment }) => ({
        r,
        f,
        segment,
        count: 0,
        share: 0,
        monetary: 0,
        avg_monetary: null,
      })),
    });
  });

  it("an on-demand recompute replaces the brand's scores: Fay's cancelled order drops her; again changes nothing", async () => {
    // Fay (one order, 8,000) has a bin of her own: 1 order, 5,000–10,000.
    expect(
      (await binsAgree([small.brand.internal])).find((bin) => bin.fBin === 0 && bin.mBin === 12),
    ).toMatchObject({ accounts: 1, monetary: 8_000 });
    await cancel(fayOrder, small.key);
    const first = await recompute({ brand: small.brand.id, as_of: asOf }, small.key);
    expect(first.status, first.text).toBe(200);
    // Every R, F or M moves with one account fewer: five rows, Fay's deleted, and the cells.
    expect(first.body).toMatchObject({ brand: small.brand.id, as_of: asOf, accounts: 5 });
    expect((first.body as Json).changed).toBeGreaterThan(1);

    const rows = await stored(small.brand.internal);
    // Recency days 0, 0, 10, 60, 171 → R (days descending, ranks 1..4,4) Eve 1, Dan 2, Cat 3, Ann = Ben 4;
    // frequency 1, 1, 2, 3, 1 → Ann = Ben = Eve 1, Cat 4, Dan 5; monetary 1,000 1,001 12,000 7,500 20,000.
    const scored = (
      recencyDays: number,
      frequency: number,
      monetary: number,
      r: number,
      f: number,
      m: number,
      segment: string,
    ) => ({
      brandId: small.brand.internal,
      currency: "KRW",
      asOf,
      recencyDays,
      frequency,
      monetary,
      r,
      f,
      m,
      segment,
    });
    expect(rows.map(({ accountId: _id, ...row }) => row)).toEqual([
      scored(0, 1, 1_000, 4, 1, 1, "promising"), // Ann
      scored(0, 1, 1_001, 4, 1, 2, "promising"), // Ben
      scored(10, 2, 12_000, 3, 4, 4, "loyal_customers"), // Cat
      scored(60, 3, 7_500, 2, 5, 3, "cannot_lose_them"), // Dan: 9,000 less the 1,500 refund
      scored(171, 1, 20_000, 1, 1, 5, "hibernating"), // Eve
    ]);
    expect(rows).toEqual(await reference(small.brand.internal, asOf));

    const again = await recompute({ brand: small.brand.id, as_of: asOf }, small.key);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ brand: small.brand.id, as_of: asOf, accounts: 5, changed: 0 });

    // The bins of the five, Fay's gone: orders 1 (bin 0), 2 (1), 3 (2); net revenue 1,000–2,000 (bin 10),
    // 5,000–10,000 (12), 10,000–20,000 (13), 20,000–50,000 (14).
    const bin = (fBin: number, mBin: number, accounts: number, monetary: number) => ({
      brandId: small.brand.internal,
      currency: "KRW",
      fBin,
      mBin,
      asOf,
      accounts,
      monetary,
    });
    expect(await binsAgree([small.brand.internal])).toEqual([
      bin(0, 10, 2, 2_001), // Ann and Ben
      bin(0, 14, 1, 20_000), // Eve
      bin(1, 13, 1, 12_000), // Cat
      bin(2, 12, 1, 7_500), // Dan
    ]);

    const grid = await heatmap(`brand=${small.brand.id}`, small.key);
    expect(grid.status, grid.text).toBe(200);
    const cell = (r: number, f: number, count: number, monetary: number, avg: number | null) => ({
      r,
      f,
      count,
      share: count / 5,
      monetary,
      avg_monetary: avg,
    });
    const filled = [
      cell(1, 1, 1, 20_000, 20_000),
      cell(2, 5, 1, 7_500, 7_500),
      cell(3, 4, 1, 12_000, 12_000),
      // Ann and Ben: 2,001 / 2 = 1,000.5, half away from zero.
      cell(4, 1, 2, 2_001, 1_001),
    ];
    expect((grid.body as Json).cells).toEqual(
      gridCells.map(({ r, f, segment }) => ({
        segment,
        ...(filled.find((c) => c.r === r && c.f === f) ?? cell(r, f, 0, 0, null)),
      })),
    );
    expect(grid.body).toMatchObject({ brand: small.brand.id, currency: "KRW", as_of: asOf, accounts: 5 });

    // Without a date: today (UTC), every order counted, recency to today.
    const today = new Date().toISOString().slice(0, 10);
    const now = await recompute({ brand: small.brand.id }, small.key);
    expect(now.status, now.text).toBe(200);
    expect(now.body).toMatchObject({ brand: small.brand.id, as_of: today, accounts: 5 });
    expect(await stored(small.brand.internal)).toEqual(await reference(small.brand.internal, today));
  });

  it("refuses another brand (403), an unknown or malformed brand, a future or impossible date and a bad currency (422)", async () => {
    expectProblem(await recompute({ brand: big.brand.id, as_of: asOf }, small.key), 403);
    expectProblem(await heatmap(`brand=${big.brand.id}&currency=KRW`, small.key), 403);

    const unknown = ids.encode("brand", 2 ** 40);
    expectProblem(await recompute({ brand: unknown }), 422, [{ field: "brand", category: "not_found" }]);
    expectProblem(await heatmap(`brand=${unknown}`), 422, [{ field: "brand", category: "not_found" }]);
    expectProblem(await recompute({ brand: "!!" }), 422, [{ field: "brand", category: "malformed" }]);
    expectProblem(await heatmap("brand=!!"), 422, [{ field: "brand", category: "malformed" }]);

    const tomorrow = new Date(Date.now() + dayMs).toISOString().slice(0, 10);
    expectProblem(await recompute({ brand: small.brand.id, as_of: tomorrow }, small.key), 422, [
      { field: "as_of", category: "out_of_range" },
    ]);
    expectProblem(await recompute({ brand: small.brand.id, as_of: "2018-02-30" }, small.key), 422, [
      { field: "as_of", category: "malformed" },
    ]);
    expectProblem(await heatmap(`brand=${small.brand.id}&currency=krw`, small.key), 422, [
      { field: "currency", category: "malformed" },
    ]);
    expectProblem(await heatmap("", small.key), 422, [{ field: "brand", category: "missing" }]);
    // Nothing was written by the refusals: the small brand is still scored as of today.
    const today = new Date().toISOString().slice(0, 10);
    expect(new Set((await stored(small.brand.internal)).map((row) => row.asOf))).toEqual(new Set([today]));
  });
});

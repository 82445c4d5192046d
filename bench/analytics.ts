/**
 * Analytics benchmark (`npm run bench -- analytics`): on a generated history (1,000,000 customers in a full
 * run, 20,000 with --quick), each read of the CRM rail's diagnosis through the domain code the API runs
 * (the Worker's database handle, over the WebSocket bridge), beside a floor in the same run: a hand-written
 * query straight to PostgreSQL that scans the same tables once. Target: each within 1.5× its floor.
 * - Cohort counts: a simple definition and a 20-condition nested one (the preview verb, sample of 0).
 * - Each analytics endpoint: LTV, coupon and campaign ROI, retention by month, product and segment,
 *   acquisition comparison, scatter; for the brand with the most customers.
 * - The RFM recompute of every brand (reported with its floor; no target).
 * - The heatmap and a 90-day overview read from the nightly aggregates (`rfm_cells`, `daily_revenue`),
 *   timed on this database and on one a tenth its size: target ≤ 1.2× (reads that do not grow with the
 *   customer base).
 *
 * BENCH_ANALYTICS_DATABASE_URL names an already seeded database to reuse and BENCH_ANALYTICS_SMALL_URL one
 * a tenth its size (nothing is dropped; scores and aggregates missing there are computed first); otherwise
 * scratch databases are migrated, seeded and dropped.
 */
import { sql } from "drizzle-orm";
import pg from "pg";
import type { Executor } from "../db/client.ts";
import { compareAcquisition } from "../domain/analytics/acquisition.ts";
import { campaignRoi } from "../domain/analytics/campaign-roi.ts";
import { couponRoi } from "../domain/analytics/coupon-roi.ts";
import { ltvByAcquisitionMonth } from "../domain/analytics/ltv.ts";
import { retention } from "../domain/analytics/retention.ts";
import { customerScatter } from "../domain/analytics/scatter.ts";
import { dailyRevenueJob } from "../domain/batches/job-daily-revenue.ts";
import { type Definition, definitionSchema } from "../domain/cohorts/definition.ts";
import { previewCohort } from "../domain/cohorts/preview.ts";
import { hashIds } from "../domain/core/hash-ids.ts";
import { withTransaction } from "../domain/core/transaction.ts";
import type { VerbContext } from "../domain/core/verb.ts";
import { rfmHeatmap } from "../domain/rfm/heatmap.ts";
import { recomputeRfm } from "../domain/rfm/recompute.ts";
import { openBatchDatabase, runBatchRange } from "../scripts/lib/batch.ts";
import { benchAlphabet, fastest, historyDatabase } from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const maxRatio = 1.5;
const maxGrowth = 1.2;
const overviewDays = 90;
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

interface Sample {
  brandId: number;
  currency: string;
  asOf: Date;
  productIds: number[];
  couponCodes: string[];
  influencerIds: number[];
  today: string;
}

/** The brand with the most accounts, its main currency, and some of its products, coupons and influencers. */
async function sampleOf(client: pg.Client): Promise<Sample> {
  const brand = await client.query<{ brand_id: string; currency: string }>(
    `SELECT brand_id, currency FROM brand_client_accounts GROUP BY brand_id, currency ORDER BY count(*) DESC LIMIT 1`,
  );
  const row = brand.rows[0];
  if (!row) throw new Error("the database has no customers: seed it first");
  const brandId = Number(row.brand_id);
  const list = async (text: string) =>
    (await client.query<{ v: string }>(text, [brandId])).rows.map((r) => r.v);
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  return {
    brandId,
    currency: row.currency,
    asOf: today,
    today: today.toISOString().slice(0, 10),
    productIds: (await list("SELECT id AS v FROM products WHERE brand_id = $1 ORDER BY id LIMIT 3")).map(
      Number,
    ),
    couponCodes: await list("SELECT code AS v FROM coupons WHERE brand_id = $1 ORDER BY id LIMIT 3"),
    influencerIds: (
      await list("SELECT id AS v FROM influencers WHERE brand_id = $1 ORDER BY id LIMIT 3")
    ).map(Number),
  };
}

/** A cohort definition in the API's form (public ids), with the internal ids of the sample encoded. */
function definitions(s: Sample): { simple: Definition<string>; nested: Definition<string> } {
  const ids = hashIds(benchAlphabet);
  const brand = ids.encode("brand", s.brandId);
  const products = s.productIds.map((id) => ids.encode("product", id));
  const influencers = s.influencerIds.map((id) => ids.encode("influencer", id));
  const simple = {
    op: "and",
    rules: [
      { field: "brand", op: "equals", value: brand },
      { field: "total_spent", op: "gte", value: 100_000, currency: s.currency },
    ],
  };
  // 20 conditions over every kind of source: the account, its classification and scores, EXISTS on orders'
  // items and coupons, subscriptions and consents; three levels deep.
  const nested = {
    op: "and",
    rules: [
      { field: "brand", op: "equals", value: brand },
      { field: "order_count", op: "gte", value: 1 },
      { field: "first_order_at", op: "after", value: "2024-06-01T00:00:00Z" },
      {
        op: "or",
        rules: [
          { field: "acquisition_source", op: "equals", value: "organic" },
          { field: "influencer", op: "in", value: influencers },
          {
            op: "and",
            rules: [
              { field: "r_score", op: "gte", value: 3 },
              { field: "f_score", op: "gte", value: 2 },
              { field: "m_score", op: "between", value: { min: 2, max: 5 } },
            ],
          },
        ],
      },
      {
        op: "or",
        rules: [
          { field: "product", op: "has", value: products },
          { field: "coupon", op: "has", value: s.couponCodes },
          { field: "subscription_state", op: "has", value: ["active", "suspended"] },
        ],
      },
      {
        op: "or",
        rules: [
          { field: "consent", op: "has", value: "sms" },
          { field: "consent", op: "has", value: "email" },
        ],
      },
      { field: "total_spent", op: "gte", value: 10_000, currency: s.currency },
      { field: "average_order_value", op: "lte", value: 100_000_000, currency: s.currency },
      { field: "last_order_at", op: "within_last_days", value: 720 },
      { field: "rfm_segment", op: "not_in", value: ["hibernating"] },
      { field: "order_count", op: "lte", value: 1000 },
      { field: "country", op: "in", value: ["KR", "US", "JP", "TW", "SG"] },
    ],
  };
  // Through the API's own validation, as a request would be.
  return { simple: definitionSchema.parse(simple), nested: definitionSchema.parse(nested) };
}

/** The floors: what each read scans, once, straight to PostgreSQL. `$1` brand, `$2` as of. */
const counted = `FROM orders o WHERE o.brand_id = $1 AND o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL`;
const floors = {
  cohortSimple: `SELECT count(*) FROM brand_client_accounts a
                  WHERE a.brand_id = $1 AND a.currency = $3 AND a.invoiced - a.credited >= 100000
                    AND $2::timestamptz IS NOT NULL`,
  cohortNested: `SELECT count(*), count(x.account_id), count(r.account_id), count(c.contact_id),
                        (SELECT count(*) FROM orders o JOIN order_items oi ON oi.order_id = o.id
                          WHERE o.brand_id = $1 AND o.cancelled_at IS NULL),
                        (SELECT count(*) FROM orders o JOIN order_coupons oc ON oc.order_id = o.id
                          WHERE o.brand_id = $1 AND o.cancelled_at IS NULL),
                        (SELECT count(*) FROM subscriptions s WHERE s.brand_id = $1)
                   FROM brand_client_accounts a
                   JOIN markets m ON m.id = a.market_id
                   LEFT JOIN account_acquisition x ON x.account_id = a.id
                   LEFT JOIN account_rfm r ON r.account_id = a.id
                   LEFT JOIN consents c ON c.brand_id = a.brand_id AND c.contact_id = a.contact_id
                                       AND c.channel = 'sms'
                  WHERE a.brand_id = $1 AND a.currency = $3 AND $2::timestamptz IS NOT NULL`,
  orders: `SELECT count(*), count(DISTINCT o.account_id), sum(o.total - o.credited_total) ${counted} AND $3::text IS NOT NULL`,
  coupons: `SELECT count(*), sum(oc.discount), sum(o.total - o.credited_total)
              FROM orders o JOIN order_coupons oc ON oc.order_id = o.id
             WHERE o.brand_id = $1 AND o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL
               AND $3::text IS NOT NULL`,
  campaigns: `SELECT count(*), sum(o.discount_total), sum(o.total - o.credited_total) ${counted}
                AND o.campaign_id IS NOT NULL AND $3::text IS NOT NULL`,
  items: `SELECT count(*), count(DISTINCT o.account_id), sum(oi.total)
            FROM orders o JOIN order_items oi ON oi.order_id = o.id
           WHERE o.brand_id = $1 AND o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL
             AND $3::text IS NOT NULL`,
  segments: `SELECT count(*), count(r.segment), sum(o.total - o.credited_total)
               FROM orders o LEFT JOIN account_rfm r ON r.account_id = o.account_id
              WHERE o.brand_id = $1 AND o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL
                AND $3::text IS NOT NULL`,
  acquisition: `SELECT count(*), count(x.influencer_id), sum(o.total - o.credited_total)
                  FROM orders o LEFT JOIN account_acquisition x ON x.account_id = o.account_id
                 WHERE o.brand_id = $1 AND o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL
                   AND $3::text IS NOT NULL`,
  rfm: `SELECT count(*), sum(n), sum(m) FROM (
          SELECT o.account_id, count(*) AS n, sum(o.total - o.credited_total) AS m, max(o.placed_at)
            FROM orders o WHERE o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL
             AND $1::bigint IS NOT NULL AND $3::text IS NOT NULL
           GROUP BY o.account_id) t`,
} as const;

async function timedFloor(client: pg.Client, text: string, s: Sample): Promise<number> {
  return fastest(2, () => client.query(text, [s.brandId, s.asOf.toISOString(), s.currency]));
}

/** Scores and a 90-day overview exist for the database's brands (computed here when they do not). */
async function prepareAggregates(db: Executor, client: pg.Client, s: Sample): Promise<void> {
  const scored = await client.query("SELECT 1 FROM rfm_cells LIMIT 1");
  if (scored.rows.length === 0) {
    const brands = await client.query<{ id: string }>("SELECT id FROM brands ORDER BY id");
    await withTransaction(db, (tx) =>
      recomputeRfm(
        tx,
        brands.rows.map((b) => Number(b.id)),
        s.today,
      ),
    );
  }
  const days = await client.query<{ n: string }>(
    `SELECT count(DISTINCT day) AS n FROM daily_revenue WHERE day > $1::date - ${overviewDays}`,
    [s.today],
  );
  if (Number(days.rows[0]?.n ?? 0) < overviewDays - 1) {
    const dates: string[] = [];
    for (let i = overviewDays; i >= 1; i--)
      dates.push(new Date(s.asOf.getTime() - i * 86_400_000).toISOString().slice(0, 10));
    await runBatchRange(
      db,
      { job: dailyRevenueJob, dates, chunkSize: undefined },
      {
        retentionDaysHttpLogs: 30,
        retentionDaysRelayBodies: 30,
      },
    );
  }
}

/** The two reads that must not grow with the customer base: the heatmap and a 90-day overview. */
async function aggregateReads(ctx: VerbContext, s: Sample) {
  const heatmap = await fastest(30, () =>
    rfmHeatmap({ ctx, input: { brandId: s.brandId, currency: s.currency } }),
  );
  // What the dashboard's overview tab reads: per day, the brand's orders, revenue, refunds, new customers.
  const overview = await fastest(30, () =>
    ctx.db.execute(sql`
      SELECT day, currency, sum(orders) AS orders, sum(revenue) AS revenue, sum(refunded) AS refunded,
             sum(new_customers) AS new_customers
        FROM daily_revenue
       WHERE brand_id = ${s.brandId} AND day > ${s.today}::date - ${overviewDays}::int
       GROUP BY day, currency ORDER BY day, currency`),
  );
  return { heatmap, overview };
}

const analyticsBench: Bench = {
  name: "analytics: cohort counts, analytics endpoints and RFM beside scans of their input",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const customers = quick ? 20_000 : 1_000_000;
    const big = await historyDatabase(
      databaseUrl,
      process.env.BENCH_ANALYTICS_DATABASE_URL,
      "analytics_big",
      customers,
    );
    const small = await historyDatabase(
      databaseUrl,
      process.env.BENCH_ANALYTICS_SMALL_URL,
      "analytics_small",
      Math.round(customers / 10),
    );
    const metrics: Record<string, number | string> = {};
    const targets: BenchResult["targets"] = [];
    const ratioTarget = (name: string, ms: number, floorMs: number, limit = maxRatio) => {
      const ratio = ms / Math.max(floorMs, 0.1);
      metrics[`${name}_ms`] = round(ms);
      metrics[`${name}_floor_ms`] = round(floorMs);
      targets.push({
        name: `${name} within ${limit}× its floor`,
        met: ratio <= limit,
        detail: `${round(ms)} ms; floor ${round(floorMs)} ms; ${round(ratio, 2)}×`,
      });
    };
    try {
      const reads: Record<string, { heatmap: number; overview: number }> = {};
      for (const [label, opened] of [
        ["small", small],
        ["big", big],
      ] as const) {
        const client = new pg.Client({ connectionString: opened.url });
        await client.connect();
        const { handle, close } = await openBatchDatabase(opened.url, process.env.DB_WS_PROXY);
        try {
          const s = await sampleOf(client);
          const ctx: VerbContext = {
            db: handle.db,
            principal: { apiKeyId: 0, brandIds: null, isAdmin: true },
            ids: hashIds(benchAlphabet),
          };
          await prepareAggregates(handle.db, client, s);
          reads[label] = await aggregateReads(ctx, s);
          const accounts = await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM brand_client_accounts WHERE brand_id = $1",
            [s.brandId],
          );
          metrics[`${label}_brand_accounts`] = Number(accounts.rows[0]?.n ?? 0);
          if (label === "small") continue;

          const defs = definitions(s);
          const window = { brandId: s.brandId, asOf: s.asOf };
          const timed: [string, () => Promise<unknown>, string][] = [
            [
              "cohort-simple",
              () => previewCohort({ ctx, input: { definition: defs.simple, sampleSize: 0, now: s.asOf } }),
              floors.cohortSimple,
            ],
            [
              "cohort-nested-20",
              () => previewCohort({ ctx, input: { definition: defs.nested, sampleSize: 0, now: s.asOf } }),
              floors.cohortNested,
            ],
            ["ltv", () => ltvByAcquisitionMonth({ ctx, input: window }), floors.orders],
            ["coupon-roi", () => couponRoi({ ctx, input: window }), floors.coupons],
            ["campaign-roi", () => campaignRoi({ ctx, input: window }), floors.campaigns],
            ["retention-month", () => retention({ ctx, input: { ...window, by: "month" } }), floors.orders],
            [
              "retention-product",
              () => retention({ ctx, input: { ...window, by: "product" } }),
              floors.items,
            ],
            [
              "retention-segment",
              () => retention({ ctx, input: { ...window, by: "segment" } }),
              floors.segments,
            ],
            ["acquisition", () => compareAcquisition({ ctx, input: window }), floors.acquisition],
            ["scatter", () => customerScatter({ ctx, input: { ...window, points: 5000 } }), floors.orders],
          ];
          for (const [name, work, floor] of timed) {
            const ms = await fastest(2, work);
            ratioTarget(name, ms, await timedFloor(client, floor, s));
          }

          const brands = await client.query<{ id: string }>("SELECT id FROM brands ORDER BY id");
          const t0 = performance.now();
          const recomputed = await withTransaction(handle.db, (tx) =>
            recomputeRfm(
              tx,
              brands.rows.map((b) => Number(b.id)),
              s.today,
            ),
          );
          const rfmMs = performance.now() - t0;
          const all = await client.query<{ n: string }>("SELECT count(*) AS n FROM brand_client_accounts");
          metrics.customers_accounts = Number(all.rows[0]?.n ?? 0);
          metrics.rfm_recompute_ms = round(rfmMs);
          metrics.rfm_recompute_accounts = recomputed.accounts;
          metrics.rfm_recompute_floor_ms = round(await timedFloor(client, floors.rfm, s));
        } finally {
          await close();
          await client.end();
        }
      }
      for (const read of ["heatmap", "overview"] as const) {
        const smallMs = reads.small?.[read] ?? 0;
        const bigMs = reads.big?.[read] ?? 0;
        const growth = bigMs / Math.max(smallMs, 0.1);
        metrics[`${read}_small_ms`] = round(smallMs, 2);
        metrics[`${read}_big_ms`] = round(bigMs, 2);
        targets.push({
          name: `${read} at ten times the customers within ${maxGrowth}× its time`,
          met: growth <= maxGrowth,
          detail: `${round(bigMs, 2)} ms vs ${round(smallMs, 2)} ms; ${round(growth, 2)}×`,
        });
      }
      return { name: this.name, metrics, targets };
    } finally {
      await big.drop().catch(() => {});
      await small.drop().catch(() => {});
    }
  },
};

export default analyticsBench;

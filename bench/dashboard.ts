/**
 * Dashboard benchmark (`npm run bench -- dashboard`), on a generated history of 1,000,000 customers and on one
 * of 100,000, for the brand with the most customers and its main currency:
 * - each tab's server-side reads (the domain/dashboard verbs the pages call, from Node through the Worker's
 *   database handle over the WebSocket bridge);
 * - each page's server time: `GET /dashboard/<tab>?brand=…&currency=…` rendered in full by the Worker bundle
 *   as `wrangler deploy` builds it, in workerd through Miniflare (`dispatchFetch`), with the session cookie
 *   of one sign-in through the dashboard's own form (an admin key inserted for it and deleted after), the
 *   database reached through a counting bridge of its own (one Miniflare per database, in turn). Each
 *   answer must be 200 and hold the page's table (campaigns and experiments: or the page's statement that
 *   the brand has none, as the generated history has no message campaigns).
 * Target: each tab, reads and page, at ten times the customers within 1.2× its time, since every tab reads
 * nightly aggregates or a bounded count. Timings are the fastest of 20 after one warm-up.
 *
 * BENCH_DASHBOARD_DATABASE_URL (1,000,000 customers) and BENCH_DASHBOARD_SMALL_URL (100,000) name already
 * seeded databases to reuse (aggregates missing there are computed first; nothing is dropped; the bench's key is deleted); otherwise
 * scratch databases are migrated, seeded and dropped. BENCH_DASHBOARD_CUSTOMERS sets the big size (the
 * small is a tenth), e.g. 5000 for a run that only shows the benchmark works; --quick uses 20,000.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import pg from "pg";
import type { Executor } from "../db/client.ts";
import { dailyRevenueJob } from "../domain/batches/job-daily-revenue.ts";
import { ltvByAcquisitionMonthJob } from "../domain/batches/job-ltv-by-acquisition-month.ts";
import { hashIds } from "../domain/core/hash-ids.ts";
import { withTransaction } from "../domain/core/transaction.ts";
import type { VerbContext } from "../domain/core/verb.ts";
import { dashboardAcquisition } from "../domain/dashboard/acquisition.ts";
import { visibleBrands } from "../domain/dashboard/brands.ts";
import { dashboardCampaigns } from "../domain/dashboard/campaigns.ts";
import { dashboardCohorts } from "../domain/dashboard/cohorts.ts";
import { dashboardExperiments } from "../domain/dashboard/experiments.ts";
import { dashboardOverview } from "../domain/dashboard/overview.ts";
import { latestCompleteDay } from "../domain/dashboard/window.ts";
import { generateApiKey, hashApiKey, prefixLength } from "../domain/ops/api-keys.ts";
import { rfmHeatmap } from "../domain/rfm/heatmap.ts";
import { recomputeRfm } from "../domain/rfm/recompute.ts";
import { openBatchDatabase, runBatchRange } from "../scripts/lib/batch.ts";
import { describeUrl } from "../scripts/lib/database.ts";
import {
  benchAlphabet,
  bundleWorker,
  deployedWorker,
  fastest,
  historyDatabase,
  startCountingBridge,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const maxGrowth = 1.2;
const days = 90;
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

interface Sample {
  brandId: number;
  currency: string;
  to: string;
}

async function sampleOf(client: pg.Client): Promise<Sample> {
  const brand = await client.query<{ brand_id: string; currency: string }>(
    `SELECT brand_id, currency FROM brand_client_accounts GROUP BY brand_id, currency ORDER BY count(*) DESC LIMIT 1`,
  );
  const row = brand.rows[0];
  if (!row) throw new Error("the database has no customers: seed it first");
  return { brandId: Number(row.brand_id), currency: row.currency, to: latestCompleteDay(new Date()) };
}

/** The nightly aggregates the tabs read, computed when the database lacks them. */
async function prepareAggregates(db: Executor, client: pg.Client, s: Sample): Promise<void> {
  // The scatter's bins come with the scores and cells: a database scored before they existed has none, so
  // its brands are scored again (one statement, as when nothing is scored yet).
  const binned = await client.query("SELECT 1 FROM rfm_scatter_bins WHERE brand_id = $1 LIMIT 1", [
    s.brandId,
  ]);
  if (binned.rows.length === 0) {
    const brands = await client.query<{ id: string }>("SELECT id FROM brands ORDER BY id");
    await withTransaction(db, (tx) =>
      recomputeRfm(
        tx,
        brands.rows.map((b) => Number(b.id)),
        s.to,
      ),
    );
  }
  const settings = { retentionDaysHttpLogs: 30, retentionDaysRelayBodies: 30 };
  const stored = await client.query<{ n: string }>(
    `SELECT count(DISTINCT day) AS n FROM daily_revenue WHERE day > $1::date - ${days}`,
    [s.to],
  );
  if (Number(stored.rows[0]?.n ?? 0) < days - 1) {
    const end = Date.parse(`${s.to}T00:00:00Z`);
    const dates = Array.from({ length: days }, (_, i) =>
      new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
    );
    await runBatchRange(db, { job: dailyRevenueJob, dates, chunkSize: undefined }, settings);
  }
  const ltv = await client.query("SELECT 1 FROM ltv_by_acquisition_month LIMIT 1");
  if (ltv.rows.length === 0)
    await runBatchRange(db, { job: ltvByAcquisitionMonthJob, dates: [s.to], chunkSize: undefined }, settings);
}

/** What each tab reads, as its handler calls it (the brand picker's read included in every one). */
function pages(ctx: VerbContext, s: Sample): [string, () => Promise<unknown>][] {
  const input = { brandId: s.brandId, to: s.to, days, currency: s.currency };
  const picker = () => visibleBrands(ctx);
  return [
    ["overview", async () => [await picker(), await dashboardOverview({ ctx, input })]],
    [
      "campaigns",
      async () => [
        await picker(),
        await dashboardCampaigns({
          ctx,
          input: { brandId: s.brandId, alphabet: benchAlphabet, now: new Date() },
        }),
      ],
    ],
    [
      "experiments",
      async () => [await picker(), await dashboardExperiments({ ctx, input: { brandId: s.brandId } })],
    ],
    [
      "cohorts",
      async () => [
        await picker(),
        await rfmHeatmap({ ctx, input: { brandId: s.brandId, currency: s.currency } }),
        await dashboardCohorts({ ctx, input: { brandId: s.brandId } }),
      ],
    ],
    ["acquisition", async () => [await picker(), await dashboardAcquisition({ ctx, input })]],
  ];
}

type Tab = "overview" | "campaigns" | "experiments" | "cohorts" | "acquisition";

/** What a full answer of each page holds: its table, or (campaigns, experiments) its "none yet" statement. */
const pageMarks: Record<Tab, RegExp> = {
  overview: /<table id="overview-days"/,
  campaigns: /<table id="funnel-|This brand has no message campaigns yet\./,
  experiments: /<table id="experiment-arms-|This brand has no experiments yet\./,
  cohorts: /<table id="heatmap-cells"/,
  acquisition: /<table id="acquisition-sources"/,
};
const tabs = Object.keys(pageMarks) as Tab[];

/**
 * An admin key (it sees every brand, as the reads' principal does) for the bench to sign in with: inserted
 * here, only its hash stored as the app stores it; `remove` deletes it again (a reused database keeps none).
 */
async function benchAdminKey(client: pg.Client): Promise<{ key: string; remove(): Promise<void> }> {
  const key = generateApiKey();
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO api_keys (name, prefix, key_hash, is_admin) VALUES ('bench dashboard', $1, $2, true)
     RETURNING id`,
    [key.slice(0, prefixLength), hashApiKey(key)],
  );
  const id = inserted.rows[0]?.id;
  if (id === undefined) throw new Error("could not insert the bench's API key");
  return {
    key,
    remove: async () => {
      await client.query("DELETE FROM api_keys WHERE id = $1", [id]);
    },
  };
}

interface PageTiming {
  ms: number;
  roundTrips: number;
}

/**
 * Each page rendered by the Worker in workerd against `url`, through a bridge of its own, after one sign-in
 * with `key` through the dashboard's own form: the fastest of 20 after a warm-up, and the database round
 * trips of one render.
 */
async function timePages(script: string, url: string, s: Sample, key: string) {
  const secret = randomBytes(32).toString("hex");
  const origin = "http://dashboard.bench.test";
  const bridge = await startCountingBridge(describeUrl(url));
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    ...deployedWorker(script, { url, bridgePort: bridge.port }, { DASHBOARD_SESSION_SECRET: secret }),
  });
  try {
    await mf.ready;
    const signIn = await mf.dispatchFetch(`${origin}/dashboard/sign-in`, {
      method: "POST",
      headers: { origin, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key }).toString(),
      redirect: "manual",
    });
    const cookie = /^lr_dashboard=[^;]+/.exec(signIn.headers.get("set-cookie") ?? "")?.[0];
    await signIn.text();
    if (signIn.status !== 303 || !cookie)
      throw new Error(`the sign-in answered ${signIn.status}, no session`);
    const query = `brand=${hashIds(benchAlphabet).encode("brand", s.brandId)}&currency=${s.currency}`;
    const timings = {} as Record<Tab, PageTiming>;
    for (const tab of tabs) {
      const render = async () => {
        const response = await mf.dispatchFetch(`${origin}/dashboard/${tab}?${query}`, {
          headers: { cookie },
          redirect: "manual",
        });
        const body = await response.text();
        if (response.status !== 200 || !pageMarks[tab].test(body))
          throw new Error(`/dashboard/${tab} answered ${response.status}: ${body.slice(0, 300)}`);
      };
      const ms = await fastest(20, render);
      const before = bridge.roundTrips;
      await render();
      timings[tab] = { ms, roundTrips: bridge.roundTrips - before };
    }
    return timings;
  } finally {
    await Promise.allSettled([mf.dispose(), bridge.close()]);
  }
}

const dashboardBench: Bench = {
  name: "dashboard: each tab's reads and each page's server time at 100,000 and 1,000,000 customers",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const customers = Number(process.env.BENCH_DASHBOARD_CUSTOMERS) || (quick ? 20_000 : 1_000_000);
    const big = await historyDatabase(
      databaseUrl,
      process.env.BENCH_DASHBOARD_DATABASE_URL,
      "dashboard_big",
      customers,
    );
    const small = await historyDatabase(
      databaseUrl,
      process.env.BENCH_DASHBOARD_SMALL_URL,
      "dashboard_small",
      Math.round(customers / 10),
    );
    const metrics: Record<string, number | string> = {};
    const targets: BenchResult["targets"] = [];
    const timings: Record<string, Record<string, number>> = {};
    const pageTimings: Record<string, Record<Tab, PageTiming>> = {};
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-dashboard-"));
    try {
      const script = await bundleWorker(outdir);
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
            // An admin's session: the picker lists every brand.
            principal: { apiKeyId: 0, brandIds: null, isAdmin: true },
            ids: hashIds(benchAlphabet),
          };
          await prepareAggregates(handle.db, client, s);
          const accounts = await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM brand_client_accounts WHERE brand_id = $1",
            [s.brandId],
          );
          metrics[`${label}_brand_accounts`] = Number(accounts.rows[0]?.n ?? 0);
          const own: Record<string, number> = {};
          for (const [page, work] of pages(ctx, s)) own[page] = await fastest(20, work);
          timings[label] = own;
          const admin = await benchAdminKey(client);
          try {
            pageTimings[label] = await timePages(script, opened.url, s, admin.key);
          } finally {
            await admin.remove();
          }
        } finally {
          await close();
          await client.end();
        }
      }
      for (const page of Object.keys(timings.big ?? {})) {
        const smallMs = timings.small?.[page] ?? 0;
        const bigMs = timings.big?.[page] ?? 0;
        const growth = bigMs / Math.max(smallMs, 0.1);
        metrics[`${page}_small_ms`] = round(smallMs);
        metrics[`${page}_big_ms`] = round(bigMs);
        targets.push({
          name: `${page} at ten times the customers within ${maxGrowth}× its time`,
          met: growth <= maxGrowth,
          detail: `${round(bigMs)} ms vs ${round(smallMs)} ms; ${round(growth)}×`,
        });
      }
      for (const tab of tabs) {
        const smallPage = pageTimings.small?.[tab];
        const bigPage = pageTimings.big?.[tab];
        if (!smallPage || !bigPage) continue;
        const growth = bigPage.ms / Math.max(smallPage.ms, 0.1);
        metrics[`${tab}_page_small_ms`] = round(smallPage.ms);
        metrics[`${tab}_page_big_ms`] = round(bigPage.ms);
        targets.push({
          name: `/dashboard/${tab} page at ten times the customers within ${maxGrowth}× its time`,
          met: growth <= maxGrowth,
          detail: `${round(bigPage.ms)} ms vs ${round(smallPage.ms)} ms; ${round(growth)}×; ${bigPage.roundTrips} vs ${smallPage.roundTrips} database round trips`,
        });
      }
      return { name: this.name, metrics, targets };
    } finally {
      await rm(outdir, { recursive: true, force: true });
      await big.drop().catch(() => {});
      await small.drop().catch(() => {});
    }
  },
};

export default dashboardBench;

import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon, { type Result as LoadSummary } from "autocannon";
import { Miniflare } from "miniflare";
import pg from "pg";
import type { NormalisedOrder } from "../api/schemas/order.ts";
import { hashIds } from "../domain/core/hash-ids.ts";
import { generateApiKey, hashApiKey } from "../domain/ops/api-keys.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import {
  benchAlphabet,
  benchCpuSeconds,
  bundleWorker,
  type CountingBridge,
  compatibilityDate,
  deployedWorker,
  percentile,
  root,
  startCountingBridge,
  startProfiles,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const target = 500;
const itemsPerOrder = 3;
const connections = 8;
/** Share of orders from returning customers (a pool of 500): their orders take turns on the account lock. */
const returningShare = 0.3;

export interface Fixture {
  brandRef: string;
  market: string;
  key: string;
}

/** A brand (its own slug), the `kr` market (made when missing) and a key for the benchmark. */
export async function seedOrderFixture(url: string): Promise<Fixture> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const brand = await client.query<{ id: string }>(
      "INSERT INTO brands (name, slug) VALUES ('Bench Beauty', $1) RETURNING id",
      [`bench-beauty-${process.pid}-${Date.now()}`],
    );
    await client.query(
      `INSERT INTO markets (code, name, country, currency, time_zone) VALUES ('kr', 'Korea', 'KR', 'KRW', 'Asia/Seoul')
       ON CONFLICT (code) DO NOTHING`,
    );
    const key = generateApiKey();
    await client.query(
      "INSERT INTO api_keys (name, prefix, key_hash, is_admin, last_used_at) VALUES ('bench', $1, $2, false, now())",
      [key.slice(0, 12), hashApiKey(key)],
    );
    return { brandRef: hashIds(benchAlphabet).encode("brand", Number(brand.rows[0]?.id)), market: "kr", key };
  } finally {
    await client.end();
  }
}

const catalog = Array.from({ length: 40 }, (_, n) => ({
  sku: `BENCH-${String(n).padStart(3, "0")}`,
  name: `Bench product ${n}`,
  unitPrice: 5_000 + 1_000 * (n % 30),
}));

/** A stream of distinct, realistic orders: three lines, shipping, sometimes a coupon and a campaign, most paid. */
export function orderFactory(fixture: Fixture, runId: string) {
  let sequence = 0;
  return (items = itemsPerOrder): NormalisedOrder => {
    sequence += 1;
    const n = sequence;
    const returning = (n * 7919) % 100 < returningShare * 100;
    const email = returning ? `returning-${n % 500}@bench.test` : `buyer-${runId}-${n}@bench.test`;
    const lines = Array.from({ length: items }, (_, i) => {
      const product = catalog[(n * 31 + i * 17) % catalog.length] ?? catalog[0];
      if (!product) throw new Error("empty catalog");
      return {
        sku: product.sku,
        name: product.name,
        quantity: 1 + ((n + i) % 3),
        unit_price: product.unitPrice,
        discount: i === 0 && n % 4 === 0 ? 1_000 : 0,
      };
    });
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unit_price - l.discount, 0) + 3_000;
    return {
      platform: "bench",
      external_id: `${runId}-${n}`,
      brand: fixture.brandRef,
      market: fixture.market,
      currency: "KRW",
      placed_at: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
      customer: {
        email,
        first_name: "Bench",
        last_name: `Buyer ${n % 500}`,
        phone: `+82 10-${1000 + (n % 9000)}-0000`,
      },
      shipping_address: {
        country: "KR",
        region: "Seoul",
        city: "Mapo-gu",
        postal_code: "04000",
        line1: `${n % 300} World Cup-ro`,
      },
      items: lines,
      shipping: 3_000,
      coupons: n % 4 === 0 ? [{ code: "WELCOME", discount: 1_000 }] : [],
      ...(n % 5 === 0 ? { campaign: "spring-sale" } : {}),
      marketing: {
        utm_source: n % 3 === 0 ? "instagram" : "google",
        utm_medium: n % 3 === 0 ? "social" : "cpc",
      },
      ...(n % 10 === 9
        ? {}
        : { payment: { amount: total, method: "card", external_id: `pay-${runId}-${n}` } }),
    };
  };
}

export async function post(
  url: string,
  key: string,
  body: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}api/v1/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Round trips on the wire for one order, counted alone (after the response, deferred work included). */
async function roundTripsOfOne(
  url: string,
  fixture: Fixture,
  bridge: CountingBridge,
  body: unknown,
): Promise<number> {
  const before = bridge.roundTrips;
  const response = await post(url, fixture.key, body);
  if (response.status !== 201) throw new Error(`order refused: ${response.status} ${response.text}`);
  // Work the API defers past the response (closing the pool) finishes within a moment.
  let last = -1;
  while (last !== bridge.roundTrips) {
    last = bridge.roundTrips;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return bridge.roundTrips - before;
}

interface LoadResult {
  samples: number[];
  statuses: Record<string, number>;
  result: LoadSummary;
}

/** `connections` clients posting distinct orders for `seconds`; latencies of the 201s. */
export async function load(
  url: string,
  key: string,
  make: () => unknown,
  seconds: number,
): Promise<LoadResult> {
  const samples: number[] = [];
  const statuses: Record<string, number> = {};
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: "POST",
        path: "/api/v1/orders",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(make()) }),
      },
    ],
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode === 201) samples.push(responseTime);
  });
  return { samples, statuses, result: await instance };
}

/**
 * The floor (bench/floor/orders-floor.ts): the same requests through Miniflare to a Worker that only
 * opens a connection like the API, makes as many trivial round trips and answers as much JSON.
 */
async function floor(
  outdir: string,
  databaseUrl: string,
  bridgePort: number,
  roundTrips: number,
  make: () => unknown,
  seconds: number,
): Promise<{ rps: number; cpu: CpuPerRequest | null }> {
  const script = await bundleWorker(outdir, path.join(root, "bench/floor/wrangler.orders-floor.toml"));
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    scriptPath: script,
    modulesRoot: path.dirname(script),
    compatibilityDate,
    compatibilityFlags: ["nodejs_compat"],
    bindings: {
      DATABASE_URL: databaseUrl,
      DB_WS_PROXY: `127.0.0.1:${bridgePort}`,
      ROUND_TRIPS: String(roundTrips),
    },
  });
  try {
    const url = (await mf.ready).toString();
    await load(url, "floor", make, 2);
    const before = benchCpuSeconds();
    const { samples, result } = await load(url, "floor", make, seconds);
    return {
      rps: samples.length / result.duration,
      cpu: cpuPerRequest(before, benchCpuSeconds(), samples.length),
    };
  } finally {
    await mf.dispose();
  }
}

interface CpuPerRequest {
  workerdUs: number;
  postgresUs: number;
}

/** workerd's and Postgres' CPU per request between two samples; `null` where /proc cannot tell. */
function cpuPerRequest(
  before: ReturnType<typeof benchCpuSeconds>,
  after: ReturnType<typeof benchCpuSeconds>,
  requests: number,
): CpuPerRequest | null {
  if (!before || !after || before.workerd === null || after.workerd === null || requests === 0) return null;
  return {
    workerdUs: ((after.workerd - before.workerd) * 1e6) / requests,
    postgresUs: ((after.postgres - before.postgres) * 1e6) / requests,
  };
}

const bench: Bench = {
  name: "orders",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 20;
    const scratch = await createScratchDatabase(databaseUrl, "leadrail_bench_orders");
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-orders-"));
    let bridge: CountingBridge | undefined;
    let mf: Miniflare | undefined;
    try {
      await applyMigrations(scratch.url);
      const fixture = await seedOrderFixture(scratch.url);
      bridge = await startCountingBridge(describeUrl(scratch.url));
      const script = await bundleWorker(outdir);
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...deployedWorker(script, { url: scratch.url, bridgePort: bridge.port }),
        ...(process.env.BENCH_PROFILE ? { inspectorPort: 9331 } : {}),
      });
      const url = (await mf.ready).toString();
      const runId = Date.now().toString(36);
      const make = orderFactory(fixture, runId);

      // Warm up: the isolate, the JIT, the catalog rows and the database's caches.
      for (let i = 0; i < 20; i += 1) {
        const response = await post(url, fixture.key, make());
        if (response.status !== 201)
          throw new Error(`warm-up order refused: ${response.status} ${response.text}`);
      }

      const roundTrips: Record<number, number[]> = {};
      for (const items of [1, 3, 10]) {
        roundTrips[items] = [];
        for (let i = 0; i < 3; i += 1)
          roundTrips[items].push(await roundTripsOfOne(url, fixture, bridge, make(items)));
      }
      const perOrder = (items: number) => Math.max(...(roundTrips[items] ?? [Number.NaN]));
      const flat =
        [1, 3, 10].every((items) => new Set(roundTrips[items]).size === 1) && perOrder(1) === perOrder(10);

      const stopProfiles = process.env.BENCH_PROFILE ? await startProfiles(9331, "order") : null;
      const cpuBefore = benchCpuSeconds();
      const { samples, statuses, result } = await load(url, fixture.key, make, seconds);
      const cpuAfter = benchCpuSeconds();
      await stopProfiles?.(samples.length);
      const sorted = Float64Array.from(samples).sort();
      const ordersPerSecond = samples.length / result.duration;

      // The ledger must hold what the responses said: every 201 is one order, totals match their rows.
      const check = new pg.Client({ connectionString: scratch.url });
      await check.connect();
      let stored = 0;
      let inconsistentAccounts = 0;
      try {
        stored = Number((await check.query<{ n: string }>("SELECT count(*) AS n FROM orders")).rows[0]?.n);
        inconsistentAccounts = Number(
          (
            await check.query<{ n: string }>(`SELECT count(*) AS n FROM brand_client_accounts a
              WHERE a.invoiced <> (SELECT COALESCE(sum(amount), 0) FROM invoices WHERE account_id = a.id)
                 OR a.paid <> (SELECT COALESCE(sum(amount), 0) FROM payments WHERE account_id = a.id)`)
          ).rows[0]?.n,
        );
      } finally {
        await check.end();
      }
      // Orders still in flight when the load generator stops are stored without being counted.
      const expectedStored = 20 + 9 + samples.length;
      const storedAsAnswered = stored >= expectedStored && stored <= expectedStored + connections;
      const sameRoundTrips = await floor(
        path.join(outdir, "floor"),
        scratch.url,
        bridge.port,
        perOrder(itemsPerOrder) - 1,
        make,
        seconds,
      );
      // The least any endpoint that stores an order can do: the same request, a connection and one
      // statement. Above this no implementation can go on this machine today.
      const oneStatement = await floor(
        path.join(outdir, "floor-one"),
        scratch.url,
        bridge.port,
        1,
        make,
        seconds,
      );
      const floorRps = sameRoundTrips.rps;
      const oneStatementRps = oneStatement.rps;
      const cpu = cpuPerRequest(cpuBefore, cpuAfter, samples.length);
      const floorCpu = sameRoundTrips.cpu;
      // The API's own CPU: what an order costs beyond the floor's request, connection and round trips.
      const ownCpu =
        cpu && floorCpu
          ? {
              workerdUs: cpu.workerdUs - floorCpu.workerdUs,
              postgresUs: cpu.postgresUs - floorCpu.postgresUs,
            }
          : null;
      const shareOfFloor = ordersPerSecond / floorRps;

      return {
        name: "orders",
        metrics: {
          orders_per_s: Math.round(ordersPerSecond),
          floor_requests_per_s: Math.round(floorRps),
          share_of_floor_pct: Math.round((ordersPerSecond / floorRps) * 1000) / 10,
          floor_one_statement_requests_per_s: Math.round(oneStatementRps),
          orders_created: samples.length,
          other_statuses:
            Object.entries(statuses)
              .filter(([status]) => status !== "201")
              .map(([status, count]) => `${status}×${count}`)
              .join(", ") || "none",
          errors: result.errors + result.timeouts,
          latency_p50_ms: percentile(sorted, 50),
          latency_p99_ms: percentile(sorted, 99),
          round_trips_order_1_item: perOrder(1),
          round_trips_order_3_items: perOrder(3),
          round_trips_order_10_items: perOrder(10),
          workerd_cpu_us_per_order: cpu ? Math.round(cpu.workerdUs) : "n/a",
          postgres_cpu_us_per_order: cpu ? Math.round(cpu.postgresUs) : "n/a",
          floor_workerd_cpu_us_per_request: floorCpu ? Math.round(floorCpu.workerdUs) : "n/a",
          floor_postgres_cpu_us_per_request: floorCpu ? Math.round(floorCpu.postgresUs) : "n/a",
          own_workerd_cpu_us_per_order: ownCpu ? Math.round(ownCpu.workerdUs) : "n/a",
          own_postgres_cpu_us_per_order: ownCpu ? Math.round(ownCpu.postgresUs) : "n/a",
          orders_stored: stored,
          accounts_inconsistent: inconsistentAccounts,
          connections,
          duration_s: seconds,
        },
        targets: [
          {
            name: `at least ${target} orders/s through the API (${itemsPerOrder} items each)`,
            met: ordersPerSecond >= target && storedAsAnswered && inconsistentAccounts === 0,
            detail: `${Math.round(ordersPerSecond)} orders/s over ${seconds} s with ${connections} connections (the floor — same requests, same connection and round trips, no ingestion — did ${Math.round(floorRps)}/s, and with a single trivial statement ${Math.round(oneStatementRps)}/s); ${stored} orders stored (${expectedStored} answered 201, at most ${connections} more in flight at the end), ${inconsistentAccounts} accounts whose totals differ from their rows`,
          },
          {
            name: "≥ 60% of the same-round-trip floor",
            met: shareOfFloor >= 0.6 && storedAsAnswered && inconsistentAccounts === 0,
            detail: `${Math.round(ordersPerSecond)} orders/s, the floor ${Math.round(floorRps)} requests/s in the same run: ${Math.round(shareOfFloor * 1000) / 10}%`,
          },
          {
            name: "Postgres CPU ≤ 1.2 ms and workerd CPU ≤ 1.5 ms per 3-item order, beyond the floor's request",
            met: ownCpu !== null && ownCpu.postgresUs <= 1_200 && ownCpu.workerdUs <= 1_500,
            detail: ownCpu
              ? `beyond the floor: Postgres ${Math.round(ownCpu.postgresUs)} µs, workerd ${Math.round(ownCpu.workerdUs)} µs per order (in all: ${Math.round(cpu?.postgresUs ?? 0)} / ${Math.round(cpu?.workerdUs ?? 0)} µs; the floor's request alone ${Math.round(floorCpu?.postgresUs ?? 0)} / ${Math.round(floorCpu?.workerdUs ?? 0)} µs — workerd's includes Miniflare's own entry and proxy Workers)`
              : "CPU could not be read from /proc",
          },
          {
            name: "round trips per order do not grow with the number of items",
            met: flat,
            detail: `wire round trips per order of 1 / 3 / 10 items: ${perOrder(1)} / ${perOrder(3)} / ${perOrder(10)} (connection start-up, the API key lookup, BEGIN, 2 statements, COMMIT and the order read)`,
          },
        ],
      };
    } finally {
      await mf?.dispose();
      await bridge?.close();
      await rm(outdir, { recursive: true, force: true });
      await scratch.drop();
    }
  },
};

export default bench;

/**
 * Growth: the orders' and the capture consumer's throughput on a database that already holds 1,000,000
 * customers' sales history and 2,000,000 captures, against the same on an empty database, same run
 * (target: at least 0.8× each). The consumer runs with the in-memory KV stand-in of bench/consumer.ts, so
 * Miniflare's local KV does not set the pace.
 *
 * BENCH_GROWTH_DATABASE_URL names a prepared database to reuse (`npm run db:migrate`, `npm run seed --
 * --customers 1000000`, `tsx bench/growth-seed.ts 2000000`); it is copied (`CREATE DATABASE … TEMPLATE`)
 * for each run and never written. Without it a scratch one is seeded here (--quick: 20,000 customers and
 * 40,000 captures, which shows the benchmark works, not how cost grows). The empty and the grown database
 * take turns, twice each, and each side's better run counts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import pg from "pg";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import { bundleWorker, deployedWorker, historyDatabase, startCountingBridge } from "./common.ts";
import {
  type BatchLog,
  kvStandInScript,
  messageFactory,
  seedTenants,
  stdio,
  throughput,
} from "./consumer.ts";
import { seedCaptures } from "./growth-seed.ts";
import type { Bench, BenchResult } from "./lib.ts";
import { load, orderFactory, post, seedOrderFixture } from "./orders.ts";

const ratioTarget = 0.8;

/** A database for one measurement: a copy of `source` (or an empty migrated one), dropped after. */
async function copyOf(serverUrl: string, source: string | null, label: string) {
  const name = `leadrail_bench_growth_${label}_${process.pid}_${Date.now()}`;
  if (source !== null) return createScratchDatabase(serverUrl, name, new URL(source).pathname.slice(1));
  const scratch = await createScratchDatabase(serverUrl, name);
  await applyMigrations(scratch.url);
  return scratch;
}

/** Orders/s through the API: 8 connections for `seconds`, after 20 warm-up orders. */
async function ordersPerSecond(script: string, url: string, seconds: number): Promise<number> {
  const fixture = await seedOrderFixture(url);
  const bridge = await startCountingBridge(describeUrl(url));
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    ...deployedWorker(script, { url, bridgePort: bridge.port }),
  });
  try {
    const base = (await mf.ready).toString();
    const make = orderFactory(fixture, `g${Date.now().toString(36)}`);
    for (let i = 0; i < 20; i += 1) {
      const response = await post(base, fixture.key, make());
      if (response.status !== 201)
        throw new Error(`warm-up order refused: ${response.status} ${response.text}`);
    }
    const { samples, statuses, result } = await load(base, fixture.key, make, seconds);
    const refused = Object.entries(statuses).filter(([status]) => status !== "201");
    if (refused.length > 0) throw new Error(`orders refused: ${JSON.stringify(Object.fromEntries(refused))}`);
    return samples.length / result.duration;
  } finally {
    await mf.dispose();
    await bridge.close();
  }
}

/** Captures/s through the ten stages with the KV stand-in: 8 batches of 100 in flight for `seconds`. */
async function capturesPerSecond(script: string, url: string, seconds: number): Promise<number> {
  const tenants = await seedTenants(url, 4);
  const bridge = await startCountingBridge(describeUrl(url));
  const log: BatchLog = { statements: [], published: [], timings: [], failures: [], samples: [] };
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio: stdio(log),
    workers: [
      {
        ...deployedWorker(script, { url, bridgePort: bridge.port }, { EDGE_CACHE_TTL_MS: "5000" }),
        name: "consumer",
        kvNamespaces: ["EDGE_CONFIG"],
        wrappedBindings: { KNOWLEDGE: "kv-stand-in" },
      },
      {
        name: "kv-stand-in",
        modules: [{ type: "ESModule", path: "kv-stand-in.mjs", contents: kvStandInScript }],
      },
    ],
  });
  try {
    await mf.ready;
    const worker = await mf.getWorker("consumer");
    const make = messageFactory(tenants);
    await throughput(worker, make, 1, 8);
    const run = await throughput(worker, make, seconds, 8);
    if (log.failures.length > 0) throw new Error(`consumer failures:\n${log.failures.join("\n")}`);
    return run.captures / run.elapsed;
  } finally {
    await mf.dispose();
    await bridge.close();
  }
}

async function tableSize(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return result.rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

const bench: Bench = {
  name: "growth: orders and captures on a grown database vs an empty one",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 15;
    const customers = Number(process.env.BENCH_GROWTH_CUSTOMERS ?? (quick ? 20_000 : 1_000_000));
    const storedCaptures = Number(process.env.BENCH_GROWTH_CAPTURES ?? customers * 2);
    const reuse = process.env.BENCH_GROWTH_DATABASE_URL;
    const grown = await historyDatabase(databaseUrl, reuse, "growth", customers);
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-growth-"));
    try {
      let seeded = "reused";
      if (!reuse) {
        const summary = await seedCaptures(grown.url, storedCaptures);
        seeded = `seeded here in ${Math.round((grown.seedSeconds ?? 0) + summary.seconds)} s`;
      }
      const sizes = {
        captures: await tableSize(grown.url, "captures"),
        accounts: await tableSize(grown.url, "brand_client_accounts"),
        orders: await tableSize(grown.url, "orders"),
        emails: await tableSize(grown.url, "emails"),
      };
      const script = await bundleWorker(outdir);
      const best = { empty: { orders: 0, captures: 0 }, grown: { orders: 0, captures: 0 } };
      for (let round = 0; round < 2; round += 1) {
        for (const side of ["empty", "grown"] as const) {
          const db = await copyOf(databaseUrl, side === "empty" ? null : grown.url, side);
          try {
            best[side].orders = Math.max(best[side].orders, await ordersPerSecond(script, db.url, seconds));
            best[side].captures = Math.max(
              best[side].captures,
              await capturesPerSecond(script, db.url, seconds),
            );
          } finally {
            await db.drop();
          }
        }
      }
      const ordersRatio = best.grown.orders / best.empty.orders;
      const capturesRatio = best.grown.captures / best.empty.captures;
      const grownSize = `${sizes.accounts.toLocaleString("en-US")} accounts, ${sizes.orders.toLocaleString("en-US")} orders, ${sizes.captures.toLocaleString("en-US")} captures, ${sizes.emails.toLocaleString("en-US")} emails (${seeded})`;
      const round2 = (value: number) => Math.round(value * 100) / 100;
      return {
        name: "growth",
        metrics: {
          grown_accounts: sizes.accounts,
          grown_orders: sizes.orders,
          grown_captures: sizes.captures,
          grown_emails: sizes.emails,
          orders_per_s_empty: Math.round(best.empty.orders),
          orders_per_s_grown: Math.round(best.grown.orders),
          orders_grown_vs_empty: round2(ordersRatio),
          captures_per_s_empty: Math.round(best.empty.captures),
          captures_per_s_grown: Math.round(best.grown.captures),
          captures_grown_vs_empty: round2(capturesRatio),
          duration_s: seconds,
        },
        targets: [
          {
            name: `orders on the grown database ≥ ${ratioTarget}× the empty one`,
            met: ordersRatio >= ratioTarget,
            detail: `${Math.round(best.grown.orders)} vs ${Math.round(best.empty.orders)} orders/s (${round2(ordersRatio)}×), best of two ${seconds}-s runs each, taking turns; grown: ${grownSize}`,
          },
          {
            name: `captures on the grown database ≥ ${ratioTarget}× the empty one (KV stand-in)`,
            met: capturesRatio >= ratioTarget,
            detail: `${Math.round(best.grown.captures)} vs ${Math.round(best.empty.captures)} captures/s (${round2(capturesRatio)}×), best of two ${seconds}-s runs each, taking turns`,
          },
        ],
      };
    } finally {
      await rm(outdir, { recursive: true, force: true });
      await grown.drop();
    }
  },
};

export default bench;

/**
 * Consumer benchmark: captures persisted per second through the real capture handler (the
 * Worker bundle as `wrangler deploy` builds it, in workerd through Miniflare, invoked with
 * `worker.queue(…)` batches of 100, several in flight), into a scratch database on the given
 * PostgreSQL server; beside COPY of the same rows (the floor). Round trips per batch are counted
 * on the wire: the Postgres protocol messages that wait for an answer (Query, Sync, startup)
 * passing through the WebSocket bridge, for batches of 1, 10 and 100.
 *
 * Beside the headline it measures what is local simulation rather than our code: the CPU of
 * workerd, this process (dispatch, bridge) and Postgres per batch; the same consumer with the
 * knowledge index in an in-memory stand-in (Miniflare's KV serialises every write of a namespace
 * through one Durable Object); and consumers that only take Miniflare's queue dispatch, with and
 * without the same number of local KV writes. Miniflare's KV files live on tmpfs, not on disk.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Miniflare } from "miniflare";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { hashIds } from "../domain/core/hash-ids.ts";
import { uuidv7 } from "../domain/core/uuid-v7.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import { iphoneSafari, seoulCf } from "../test/support/fixtures.ts";
import {
  benchAlphabet as alphabet,
  bundleWorker as bundle,
  type CountingBridge,
  compatibilityDate,
  deployedWorker,
  startCountingBridge,
  startProfiles,
  stdioLines,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const capturesQueue = "leadrail-captures";
const batchSize = 100;
const target = 5000;

/** The mix of one batch: mostly new leads, some repeats (duplicates), invalid input and bots. */
const mix = { duplicate: 0.05, invalid: 0.05, bot: 0.05 };

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

// ── the wire: the project's WebSocket-to-TCP bridge, counting round trips ──

// ── fixtures ──

interface Tenant {
  brandId: number;
  themeId: number;
  partnerId: number;
  productId: number;
  landingId: number;
  landingRef: string;
}

export async function seedTenants(url: string, count: number): Promise<Tenant[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const codec = hashIds(alphabet);
  const tenants: Tenant[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const one = async (text: string, values: unknown[]): Promise<number> => {
        const result = await client.query<{ id: string }>(text, values);
        return Number(result.rows[0]?.id);
      };
      const brandId = await one("INSERT INTO brands (name, slug) VALUES ($1, $1) RETURNING id", [
        `bench-brand-${i}`,
      ]);
      const themeId = await one("INSERT INTO themes (name, slug) VALUES ($1, $1) RETURNING id", [
        `bench-theme-${i}`,
      ]);
      const partnerId = await one(
        `INSERT INTO partners (name, slug, click_id_param, postback_url, postback_events)
         VALUES ($1, $1, 'aff_click_id', 'https://network.bench.test/pb?click={click_id}&e={event}', ARRAY['lead_accepted','lead_restored'])
         RETURNING id`,
        [`bench-partner-${i}`],
      );
      const productId = await one(
        "INSERT INTO products (brand_id, name, sku) VALUES ($1, $2, $2) RETURNING id",
        [brandId, `bench-sku-${i}`],
      );
      const landingId = await one(
        `INSERT INTO landings (name, brand_id, theme_id, partner_id, product_id, fallback_url)
         VALUES ($1, $2, $3, $4, $5, 'https://fallback.bench.test/') RETURNING id`,
        [`bench-landing-${i}`, brandId, themeId, partnerId, productId],
      );
      await client.query(
        `INSERT INTO relay_targets (name, brand_id, url, field_mapping)
         VALUES ($1, $2, 'https://buyer.bench.test/leads', '{"email":"email","name":"first_name","source":"utm_source"}')`,
        [`bench-buyer-${i}`, brandId],
      );
      tenants.push({
        brandId,
        themeId,
        partnerId,
        productId,
        landingId,
        landingRef: codec.encode("landing", landingId),
      });
    }
  } finally {
    await client.end();
  }
  return tenants;
}

/** Builds batches of edge-shaped capture messages in the benchmark's mix. */
export function messageFactory(tenants: readonly Tenant[]) {
  let sequence = 0;
  const recent: string[] = [];
  const run = crypto.randomUUID().slice(0, 8);
  const message = (tenant: Tenant) => {
    sequence += 1;
    const roll = Math.random();
    let email = `lead.${run}.${sequence}@bench-mail.net`;
    let userAgent = iphoneSafari;
    if (roll < mix.duplicate && recent.length > 0) email = recent[sequence % recent.length] ?? email;
    else if (roll < mix.duplicate + mix.invalid) email = `not-an-email-${sequence}`;
    else if (roll < mix.duplicate + mix.invalid + mix.bot) userAgent = "python-requests/2.31.0";
    else if (recent.length < 1000) recent.push(email);
    else recent[sequence % 1000] = email;
    const fields = {
      email,
      first_name: "Minjun",
      phone: "010-1234-5678",
      utm_source: "naver",
      utm_medium: "cpc",
      utm_campaign: "autumn",
      aff_click_id: `clk-${sequence}`,
    };
    const body = new URLSearchParams(fields).toString();
    const captureId = uuidv7();
    const url = `https://edge.bench.test/l/${tenant.landingRef}?utm_source=naver&utm_medium=cpc&utm_campaign=autumn&aff_click_id=clk-${sequence}`;
    return {
      v: 1,
      captureId,
      receivedAt: new Date().toISOString(),
      landingRef: tenant.landingRef,
      landing: {
        id: tenant.landingId,
        brandId: tenant.brandId,
        themeId: tenant.themeId,
        partnerId: tenant.partnerId,
        productId: tenant.productId,
      },
      overrides: {},
      request: {
        method: "POST",
        url,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "user-agent": userAgent,
          "cf-connecting-ip": "211.234.10.20",
          referer: "https://m.search.naver.com/search.naver?query=shoes",
          "accept-language": "ko-KR,ko;q=0.9",
        },
        body,
        bodyBytes: body.length,
        bodyTruncated: false,
        bodyError: null,
        fields,
        truncatedFields: {},
      },
      cf: seoulCf,
      edge: {
        emailSha256: null,
        knowledge: "unknown",
        knowledgeSource: "kv",
        ruleId: null,
        fallbackReason: "no_match",
        response: {
          status: 303,
          location: "https://fallback.bench.test/",
          headers: { "x-capture-id": captureId },
        },
        durationMs: 0.8,
      },
    };
  };
  return (size: number) =>
    Array.from({ length: size }, (_, index) => {
      const tenant = tenants[(sequence + index) % tenants.length] as Tenant;
      const body = message(tenant);
      return { id: `bench-${body.captureId}`, timestamp: new Date(), attempts: 1, body };
    });
}

// ── the Worker ──

interface BatchTimings {
  connect: number;
  statements: number[];
  publish: number;
  enqueue: number;
  close: number;
  total: number;
}

export interface BatchLog {
  statements: number[];
  /** KV knowledge entries each batch of 100 wrote. */
  published: number[];
  /** The handler's own timings of each batch of 100 (from its `capture.batch` log line). */
  timings: BatchTimings[];
  failures: string[];
  /** A few batch lines, for `BENCH_VERBOSE=1`. */
  samples: string[];
}

export function stdio(log: BatchLog) {
  return stdioLines((line) => {
    const match = /"event":"capture\.batch".*"statements":(\d+)/.exec(line);
    if (match) {
      log.statements.push(Number(match[1]));
      try {
        const parsed = JSON.parse(line) as {
          messages: number;
          timings: BatchTimings;
          knowledgePublished: number;
        };
        if (parsed.messages === batchSize) {
          log.timings.push(parsed.timings);
          log.published.push(parsed.knowledgePublished);
        }
      } catch {
        // A line cut by the runtime's output buffering: its statement count is enough.
      }
      log.samples.push(line.slice(0, 600));
      if (log.samples.length > 14) log.samples.splice(9, 1);
    } else if (
      /"event":"capture\.(batch_failed|batch_fallback|message_failed)"/.test(line) &&
      log.failures.length < 10
    )
      log.failures.push(line.slice(0, 300));
  });
}

type Worker = Awaited<ReturnType<Miniflare["getWorker"]>>;

async function sendBatch(
  worker: Worker,
  messages: ReturnType<ReturnType<typeof messageFactory>>,
): Promise<void> {
  const result = await worker.queue(capturesQueue, messages);
  const acked = new Set(result.explicitAcks);
  if (result.retryMessages.length > 0 || messages.some((message) => !acked.has(message.id))) {
    throw new Error(
      `batch not fully acked: ${acked.size}/${messages.length}, ${result.retryMessages.length} retried`,
    );
  }
}

// ── where the CPU goes ──

/**
 * CPU seconds (user + system) of one process and of its children that ended and were reaped,
 * from /proc; null where /proc is not there. Postgres forks a backend per connection and the
 * consumer connects per batch, so most of Postgres's work is in the postmaster's reaped children.
 */
async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3: utime, stime,
    // cutime, cstime are fields 14 to 17, in clock ticks (100 a second on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

async function processes(): Promise<{ pid: number; ppid: number; name: string }[]> {
  const list: { pid: number; ppid: number; name: string }[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (open < 0 || close < 0) continue;
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    list.push({ pid: Number(entry), ppid, name: stat.slice(open + 1, close) });
  }
  return list;
}

/** CPU seconds the whole machine spent busy (all cores, everything but idle and iowait), from /proc/stat. */
async function machineBusySeconds(): Promise<number> {
  const stat = await readFile("/proc/stat", "utf8").catch(() => "");
  const fields = (stat.split("\n")[0] ?? "").split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}

interface CpuSample {
  /** This Node process: message building, `worker.queue` dispatch, the WebSocket bridge. */
  node: number;
  /** workerd (Miniflare's runtime): the consumer, and the KV, queue and loopback simulators. */
  workerd: number;
  /** Every `postgres` process on the machine (the bench holds the CPU lock, so they are ours). */
  postgres: number;
  /** The whole machine: anything beyond the three above is someone else's work, and spoils the run. */
  machine: number;
}

/** Samples the CPU time of the processes that take part, to split a run's CPU between them. */
async function cpuMeter(): Promise<() => Promise<CpuSample>> {
  const all = await processes();
  const descendants = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all)
      if (descendants.has(p.ppid) && !descendants.has(p.pid)) {
        descendants.add(p.pid);
        grew = true;
      }
  }
  const workerd = all.filter((p) => descendants.has(p.pid) && p.name === "workerd").map((p) => p.pid);
  return async () => {
    const sum = async (pids: number[]) =>
      (await Promise.all(pids.map(processCpuSeconds))).reduce<number>((total, s) => total + (s ?? 0), 0);
    const postgres = (await processes()).filter((p) => p.name === "postgres").map((p) => p.pid);
    // A backend still alive is counted itself; one that ended is in the postmaster's children.
    const usage = process.cpuUsage();
    return {
      node: (usage.user + usage.system) / 1e6,
      workerd: await sum(workerd),
      postgres: await sum(postgres),
      machine: await machineBusySeconds(),
    };
  };
}

// ── the local simulators' own ceiling ──

/**
 * A consumer that does only what the local simulators charge for: take a batch from Miniflare's
 * queue dispatch, write `kvWrites` entries of the knowledge index's shape into Miniflare's local
 * KV (none for the queue-only floor), ack every message. No database, no stages. It runs in
 * its own Miniflare with the same KV storage as the bench's, so its captures/s is the most
 * any consumer can reach through these simulators on this machine.
 */
const simulatorFloorScript = `
export default {
  async queue(batch, env) {
    const writes = Math.round((Number(env.KV_WRITES_PER_100) * batch.messages.length) / 100);
    const at = new Date().toISOString();
    await Promise.all(
      batch.messages.slice(0, writes).map((message) =>
        env.KNOWLEDGE.put("k:" + message.body.captureId, JSON.stringify({ v: 1, activeBrands: [1], at })),
      ),
    );
    for (const message of batch.messages) message.ack();
  },
};
`;

/**
 * The knowledge index as an in-memory map, for a wrapped binding: `put` stores the value and
 * `get` reads it back as KV does (text or JSON). Only the calls the consumer makes.
 */
export const kvStandInScript = `
const store = new Map();
export default function () {
  return {
    async put(key, value) {
      store.set(key, String(value));
    },
    async get(key, options) {
      const value = store.get(key);
      if (value === undefined) return null;
      const type = typeof options === "string" ? options : options?.type;
      return type === "json" ? JSON.parse(value) : value;
    },
  };
}
`;

export async function throughput(
  worker: Worker,
  make: (size: number) => ReturnType<ReturnType<typeof messageFactory>>,
  seconds: number,
  concurrency: number,
): Promise<{ captures: number; batches: number; elapsed: number; latencies: number[] }> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const run = { captures: 0, batches: 0, elapsed: 0, latencies: [] as number[] };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const messages = make(batchSize);
        const t0 = performance.now();
        await sendBatch(worker, messages);
        run.latencies.push(performance.now() - t0);
        run.captures += messages.length;
        run.batches += 1;
      }
    }),
  );
  run.elapsed = (performance.now() - started) / 1000;
  return run;
}

async function simulatorFloor(
  kvPersist: string,
  make: (size: number) => ReturnType<ReturnType<typeof messageFactory>>,
  kvWritesPer100: number,
  seconds: number,
  concurrency: number,
): Promise<{ capturesPerSecond: number; workerdMsPerBatch: number; workerdCores: number }> {
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    script: simulatorFloorScript,
    compatibilityDate,
    compatibilityFlags: ["nodejs_compat"],
    kvNamespaces: ["KNOWLEDGE"],
    kvPersist,
    bindings: { KV_WRITES_PER_100: String(kvWritesPer100) },
  });
  try {
    await mf.ready;
    const worker = await mf.getWorker();
    await throughput(worker, make, 1, concurrency);
    const cpu = await cpuMeter();
    const before = await cpu();
    const run = await throughput(worker, make, seconds, concurrency);
    const after = await cpu();
    return {
      capturesPerSecond: run.captures / run.elapsed,
      workerdMsPerBatch: ((after.workerd - before.workerd) * 1000) / run.batches,
      workerdCores: (after.workerd - before.workerd) / run.elapsed,
    };
  } finally {
    await mf.dispose();
  }
}

// ── the floor: COPY of the same rows ──

const csv = (values: readonly (string | number | boolean | null)[]): string =>
  `${values
    .map((value) => {
      if (value === null) return "";
      const text = String(value);
      return /[",\n\r]/.test(text) || text === "" ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(",")}\n`;

/**
 * COPY the rows the pipeline writes for `count` new captures (one email, contact, relationship,
 * capture, geo, marketing, HTTP log and knowledge row, two contact events, two relay jobs) into
 * copies of the real tables with the same indexes and defaults (no foreign keys), one COPY per
 * table on one connection.
 */
async function copyFloor(
  url: string,
  count: number,
): Promise<{ seconds: number; rows: number; postgresSeconds: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tables = [
    "emails",
    "contacts",
    "contact_brands",
    "captures",
    "capture_geo",
    "capture_marketing",
    "capture_http_logs",
    "capture_knowledge",
    "contact_events",
    "relay_jobs",
  ];
  try {
    await client.query("CREATE SCHEMA IF NOT EXISTS copy_floor");
    for (const table of tables) {
      await client.query(`DROP TABLE IF EXISTS copy_floor.${table}`);
      await client.query(`CREATE TABLE copy_floor.${table} (LIKE public.${table} INCLUDING ALL)`);
    }
    const run = crypto.randomUUID().slice(0, 8);
    const ids = Array.from({ length: count }, () => uuidv7());
    const now = new Date().toISOString();
    const headers = JSON.stringify({ "user-agent": iphoneSafari, "cf-connecting-ip": "211.234.10.20" });
    const fields = JSON.stringify({ email: "x@bench-mail.net", first_name: "Minjun", utm_source: "naver" });
    const streams: [string, string, (i: number, id: string) => string][] = [
      [
        "emails",
        "address, domain, sha256, md5",
        (i) =>
          csv([
            `copy.${run}.${i}@bench-mail.net`,
            "bench-mail.net",
            `${run}${String(i).padStart(12, "0")}`.padEnd(64, "0"),
            `${run}${String(i).padStart(12, "0")}`.padEnd(32, "0"),
          ]),
      ],
      ["contacts", "email_id, first_capture_id", (i, id) => csv([i + 1, id])],
      [
        "contact_brands",
        "contact_id, brand_id, state, first_capture_id, last_capture_id, capture_count",
        (i, id) => csv([i + 1, 1, "active", id, id, 1]),
      ],
      [
        "captures",
        "id, received_at, landing_ref, landing_id, brand_id, theme_id, partner_id, product_id, email_id, contact_id, outcome, is_bot, fields",
        (i, id) => csv([id, now, "Ab3dEf7h", 1, 1, 1, 1, 1, i + 1, i + 1, "new", false, fields]),
      ],
      [
        "capture_geo",
        "capture_id, country, region, region_code, city, postal_code, continent, latitude, longitude, timezone, asn, as_organization, colo, bot_score, verified_bot",
        (_i, id) =>
          csv([
            id,
            "KR",
            "Seoul",
            "11",
            "Seoul",
            "04524",
            "AS",
            37.5661,
            126.9784,
            "Asia/Seoul",
            4766,
            "Korea Telecom",
            "ICN",
            87,
            false,
          ]),
      ],
      [
        "capture_marketing",
        "capture_id, utm_source, utm_medium, utm_campaign, click_id, referrer, extra",
        (i, id) => csv([id, "naver", "cpc", "autumn", `clk-${i}`, "https://m.search.naver.com/", "{}"]),
      ],
      [
        "capture_http_logs",
        "capture_id, method, url, request_headers, request_body, request_body_bytes, user_agent, ip, response_status, response_location, response_headers, edge_duration_ms",
        (i, id) =>
          csv([
            id,
            "POST",
            `https://edge.bench.test/l/Ab3dEf7h?aff_click_id=clk-${i}`,
            headers,
            "email=x%40bench-mail.net&first_name=Minjun",
            40,
            iphoneSafari,
            "211.234.10.20",
            303,
            "https://fallback.bench.test/",
            JSON.stringify({ "x-capture-id": id }),
            0.8,
          ]),
      ],
      [
        "capture_knowledge",
        "capture_id, edge_level, edge_source, edge_known, edge_known_active, edge_known_active_same_brand, after_level, after_known, after_known_active, after_known_active_same_brand",
        (_i, id) =>
          csv([id, "unknown", "kv", false, false, false, "known_active_same_brand", true, true, true]),
      ],
      [
        "contact_events",
        "contact_id, brand_id, type, capture_id, source, detail, occurred_at",
        (i, id) =>
          csv([i + 1, 1, "created", id, "capture", '{"outcome":"new"}', now]) +
          csv([i + 1, 1, "captured", id, "capture", '{"outcome":"new"}', now]),
      ],
      [
        "relay_jobs",
        "kind, event, capture_id, partner_id, relay_target_id, payload",
        (i, id) =>
          csv([
            "postback",
            "lead_accepted",
            id,
            1,
            null,
            JSON.stringify({ method: "get", url: `https://network.bench.test/pb?click=clk-${i}` }),
          ]) +
          csv([
            "lead_relay",
            "lead_accepted",
            id,
            null,
            1,
            JSON.stringify({ method: "post", body: { email: "x@bench-mail.net" } }),
          ]),
      ],
    ];
    let rows = 0;
    const meter = await cpuMeter();
    const cpuBefore = await meter();
    const started = performance.now();
    for (const [table, columns, row] of streams) {
      const copy = client.query(
        copyFrom(`COPY copy_floor.${table} (${columns}) FROM STDIN WITH (FORMAT csv)`),
      );
      await pipeline(
        Readable.from(
          (function* () {
            for (let i = 0; i < count; i += 1) yield row(i, ids[i] ?? "");
          })(),
        ),
        copy,
      );
      rows += copy.rowCount;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await meter();
    return { seconds, rows, postgresSeconds: cpuAfter.postgres - cpuBefore.postgres };
  } finally {
    await client.query("DROP SCHEMA IF EXISTS copy_floor CASCADE").catch(() => {});
    await client.end();
  }
}

// ── the benchmark ──

const consumerBench: Bench = {
  name: "consumer: captures/s through the ten stages vs COPY",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 20;
    const concurrency = 8;
    const scratch = await createScratchDatabase(
      databaseUrl,
      `leadrail_bench_consumer_${process.pid}_${Date.now()}`,
    );
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-consumer-"));
    // Miniflare keeps even "in-memory" KV on disk (SQLite plus a file per value) under the system
    // temp directory. Cloudflare's KV is not on the Worker's disk: keep the simulator's files in
    // memory (tmpfs) where the machine has one, so ext4 journaling is not counted as KV cost.
    const kvRoot = await mkdtemp(
      path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "leadrail-bench-kv-"),
    );
    let bridge: CountingBridge | null = null;
    let mf: Miniflare | null = null;
    const log: BatchLog = { statements: [], published: [], timings: [], failures: [], samples: [] };
    try {
      const [script] = await Promise.all([bundle(outdir), applyMigrations(scratch.url)]);
      const tenants = await seedTenants(scratch.url, 4);
      bridge = await startCountingBridge(describeUrl(scratch.url));
      const consumerWorker = deployedWorker(
        script,
        { url: scratch.url, bridgePort: bridge.port },
        { EDGE_CACHE_TTL_MS: "5000", CAPTURE_RETRY_BASE_SECONDS: "2" },
      );
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...consumerWorker,
        kvPersist: path.join(kvRoot, "consumer"),
        handleRuntimeStdio: stdio(log),
        ...(process.env.BENCH_PROFILE ? { inspectorPort: 9329 } : {}),
      });
      await mf.ready;
      const worker = await mf.getWorker();
      const make = messageFactory(tenants);
      let sent = 0;

      // Warm up the isolate, the JIT and the database's caches.
      for (let i = 0; i < 3; i += 1) {
        await sendBatch(worker, make(batchSize));
        sent += batchSize;
      }

      // Round trips per batch, measured alone so the wire count belongs to one batch.
      const roundTrips: Record<string, number> = {};
      const statements: Record<string, number> = {};
      for (const size of [1, 10, 100]) {
        const counts: number[] = [];
        const logged: number[] = [];
        for (let i = 0; i < 3; i += 1) {
          const before = bridge.roundTrips;
          const loggedBefore = log.statements.length;
          await sendBatch(worker, make(size));
          sent += size;
          // The log line may trail the queue result by a moment.
          for (let wait = 0; wait < 50 && log.statements.length === loggedBefore; wait += 1) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          counts.push(bridge.roundTrips - before);
          logged.push(log.statements.at(-1) ?? Number.NaN);
        }
        roundTrips[size] = Math.max(...counts);
        statements[size] = Math.max(...logged);
        if (new Set(counts).size !== 1)
          throw new Error(`round trips vary for batches of ${size}: ${counts.join(", ")}`);
      }

      // Throughput: `concurrency` batches of 100 in flight for `seconds`.
      const timingsFrom = log.timings.length;
      const cpu = await cpuMeter();
      const stopProfile = process.env.BENCH_PROFILE ? await startProfiles(9329) : null;
      const cpuBefore = await cpu();
      const bytesBefore = bridge.bytes;
      const measured = await throughput(worker, make, seconds, concurrency);
      const { batches, latencies } = measured;
      const persisted = measured.captures;
      const elapsed = measured.elapsed;
      const cpuAfter = await cpu();
      const bytesPerBatch = (bridge.bytes - bytesBefore) / batches;
      await stopProfile?.(batches);
      sent += persisted;
      const capturesPerSecond = persisted / elapsed;

      const check = new pg.Client({ connectionString: scratch.url });
      await check.connect();
      const counted = await check.query<{
        captures: number;
        relationships: number;
        jobs: number;
        outcomes: Record<string, number>;
      }>(
        `SELECT (SELECT count(*)::int FROM captures) AS captures,
                (SELECT count(*)::int FROM contact_brands) AS relationships,
                (SELECT count(*)::int FROM relay_jobs) AS jobs,
                (SELECT jsonb_object_agg(outcome, n) FROM (SELECT outcome, count(*)::int AS n FROM captures GROUP BY outcome) o) AS outcomes`,
      );
      await check.end();
      const totals = counted.rows[0];
      if (!totals || totals.captures !== sent) {
        throw new Error(`expected ${sent} captures in the database, found ${totals?.captures}`);
      }

      const floor = await copyFloor(scratch.url, Math.min(persisted, quick ? 20_000 : 100_000));
      const floorCount = floor.rows / 12;
      await mf.dispose();
      mf = null;
      const kvWritesPer100 = median(log.published.slice(timingsFrom));

      // The same consumer and database with the knowledge index in an in-memory stand-in: every
      // put the consumer makes is still made and awaited, but not through Miniflare's KV, which
      // serialises all writes of a namespace through one local Durable Object (a ceiling Cloudflare's
      // KV does not have for distinct keys): what our code and Postgres reach without that ceiling.
      const standInTimingsFrom = log.timings.length;
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        handleRuntimeStdio: stdio(log),
        workers: [
          {
            ...consumerWorker,
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
      await mf.ready;
      const standInWorker = await mf.getWorker("consumer");
      await throughput(standInWorker, make, 1, concurrency).then((warm) => {
        sent += warm.captures;
      });
      const standInCpu = await cpuMeter();
      const standInCpuBefore = await standInCpu();
      const standIn = await throughput(standInWorker, make, seconds, concurrency);
      const standInCpuAfter = await standInCpu();
      sent += standIn.captures;
      await mf.dispose();
      mf = null;
      const recheck = new pg.Client({ connectionString: scratch.url });
      await recheck.connect();
      const recount = await recheck.query<{ captures: number }>(
        "SELECT count(*)::int AS captures FROM captures",
      );
      await recheck.end();
      if (recount.rows[0]?.captures !== sent) {
        throw new Error(`expected ${sent} captures in the database, found ${recount.rows[0]?.captures}`);
      }
      const standInPublished = median(log.published.slice(standInTimingsFrom));

      // Miniflare's queue dispatch and local KV alone, with this run's KV writes per batch.
      const queueFloor = await simulatorFloor(
        path.join(kvRoot, "floor-queue"),
        make,
        0,
        quick ? 4 : 10,
        concurrency,
      );
      const queueKvFloor = await simulatorFloor(
        path.join(kvRoot, "floor-queue-kv"),
        make,
        kvWritesPer100,
        quick ? 4 : 10,
        concurrency,
      );
      const copyCapturesPerSecond = floorCount / floor.seconds;
      const standInPerSecond = standIn.captures / standIn.elapsed;
      const standInPostgresMs =
        ((standInCpuAfter.postgres - standInCpuBefore.postgres) * 1000) / standIn.batches;
      // COPY's Postgres CPU for the rows of one batch of 100 captures.
      const copyPostgresMs = ((floor.postgresSeconds * 1000) / floorCount) * batchSize;
      latencies.sort((a, b) => a - b);
      const p = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
      const equal = roundTrips[1] === roundTrips[10] && roundTrips[10] === roundTrips[100];
      const phases = log.timings.slice(timingsFrom, standInTimingsFrom);
      const statement = (index: number) => median(phases.map((t) => t.statements[index] ?? Number.NaN));
      const database = median(phases.map((t) => t.connect + t.statements.reduce((sum, ms) => sum + ms, 0)));
      return {
        name: this.name,
        metrics: {
          duration_s: round(elapsed),
          concurrent_batches: concurrency,
          batch_size: batchSize,
          mix: `new ~${Math.round((1 - mix.duplicate - mix.invalid - mix.bot) * 100)}%, duplicate/invalid/bot ~5% each`,
          captures_persisted: persisted,
          captures_per_s: Math.round(capturesPerSecond),
          batch_p50_ms: round(p(0.5)),
          batch_p99_ms: round(p(0.99)),
          batches,
          outcomes: JSON.stringify(totals.outcomes),
          relay_jobs_created: totals.jobs,
          copy_rows: floor.rows,
          copy_rows_per_s: Math.round(floor.rows / floor.seconds),
          copy_captures_per_s: Math.round(copyCapturesPerSecond),
          pipeline_vs_copy_pct: round((capturesPerSecond / copyCapturesPerSecond) * 100),
          copy_cpu_postgres_ms_per_batch: round(copyPostgresMs),
          kv_stand_in_vs_copy_pct: round((standInPerSecond / copyCapturesPerSecond) * 100),
          kv_stand_in_postgres_cpu_vs_copy: round(standInPostgresMs / copyPostgresMs, 2),
          round_trips_batch_1: roundTrips[1] ?? Number.NaN,
          round_trips_batch_10: roundTrips[10] ?? Number.NaN,
          round_trips_batch_100: roundTrips[100] ?? Number.NaN,
          statements_batch_1: statements[1] ?? Number.NaN,
          statements_batch_10: statements[10] ?? Number.NaN,
          statements_batch_100: statements[100] ?? Number.NaN,
          handler_failures_logged: log.failures.length,
          // Medians over the throughput phase's batches, from the handler's own log line.
          phase_connect_ms: median(phases.map((t) => t.connect)),
          phase_begin_ms: statement(0),
          phase_catalog_ms: statement(1),
          phase_identity_ms: statement(2),
          phase_write_ms: statement(3),
          phase_commit_ms: statement(4),
          phase_kv_publish_ms: median(phases.map((t) => t.publish)),
          phase_relay_enqueue_ms: median(phases.map((t) => t.enqueue)),
          phase_total_ms: median(phases.map((t) => t.total)),
          database_share_pct: round((database / median(phases.map((t) => t.total))) * 100),
          // CPU per batch of 100 during the throughput phase, per process (the machine has 2 cores).
          wire_kib_sent_per_batch: round(bytesPerBatch / 1024),
          kv_writes_per_batch: kvWritesPer100,
          kv_stand_in_captures_per_s: Math.round(standInPerSecond),
          kv_stand_in_kv_writes_per_batch: standInPublished,
          kv_stand_in_cpu_workerd_ms_per_batch: round(
            ((standInCpuAfter.workerd - standInCpuBefore.workerd) * 1000) / standIn.batches,
          ),
          kv_stand_in_cpu_node_ms_per_batch: round(
            ((standInCpuAfter.node - standInCpuBefore.node) * 1000) / standIn.batches,
          ),
          kv_stand_in_cpu_postgres_ms_per_batch: round(standInPostgresMs),
          kv_stand_in_cpu_other_processes_pct_of_2_cores: round(
            ((standInCpuAfter.machine -
              standInCpuBefore.machine -
              (standInCpuAfter.workerd -
                standInCpuBefore.workerd +
                standInCpuAfter.node -
                standInCpuBefore.node +
                standInCpuAfter.postgres -
                standInCpuBefore.postgres)) /
              (standIn.elapsed * 2)) *
              100,
          ),
          simulator_floor_queue_only_captures_per_s: Math.round(queueFloor.capturesPerSecond),
          simulator_floor_queue_only_workerd_ms_per_batch: round(queueFloor.workerdMsPerBatch),
          simulator_floor_queue_and_kv_captures_per_s: Math.round(queueKvFloor.capturesPerSecond),
          simulator_floor_queue_and_kv_workerd_ms_per_batch: round(queueKvFloor.workerdMsPerBatch),
          simulator_floor_queue_and_kv_workerd_cores: round(queueKvFloor.workerdCores, 2),
          workerd_cores: round((cpuAfter.workerd - cpuBefore.workerd) / elapsed, 2),
          cpu_workerd_ms_per_batch: round(((cpuAfter.workerd - cpuBefore.workerd) * 1000) / batches),
          cpu_node_ms_per_batch: round(((cpuAfter.node - cpuBefore.node) * 1000) / batches),
          cpu_postgres_ms_per_batch: round(((cpuAfter.postgres - cpuBefore.postgres) * 1000) / batches),
          cpu_other_processes_pct_of_2_cores: round(
            ((cpuAfter.machine -
              cpuBefore.machine -
              (cpuAfter.workerd -
                cpuBefore.workerd +
                cpuAfter.node -
                cpuBefore.node +
                cpuAfter.postgres -
                cpuBefore.postgres)) /
              (elapsed * 2)) *
              100,
          ),
          cpu_bench_processes_pct_of_2_cores: round(
            ((cpuAfter.workerd -
              cpuBefore.workerd +
              cpuAfter.node -
              cpuBefore.node +
              cpuAfter.postgres -
              cpuBefore.postgres) /
              (elapsed * 2)) *
              100,
          ),
        },
        targets: [
          {
            name: "≥ 5,000 captures/s through the ten stages",
            met: capturesPerSecond >= target,
            detail: `${Math.round(capturesPerSecond)} captures/s (${concurrency} batches of ${batchSize} in flight, ${round(elapsed)} s); COPY floor ${Math.round(copyCapturesPerSecond)} captures/s (${Math.round(floor.rows / floor.seconds)} rows/s); Miniflare's queue dispatch plus ${kvWritesPer100} local KV writes per batch alone, no stages: ${Math.round(queueKvFloor.capturesPerSecond)} captures/s (queue dispatch alone ${Math.round(queueFloor.capturesPerSecond)}); with an in-memory KV stand-in (same puts) ${Math.round(standIn.captures / standIn.elapsed)} captures/s`,
          },
          {
            name: "≥ 50% of COPY of the same rows (in-memory KV stand-in)",
            met: standInPerSecond >= copyCapturesPerSecond / 2,
            detail: `${Math.round(standInPerSecond)} captures/s through the ten stages with the KV stand-in, COPY of the same ${Math.round(floor.rows / floorCount)} rows per capture ${Math.round(copyCapturesPerSecond)} captures/s in the same run: ${round((standInPerSecond / copyCapturesPerSecond) * 100)}%`,
          },
          {
            name: "Postgres CPU per capture ≤ 2× COPY's",
            met: standInPostgresMs <= 2 * copyPostgresMs,
            detail: `${round(standInPostgresMs)} ms of Postgres CPU per batch of ${batchSize} through the stages (KV stand-in), ${round(copyPostgresMs)} ms for COPY of the same rows: ${round(standInPostgresMs / copyPostgresMs, 2)}×`,
          },
          {
            name: "round trips per batch do not grow with batch size",
            met: equal,
            detail: `wire round trips for batches of 1 / 10 / 100: ${roundTrips[1]} / ${roundTrips[10]} / ${roundTrips[100]} (statements ${statements[1]} / ${statements[10]} / ${statements[100]}, connection start-up included in the wire count)`,
          },
        ],
      };
    } finally {
      await Promise.allSettled([mf?.dispose(), bridge?.close()]);
      await rm(outdir, { recursive: true, force: true });
      await rm(kvRoot, { recursive: true, force: true });
      await scratch.drop().catch(() => {});
      if (log.failures.length > 0) console.error(`consumer logged:\n${log.failures.join("\n")}`);
      if (process.env.BENCH_VERBOSE) console.error(`last batches:\n${log.samples.join("\n")}`);
    }
  },
};

export default consumerBench;

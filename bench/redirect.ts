import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon, { type Request as LoadRequest } from "autocannon";
import {
  Miniflare,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
  type WorkerOptions,
} from "miniflare";
import { sha256Hex } from "../domain/contacts/email.ts";
import { type KnowledgeEntry, type KnowledgeLevel, knowledgeKey } from "../domain/contacts/knowledge.ts";
import { hashIds } from "../domain/core/hash-ids.ts";
import {
  type LandingDoc,
  landingKey,
  type RuleDoc,
  type RulesDoc,
  rulesKey,
} from "../domain/routing/edge-config.ts";
import { seoulCf } from "../test/support/fixtures.ts";
import {
  benchAlphabet as alphabet,
  benchCpuSeconds,
  bundleWorker,
  compatibilityDate,
  percentile,
  root,
  stdioLines,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

/** A realistic `request.cf` (Miniflare would otherwise fetch one from the internet). */
const benchCf = { ...seoulCf, clientTcpRtt: 9, httpProtocol: "HTTP/2", tlsVersion: "TLSv1.3" };

/** Share of requests from a fresh email (a KV miss every time), the rest from seeded known emails. */
const freshEmailShare = 0.75;
const knownPerLevel = 100;
const saturatingConnections = 16;
/** Latency "at the Worker" is measured below saturation, where it is service time rather than queueing. */
const pacedRate = 250;
const pacedConnections = 8;
/**
 * Diagnostic binding: a capture queue producer that discards, evaluated inside the edge's own isolate.
 * Miniflare's queue broker is a Durable Object in the same workerd process, so locally every send costs
 * about as much CPU as a whole request; this variant shows how much of the gap to the floor that is.
 */
const discardingQueue = "export default function () { return { async send() {}, async sendBatch() {} }; }";
/**
 * Diagnostic floor: a Worker that reads what any capture must (the URL, the body's bytes, `request.cf`,
 * every header) and then only redirects. Between it and the bare floor is the runtime's cost of that
 * reading; between it and the edge's own work is the edge's code.
 */
const readingFloor = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const body = await request.arrayBuffer();
    const cf = request.cf;
    let headers = 0;
    for (const _ of request.headers) headers += 1;
    const read = body.byteLength + headers + url.search.length + (cf ? 1 : 0);
    return new Response(null, {
      status: 303,
      headers: { location: "https://floor.leadrail.test/?" + read, "cache-control": "no-store" },
    });
  },
};`;
/**
 * Diagnostic floor: less than any edge that follows the SPEC can do. It reads the request as the reading
 * floor does, hashes the submitted email (SHA-256, the knowledge key) and reads that key from KV unless
 * this isolate read it before (so, like the edge, only new emails reach KV), then redirects. No routing,
 * no rules, no checks, and no queue send (only with `SEND=1`, for the latency run, whose collector reads
 * the queue). Locally the KV read is Miniflare's simulator on workerd's thread, so this floor, not the bare
 * one, bounds what an edge can reach here.
 */
const kvFloor = `const read = new Map();
export default {
  async fetch(request, env, ctx) {
    const startedAt = performance.now();
    const receivedAt = new Date().toISOString();
    const url = new URL(request.url);
    const body = await request.text();
    const headers = {};
    for (const [name, value] of request.headers) headers[name] = value;
    const email = (new URLSearchParams(body).get("email") ?? "").trim().toLowerCase();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email)));
    let hex = "";
    for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
    let entry = read.get(hex);
    if (entry === undefined) {
      entry = await env.KNOWLEDGE.get("${knowledgeKey("")}" + hex, "json");
      read.set(hex, entry);
    }
    // The same span as the edge's edge.durationMs, and the fields the latency run's collector reads.
    const durationMs = performance.now() - startedAt;
    if (env.SEND === "1") {
      const message = { receivedAt, url: url.href, headers, body, cf: request.cf ?? null, edge: { durationMs } };
      ctx.waitUntil(env.CAPTURES_QUEUE.send(message, { contentType: "json" }));
    }
    return new Response(null, {
      status: 303,
      headers: { location: "https://floor.leadrail.test/?" + (entry === null ? "unknown" : "known"), "cache-control": "no-store" },
    });
  },
};`;
/**
 * Capture queue consumer of the in-Worker latency run: hands each message's `receivedAt` and
 * `edge.durationMs` (the edge's own measure from the start of the handler to the response) to the bench
 * process through a service binding, and acknowledges the batch.
 */
const durationCollector = `export default {
  async queue(batch, env) {
    const samples = batch.messages.map((message) => [message.body?.receivedAt ?? null, message.body?.edge?.durationMs ?? null]);
    await env.SINK.fetch("http://sink/", { method: "POST", body: JSON.stringify(samples) });
    batch.ackAll();
  },
};`;
/**
 * What workerd's clock does to `edge.durationMs`, measured with workerd 1.20260730 under Miniflare:
 * `performance.now()` equals `Date.now()` there (time origin 0) and advances during synchronous work as
 * well as across I/O, in whole milliseconds. A duration of d ms is the difference of two floored
 * timestamps, so the true time lies strictly between d − 1 and d + 1 ms. Deployed on Cloudflare both
 * clocks advance only when I/O happens, so there the same field stops at the last I/O (the KV reads and
 * the body) and leaves out the CPU work after it. The span runs from the start of `captureLanding` to just
 * before its Response is built: routing before it and the `waitUntil` queue send after it are outside, but
 * waiting for workerd's thread (shared with Miniflare's KV and queue simulators and the collector) is inside.
 * Printed in short beside the numbers.
 */
const workerClockNote =
  "workerd local clock: 1 ms steps, advances in sync work and across I/O; d ms = (d−1, d+1) ms";

interface LoadResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  /** autocannon's p99 corrected for coordinated omission (whole milliseconds); only for paced runs. */
  p99Corrected: number | null;
  statusCounts: Record<string, number>;
  errors: number;
  /** workerd CPU time per answered request, in microseconds; `null` where it cannot be read. */
  cpuMicros: number | null;
}

/**
 * workerd CPU seconds so far of the Workers this benchmark started (see {@link benchCpuSeconds}). Only the
 * Worker under load is busy at a time, so a difference is that Worker's CPU: a per-request cost that other
 * work on a shared machine does not distort the way it distorts throughput.
 */
const workerdCpuSeconds = (): number | null => benchCpuSeconds()?.workerd ?? null;

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const cpu = (result: LoadResult): number | string =>
  result.cpuMicros === null ? "n/a" : Math.round(result.cpuMicros);

async function load(
  url: string,
  request: LoadRequest,
  options: { duration: number; connections: number; rate?: number },
): Promise<LoadResult> {
  const samples: number[] = [];
  const statusCounts: Record<string, number> = {};
  const cpuBefore = workerdCpuSeconds();
  const instance = autocannon({
    url,
    connections: options.connections,
    duration: options.duration,
    overallRate: options.rate,
    timeout: 5,
    requests: [request],
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    samples.push(responseTime);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  const cpuAfter = workerdCpuSeconds();
  const sorted = Float64Array.from(samples).sort();
  return {
    rps: samples.length / result.duration,
    requests: samples.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    p99Corrected: options.rate ? result.latency.p99 : null,
    statusCounts,
    errors: result.errors + result.timeouts,
    cpuMicros:
      cpuBefore === null || cpuAfter === null || samples.length === 0
        ? null
        : ((cpuAfter - cpuBefore) * 1e6) / samples.length,
  };
}

interface LogCounter {
  enqueueFailures: number;
  /** workerd's warnings about one request using another's promises or I/O objects. */
  crossRequest: number;
  errors: string[];
}

const newLogCounter = (): LogCounter => ({ enqueueFailures: 0, crossRequest: 0, errors: [] });

/**
 * workerd's words when a request awaits a promise another request settled after ending, or touches
 * another request's I/O object; the capture outbox is built so that neither happens.
 */
const crossRequestWarning = /different request|Cannot perform I\/O on behalf of/;

/** Counts the lines the Worker logs for a failed queue send, and cross-request warnings; the benchmark reports them. */
function stdioCounter(counter: LogCounter) {
  return stdioLines((line) => {
    if (line.includes("capture.enqueue_failed")) counter.enqueueFailures += 1;
    else if (crossRequestWarning.test(line)) {
      counter.crossRequest += 1;
      if (counter.errors.length < 5) counter.errors.push(line.slice(0, 300));
    } else if (line.includes('"event"') && counter.errors.length < 5) counter.errors.push(line.slice(0, 300));
  });
}

interface Fixture {
  landingRef: string;
  knownEmails: Record<Exclude<KnowledgeLevel, "unknown">, string[]>;
  targets: Record<KnowledgeLevel, string>;
  ruleCount: number;
}

async function seed(edge: Miniflare): Promise<Fixture> {
  const codec = hashIds(alphabet);
  const landing: LandingDoc = {
    v: 1,
    id: 501,
    brandId: 11,
    themeId: 21,
    partnerId: 31,
    productId: 41,
    fallbackUrl: "https://fallback.bench.test/",
    active: true,
    clickIdParam: "clickid",
    transactionIdParam: "txid",
  };
  const levels: KnowledgeLevel[] = ["unknown", "known", "known_active", "known_active_same_brand"];
  const targets = Object.fromEntries(
    levels.map((level) => [
      level,
      `https://offers.bench.test/${level}?e={email_hash}&c={click_id}&id={capture_id}&s={utm_source}&m={utm_medium}`,
    ]),
  ) as Record<KnowledgeLevel, string>;
  const rules: RuleDoc[] = [];
  let ruleId = 1;
  // Rules of other brands, themes and partners: the matcher has to look past them.
  for (let brand = 100; brand < 110; brand += 1) {
    for (const knowledge of levels) {
      rules.push({
        id: ruleId++,
        brandId: brand,
        themeId: null,
        partnerId: brand % 2 === 0 ? 31 : null,
        productId: null,
        knowledge,
        priority: 0,
        targetUrl: `https://other.bench.test/${brand}/${knowledge}?e={email_hash}`,
      });
    }
  }
  for (const knowledge of levels) {
    rules.push({
      id: ruleId++,
      brandId: landing.brandId,
      themeId: landing.themeId,
      partnerId: null,
      productId: null,
      knowledge,
      priority: 10,
      targetUrl: targets[knowledge],
    });
  }
  rules.push({
    id: ruleId++,
    brandId: null,
    themeId: null,
    partnerId: null,
    productId: null,
    knowledge: "any",
    priority: 0,
    targetUrl: "https://generic.bench.test/?id={capture_id}",
  });
  const config = await edge.getKVNamespace("EDGE_CONFIG");
  const rulesDoc: RulesDoc = { v: 1, publishedAt: new Date().toISOString(), rules };
  await config.put(landingKey(landing.id), JSON.stringify(landing));
  await config.put(rulesKey, JSON.stringify(rulesDoc));

  const knowledge = await edge.getKVNamespace("KNOWLEDGE");
  const activeBrands: Record<Exclude<KnowledgeLevel, "unknown">, number[]> = {
    known: [],
    known_active: [105],
    known_active_same_brand: [105, landing.brandId],
  };
  const knownEmails = { known: [], known_active: [], known_active_same_brand: [] } as Fixture["knownEmails"];
  for (const level of Object.keys(activeBrands) as (keyof typeof activeBrands)[]) {
    for (let i = 0; i < knownPerLevel; i += 1) {
      const email = `bench-${level}-${i}@example.com`;
      knownEmails[level].push(email);
      const entry: KnowledgeEntry = { v: 1, activeBrands: activeBrands[level], at: new Date().toISOString() };
      await knowledge.put(knowledgeKey(sha256Hex(email)), JSON.stringify(entry));
    }
  }
  return { landingRef: codec.encode("landing", landing.id), knownEmails, targets, ruleCount: rules.length };
}

const landingQuery = "utm_source=bench&utm_medium=cpc&utm_campaign=spring";

function formBody(email: string, clickId: number): string {
  return `email=${encodeURIComponent(email)}&name=Bench+Visitor&phone=01012345678&clickid=c${clickId}&txid=t${clickId}`;
}

/** The same request stream for the edge and the floor: a landing form POST, mostly from new visitors. */
function landingRequest(fixture: Fixture, freshShare: number): LoadRequest {
  const known = [
    ...fixture.knownEmails.known,
    ...fixture.knownEmails.known_active,
    ...fixture.knownEmails.known_active_same_brand,
  ];
  let sequence = 0;
  return {
    method: "POST",
    path: `/l/${fixture.landingRef}?${landingQuery}`,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "user-agent":
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "accept-language": "ko-KR,ko;q=0.9,en-US;q=0.8",
    },
    setupRequest: (request) => {
      sequence += 1;
      const email =
        Math.random() < freshShare
          ? `visitor-${sequence}-${Math.random().toString(36).slice(2)}@example.com`
          : (known[sequence % known.length] ?? "");
      return { ...request, body: formBody(email, sequence) };
    },
  };
}

/** Checks the edge routes each knowledge level to its rule; returns how many requests that took. */
async function verify(edgeUrl: string, fixture: Fixture): Promise<number> {
  const cases: [KnowledgeLevel, string][] = [
    ["unknown", `verify-${Date.now()}@example.com`],
    ["known", fixture.knownEmails.known[0] ?? ""],
    ["known_active", fixture.knownEmails.known_active[0] ?? ""],
    ["known_active_same_brand", fixture.knownEmails.known_active_same_brand[0] ?? ""],
  ];
  for (const [level, email] of cases) {
    const response = await fetch(`${edgeUrl}l/${fixture.landingRef}?${landingQuery}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: formBody(email, 7),
      redirect: "manual",
    });
    const captureId = response.headers.get("x-capture-id") ?? "";
    const expected = fixture.targets[level]
      .replace("{email_hash}", sha256Hex(email))
      .replace("{click_id}", "c7")
      .replace("{capture_id}", captureId)
      .replace("{utm_source}", "bench")
      .replace("{utm_medium}", "cpc");
    const location = response.headers.get("location");
    if (response.status !== 303 || location !== expected) {
      throw new Error(`edge check failed for ${level}: ${response.status} ${location ?? "(no location)"}`);
    }
  }
  return cases.length;
}

interface WorkerSamples {
  /** `[receivedAt as Unix ms, durationMs]` of every capture the collector has forwarded so far. */
  received: [number, number][];
  malformed: number;
}

/** The Node end of the collector's `SINK` service binding. */
function durationSink(samples: WorkerSamples) {
  return async (request: MiniflareRequest): Promise<MiniflareResponse> => {
    const batch: unknown = await request.json();
    for (const item of Array.isArray(batch) ? batch : []) {
      const [receivedAt, durationMs] = Array.isArray(item) ? item : [];
      const at = typeof receivedAt === "string" ? Date.parse(receivedAt) : Number.NaN;
      if (typeof durationMs === "number" && Number.isFinite(at)) samples.received.push([at, durationMs]);
      else samples.malformed += 1;
    }
    return new MiniflareResponse(null, { status: 204 });
  };
}

/** Waits until `count()` reaches `target` (the queue has delivered that much), or `timeoutMs` passes. */
async function awaitSamples(count: () => number, target: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface LatencyRun {
  /** `edge.durationMs` of every message of the paced run, sorted. */
  durations: Float64Array;
  paced: LoadResult;
  /** At least one sample per answered request (a few more for requests in flight when the run stopped). */
  complete: boolean;
  malformed: number;
}

/**
 * Runs `worker` (named "edge") beside a consumer of its capture queue that forwards each message's
 * `receivedAt` and `edge.durationMs`, warms it, and measures a paced run. The consumer shares the cores
 * with the Worker, so the run's load-generator figures are its own. `check` (the routing check) makes
 * requests of its own before the warm-up and returns how many.
 */
async function workerLatency(
  worker: WorkerOptions,
  request: LoadRequest,
  seconds: number,
  logs: LogCounter,
  check: ((url: string) => Promise<number>) | null,
): Promise<LatencyRun> {
  const samples: WorkerSamples = { received: [], malformed: 0 };
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: benchCf,
    handleRuntimeStdio: stdioCounter(logs),
    workers: [
      { ...worker, name: "edge" },
      {
        name: "duration-collector",
        modules: true,
        script: durationCollector,
        compatibilityDate,
        queueConsumers: { "leadrail-captures": { maxBatchSize: 100, maxBatchTimeout: 1 } },
        serviceBindings: { SINK: durationSink(samples) },
      },
    ],
  });
  try {
    const url = (await mf.ready).href;
    await seed(mf);
    const checked = check ? await check(url) : 0;
    const warm = await load(url, request, { duration: 1, connections: saturatingConnections });
    // Let the warm-up's messages drain so their consumption does not overlap the measured run.
    await awaitSamples(() => samples.received.length, checked + warm.requests, 15_000);
    const pacedFrom = Date.now();
    const paced = await load(url, request, {
      duration: seconds,
      connections: pacedConnections,
      rate: pacedRate,
    });
    const inRun = () => samples.received.filter(([at]) => at >= pacedFrom).length;
    await awaitSamples(inRun, paced.requests, 15_000);
    const durations = Float64Array.from(
      samples.received.filter(([at]) => at >= pacedFrom).map(([, durationMs]) => durationMs),
    ).sort();
    // The Worker also answers the few requests still in flight when autocannon stops (which it does not
    // count), so there can be up to pacedConnections more samples than counted requests, never fewer.
    return { durations, paced, complete: durations.length >= paced.requests, malformed: samples.malformed };
  } finally {
    await mf.dispose();
  }
}

const redirectBench: Bench = {
  name: "redirect: POST /l/:landing vs a bare redirect Worker",
  async run({ quick }): Promise<BenchResult> {
    const duration = quick ? 5 : 15;
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-redirect-"));
    const logs = newLogCounter();
    let floor: Miniflare | null = null;
    let edge: Miniflare | null = null;
    let discarding: Miniflare | null = null;
    let reading: Miniflare | null = null;
    let kvFloorMf: Miniflare | null = null;
    const collectLogs = newLogCounter();
    const discardingLogs = newLogCounter();
    try {
      const [edgeScript, floorScript] = await Promise.all([
        bundleWorker(path.join(outdir, "edge"), path.join(root, "wrangler.toml")),
        bundleWorker(path.join(outdir, "floor"), path.join(root, "bench/floor/wrangler.floor.toml")),
      ]);
      const common = {
        host: "127.0.0.1",
        port: 0,
        modules: true,
        compatibilityDate,
        compatibilityFlags: ["nodejs_compat"],
        cf: benchCf,
      };
      const edgeWorker = {
        scriptPath: edgeScript,
        modulesRoot: path.dirname(edgeScript),
        modules: true,
        compatibilityDate,
        compatibilityFlags: ["nodejs_compat"],
        kvNamespaces: ["EDGE_CONFIG", "KNOWLEDGE"],
        bindings: {
          SQIDS_ALPHABET: alphabet,
          GLOBAL_FALLBACK_URL: "https://global-fallback.bench.test/",
          EDGE_CACHE_TTL_MS: "5000",
          DATABASE_URL: "",
          DB_WS_PROXY: "",
        },
      };
      floor = new Miniflare({ ...common, scriptPath: floorScript, modulesRoot: path.dirname(floorScript) });
      reading = new Miniflare({ ...common, script: readingFloor });
      kvFloorMf = new Miniflare({
        ...common,
        script: kvFloor,
        kvNamespaces: ["EDGE_CONFIG", "KNOWLEDGE"],
        bindings: { SEND: "0" },
      });
      edge = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        cf: benchCf,
        handleRuntimeStdio: stdioCounter(logs),
        // Producers only: no consumer runs while the edge is measured.
        ...edgeWorker,
        queueProducers: { CAPTURES_QUEUE: "leadrail-captures", RELAYS_QUEUE: "leadrail-relays" },
      });
      discarding = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        cf: benchCf,
        handleRuntimeStdio: stdioCounter(discardingLogs),
        workers: [
          {
            ...edgeWorker,
            name: "edge",
            queueProducers: { RELAYS_QUEUE: "leadrail-relays" },
            wrappedBindings: { CAPTURES_QUEUE: { scriptName: "discarding-queue" } },
          },
          { name: "discarding-queue", modules: true, script: discardingQueue },
        ],
      });
      const [floorUrl, edgeUrl, discardingUrl, readingUrl, kvFloorUrl] = await Promise.all([
        floor.ready,
        edge.ready,
        discarding.ready,
        reading.ready,
        kvFloorMf.ready,
      ]);
      const fixture = await seed(edge);
      await seed(discarding);
      // The same known emails, so the floor's KV reads hit and miss as the edge's do.
      await seed(kvFloorMf);
      await verify(edgeUrl.href, fixture);
      await verify(discardingUrl.href, fixture);
      const request = landingRequest(fixture, freshEmailShare);
      // Diagnostic mix: only returning visitors, whose knowledge the isolate has cached after the warm-up.
      const returning = landingRequest(fixture, 0);

      // Warm each (JIT, caches), then measure each at saturation and at a fixed rate, one after another.
      const saturated = { duration, connections: saturatingConnections };
      const paced = { duration, connections: pacedConnections, rate: pacedRate };
      for (const url of [floorUrl, edgeUrl, discardingUrl, readingUrl, kvFloorUrl]) {
        await load(url.href, request, { duration: 1, connections: saturatingConnections });
      }
      await load(discardingUrl.href, returning, { duration: 1, connections: saturatingConnections });
      const loadBefore = os.loadavg()[0] ?? 0;
      const floorMax = await load(floorUrl.href, request, saturated);
      const edgeMax = await load(edgeUrl.href, request, saturated);
      const discardingMax = await load(discardingUrl.href, request, saturated);
      const ownWorkMax = await load(discardingUrl.href, returning, saturated);
      const readingMax = await load(readingUrl.href, request, saturated);
      const kvFloorMax = await load(kvFloorUrl.href, request, saturated);
      const floorPaced = await load(floorUrl.href, request, paced);
      const edgePaced = await load(edgeUrl.href, request, paced);
      await Promise.allSettled([
        floor.dispose(),
        edge.dispose(),
        discarding.dispose(),
        reading.dispose(),
        kvFloorMf.dispose(),
      ]);
      floor = edge = discarding = reading = kvFloorMf = null;

      // Latency at the Worker: fresh instances with a consumer on the capture queue, started only now so
      // that no consumer runs during the runs above; the edge first, then the KV floor.
      const edgeLatency = await workerLatency(
        {
          ...edgeWorker,
          queueProducers: { CAPTURES_QUEUE: "leadrail-captures", RELAYS_QUEUE: "leadrail-relays" },
        },
        request,
        duration,
        collectLogs,
        (url) => verify(url, fixture),
      );
      const floorLatency = await workerLatency(
        {
          modules: true,
          script: kvFloor,
          compatibilityDate,
          compatibilityFlags: ["nodejs_compat"],
          kvNamespaces: ["EDGE_CONFIG", "KNOWLEDGE"],
          bindings: { SEND: "1" },
          queueProducers: { CAPTURES_QUEUE: "leadrail-captures" },
        },
        request,
        duration,
        collectLogs,
        null,
      );
      const workerDurations = edgeLatency.durations;
      const collectPaced = edgeLatency.paced;
      const workerP99 = percentile(workerDurations, 99);
      const workerComplete = edgeLatency.complete;

      const redirects = (result: LoadResult): number =>
        (result.statusCounts["302"] ?? 0) + (result.statusCounts["303"] ?? 0);
      const edgeUnexpected =
        edgeMax.requests + edgePaced.requests - redirects(edgeMax) - redirects(edgePaced);
      const ratio = edgeMax.rps / floorMax.rps;
      const collectUnexpected = collectPaced.requests - redirects(collectPaced);
      return {
        name: this.name,
        metrics: {
          duration_s_each: duration,
          // Other work on the machine skews both sides; the 1-minute load average before and after says how much.
          load_average_before: round(loadBefore, 2),
          load_average_after: round(os.loadavg()[0] ?? 0, 2),
          compatibility_date: compatibilityDate,
          connections_saturated: saturatingConnections,
          paced_rate_rps: pacedRate,
          rules_published: fixture.ruleCount,
          fresh_email_share: freshEmailShare,
          floor_throughput_rps: Math.round(floorMax.rps),
          edge_throughput_rps: Math.round(edgeMax.rps),
          edge_vs_floor_pct: round(ratio * 100, 1),
          floor_loadgen_p50_ms: round(floorMax.p50),
          floor_loadgen_p99_ms: round(floorMax.p99),
          edge_queue_discarded_throughput_rps: Math.round(discardingMax.rps),
          edge_queue_discarded_vs_floor_pct: round((discardingMax.rps / floorMax.rps) * 100, 1),
          edge_own_work_throughput_rps: Math.round(ownWorkMax.rps),
          edge_own_work_vs_floor_pct: round((ownWorkMax.rps / floorMax.rps) * 100, 1),
          // The floor that also reads the URL, body, request.cf and headers (see readingFloor).
          reading_floor_throughput_rps: Math.round(readingMax.rps),
          reading_floor_vs_floor_pct: round((readingMax.rps / floorMax.rps) * 100, 1),
          // The floor that also reads new emails' knowledge keys from KV, as the SPEC requires (see kvFloor).
          kv_floor_throughput_rps: Math.round(kvFloorMax.rps),
          kv_floor_vs_floor_pct: round((kvFloorMax.rps / floorMax.rps) * 100, 1),
          edge_vs_kv_floor_pct: round((edgeMax.rps / kvFloorMax.rps) * 100, 1),
          floor_cpu_us_per_request: cpu(floorMax),
          reading_floor_cpu_us_per_request: cpu(readingMax),
          kv_floor_cpu_us_per_request: cpu(kvFloorMax),
          edge_cpu_us_per_request: cpu(edgeMax),
          edge_queue_discarded_cpu_us_per_request: cpu(discardingMax),
          edge_own_work_cpu_us_per_request: cpu(ownWorkMax),
          // Latency at the load generator: over loopback, including autocannon's own CPU on the same cores.
          edge_loadgen_p50_ms: round(edgeMax.p50),
          edge_loadgen_p99_ms: round(edgeMax.p99),
          edge_loadgen_max_ms: round(edgeMax.max),
          floor_paced_loadgen_p50_ms: round(floorPaced.p50),
          floor_paced_loadgen_p99_ms: round(floorPaced.p99),
          edge_paced_loadgen_p50_ms: round(edgePaced.p50),
          edge_paced_loadgen_p99_ms: round(edgePaced.p99),
          edge_paced_loadgen_max_ms: round(edgePaced.max),
          edge_paced_loadgen_p99_co_corrected_ms: edgePaced.p99Corrected ?? "n/a",
          edge_requests: edgeMax.requests + edgePaced.requests,
          edge_non_redirects: edgeUnexpected,
          edge_errors: edgeMax.errors + edgePaced.errors,
          edge_enqueue_failures: logs.enqueueFailures,
          // workerd warnings of a request using another's promise or I/O object, over all four instances.
          cross_request_warnings: logs.crossRequest + discardingLogs.crossRequest + collectLogs.crossRequest,
          // Latency at the Worker: edge.durationMs of every capture of a separate paced run with a consumer.
          worker_clock: workerClockNote,
          worker_run_requests: collectPaced.requests,
          worker_run_non_redirects: collectUnexpected,
          worker_run_enqueue_failures: collectLogs.enqueueFailures,
          worker_samples: workerDurations.length,
          worker_samples_malformed: edgeLatency.malformed,
          worker_p50_ms: round(percentile(workerDurations, 50)),
          worker_p99_ms: round(workerP99),
          worker_p999_ms: round(percentile(workerDurations, 99.9)),
          worker_max_ms: round(workerDurations[workerDurations.length - 1] ?? Number.NaN),
          worker_mean_ms: round(
            workerDurations.reduce((sum, value) => sum + value, 0) / workerDurations.length,
          ),
          worker_run_loadgen_p50_ms: round(collectPaced.p50),
          worker_run_loadgen_p99_ms: round(collectPaced.p99),
          // The same span in the KV floor (read, hash, KV read of new emails), paced the same, sending too.
          kv_floor_worker_samples: floorLatency.durations.length,
          kv_floor_worker_p50_ms: round(percentile(floorLatency.durations, 50)),
          kv_floor_worker_p99_ms: round(percentile(floorLatency.durations, 99)),
          kv_floor_worker_p999_ms: round(percentile(floorLatency.durations, 99.9)),
        },
        targets: [
          {
            name: "edge throughput ≥ 80% of the floor",
            met: ratio >= 0.8 && edgeUnexpected === 0,
            detail: `${Math.round(edgeMax.rps)} vs ${Math.round(floorMax.rps)} req/s (${round(ratio * 100, 1)}%), ${saturatingConnections} connections, sending to Miniflare's in-process queue broker; with a discarding producer ${Math.round(discardingMax.rps)} req/s (${round((discardingMax.rps / floorMax.rps) * 100, 1)}%), and with knowledge also cached (the edge's own work) ${Math.round(ownWorkMax.rps)} req/s (${round((ownWorkMax.rps / floorMax.rps) * 100, 1)}%); a Worker that only reads the request and the new emails' knowledge keys from KV ${Math.round(kvFloorMax.rps)} req/s (${round((kvFloorMax.rps / floorMax.rps) * 100, 1)}%)${edgeUnexpected > 0 ? `, ${edgeUnexpected} non-redirect answers` : ""}`,
          },
          {
            name: "edge p99 < 5 ms at the Worker",
            met: workerComplete && workerP99 < 5 && collectUnexpected === 0,
            detail: `edge.durationMs p99 ${round(workerP99)} ms (p50 ${round(percentile(workerDurations, 50))}, max ${round(workerDurations[workerDurations.length - 1] ?? Number.NaN)}) over ${workerDurations.length} captures (${collectPaced.requests} answered within the run) at ${pacedRate} req/s${workerComplete ? "" : " (samples missing: not met)"}; the KV floor p99 ${round(percentile(floorLatency.durations, 99))} ms (p50 ${round(percentile(floorLatency.durations, 50))}); clock: 1 ms steps, see worker_clock`,
          },
        ],
      };
    } finally {
      await Promise.allSettled([
        floor?.dispose(),
        reading?.dispose(),
        kvFloorMf?.dispose(),
        edge?.dispose(),
        discarding?.dispose(),
      ]);
      await rm(outdir, { recursive: true, force: true });
      const logged = [...logs.errors, ...discardingLogs.errors, ...collectLogs.errors];
      if (logged.length > 0) console.error(`edge logged:\n${logged.join("\n")}`);
    }
  },
};

export default redirectBench;

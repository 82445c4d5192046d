/**
 * Relays benchmark: relay jobs delivered per second through the real relay consumer (the Worker
 * bundle as `wrangler deploy` builds it, in workerd through Miniflare, invoked with `worker.queue(…)`
 * batches of 50 — the queue's max_batch_size — several in flight) to a local sink: a Node HTTP server
 * on loopback answering 200, standing in for the networks. Each batch sends at most `relayConcurrency`
 * (6) requests at once. Half the jobs are signed GET postbacks, half signed JSON POST postbacks. Round trips per
 * batch are counted on the wire (batches of 1 and 50), and afterwards the database and the sink must
 * agree: every job succeeded once, one attempt each, no request twice.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import pg from "pg";
import { relayConcurrency } from "../queues/relay/limits.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import {
  bundleWorker,
  type CountingBridge,
  deployedWorker,
  percentile,
  startCountingBridge,
  startProfiles,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const relaysQueue = "leadrail-relays";
const batchSize = 50;
/** Batches in flight at once (Cloudflare runs several consumer invocations of one queue concurrently). */
const batchesInFlight = Number(process.env.BENCH_RELAY_BATCHES ?? 4);
const target = 1000;

interface Sink {
  url: string;
  requests: number;
  /** Requests for a click id the sink had already seen: a job sent twice. */
  repeats: number;
  close(): Promise<void>;
}

/** A network's postback endpoint on loopback: answers 200 "ok" and counts what it gets. */
async function startSink(): Promise<Sink> {
  const seen = new Set<string>();
  const state = { requests: 0, repeats: 0 };
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      state.requests += 1;
      const click = /[?&]click=([^&]+)/.exec(request.url ?? "")?.[1] ?? "";
      if (seen.has(click)) state.repeats += 1;
      else seen.add(click);
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("ok");
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get repeats() {
      return state.repeats;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `count` pending postback jobs (each with its own capture, as stage 10 makes them) for two signed
 * partners, one GET and one JSON POST; returns their ids in order.
 */
async function seedJobs(url: string, sinkUrl: string, count: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const partners = await client.query<{ id: string }>(
      `INSERT INTO partners (name, slug, postback_url, postback_method, postback_content_type, signing_secret, postback_headers)
       VALUES ('Bench GET', 'bench-get', $1, 'get', 'json', 'bench-secret-get', '{"X-Network":"bench"}'),
              ('Bench POST', 'bench-post', $1, 'post', 'json', 'bench-secret-post', '{"Authorization":"Bearer bench-0123456789abcdef"}')
       RETURNING id`,
      [`${sinkUrl}/pb?click={click_id}&e={event}`],
    );
    const [get, post] = partners.rows.map((row) => Number(row.id));
    const jobs = await client.query<{ id: string }>(
      `WITH c AS (
         INSERT INTO captures (id, received_at, landing_ref, outcome)
         SELECT gen_random_uuid(), now(), 'bench', 'new' FROM generate_series(1, $1::int)
         RETURNING id
       ), numbered AS (SELECT id, row_number() OVER () AS n FROM c)
       INSERT INTO relay_jobs (capture_id, kind, event, partner_id, payload, next_attempt_at, created_at)
       SELECT id, 'postback', 'lead_accepted', CASE WHEN n % 2 = 0 THEN $2::bigint ELSE $3::bigint END,
         jsonb_build_object(
           'method', CASE WHEN n % 2 = 0 THEN 'get' ELSE 'post' END,
           'url', $4::text || '/pb?click=clk-' || n || '&e=lead_accepted',
           'macros', jsonb_build_object('click_id', 'clk-' || n, 'transaction_id', 'tx-' || n,
             'event', 'lead_accepted', 'capture_id', id::text, 'payout', '1500', 'currency', 'KRW')),
         now() - interval '1 minute', now() - interval '1 minute'
       FROM numbered
       RETURNING id`,
      [count, get, post, sinkUrl],
    );
    return jobs.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  } finally {
    await client.end();
  }
}

type Worker = Awaited<ReturnType<Miniflare["getWorker"]>>;

let messageSequence = 0;

/** One batch through the consumer; every message must be acked. */
async function sendBatch(worker: Worker, jobIds: readonly number[]): Promise<void> {
  const messages = jobIds.map((jobId) => {
    messageSequence += 1;
    return { id: `relay-${messageSequence}`, timestamp: new Date(), attempts: 1, body: { jobId } };
  });
  const result = await worker.queue(relaysQueue, messages);
  const acked = new Set(result.explicitAcks);
  if (result.retryMessages.length > 0 || messages.some((message) => !acked.has(message.id))) {
    throw new Error(
      `batch not fully acked: ${acked.size}/${messages.length}, ${result.retryMessages.length} retried`,
    );
  }
}

const bench: Bench = {
  name: "relays",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 20;
    const scratch = await createScratchDatabase(databaseUrl, "leadrail_bench_relays");
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-relays-"));
    let bridge: CountingBridge | undefined;
    let mf: Miniflare | undefined;
    let sink: Sink | undefined;
    try {
      const [script] = await Promise.all([bundleWorker(outdir), applyMigrations(scratch.url)]);
      sink = await startSink();
      // More jobs than the run can deliver at several times the target: the pool never runs dry.
      const pool = await seedJobs(scratch.url, sink.url, seconds * 4000 + 2000);
      bridge = await startCountingBridge(describeUrl(scratch.url));
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...deployedWorker(script, { url: scratch.url, bridgePort: bridge.port }),
        // One log line per batch: not what is measured here.
        handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
          stdout.resume();
          stderr.resume();
        },
        ...(process.env.BENCH_PROFILE ? { inspectorPort: 9333 } : {}),
      });
      await mf.ready;
      const worker = await mf.getWorker();
      let next = 0;
      const take = (size: number): number[] => {
        if (next + size > pool.length) throw new Error("the job pool ran dry");
        const ids = pool.slice(next, next + size);
        next += size;
        return ids;
      };

      // Warm up the isolate, the JIT, the connections and the database's caches.
      for (let i = 0; i < 4; i += 1) await sendBatch(worker, take(batchSize));

      // Round trips per batch, alone on the wire.
      const roundTrips: Record<number, number[]> = { 1: [], [batchSize]: [] };
      for (const size of [1, batchSize]) {
        for (let i = 0; i < 3; i += 1) {
          const before = bridge.roundTrips;
          await sendBatch(worker, take(size));
          roundTrips[size]?.push(bridge.roundTrips - before);
        }
      }
      const perBatch = (size: number) => Math.max(...(roundTrips[size] ?? [Number.NaN]));

      // Throughput: `batchesInFlight` batches of 50 at a time for `seconds`.
      const stopProfiles = process.env.BENCH_PROFILE ? await startProfiles(9333, "job") : null;
      const sinkBefore = sink.requests;
      const latencies: number[] = [];
      let delivered = 0;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: batchesInFlight }, async () => {
          while (performance.now() < deadline) {
            const ids = take(batchSize);
            const t0 = performance.now();
            await sendBatch(worker, ids);
            latencies.push(performance.now() - t0);
            delivered += ids.length;
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      await stopProfiles?.(delivered);
      const perSecond = delivered / elapsed;
      const sinkRequests = sink.requests - sinkBefore;

      // The database and the sink must agree with the acks.
      const check = new pg.Client({ connectionString: scratch.url });
      await check.connect();
      let counts:
        | { succeeded: number; other: number; attempts: number; jobs_with_attempts: number }
        | undefined;
      try {
        counts = (
          await check.query<{
            succeeded: number;
            other: number;
            attempts: number;
            jobs_with_attempts: number;
          }>(
            `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
                    count(*) FILTER (WHERE status NOT IN ('succeeded', 'pending'))::int AS other,
                    (SELECT count(*)::int FROM relay_attempts) AS attempts,
                    (SELECT count(DISTINCT job_id)::int FROM relay_attempts) AS jobs_with_attempts
             FROM relay_jobs`,
          )
        ).rows[0];
      } finally {
        await check.end();
      }
      const sorted = Float64Array.from(latencies).sort();
      const consistent =
        counts !== undefined &&
        counts.succeeded === next &&
        counts.other === 0 &&
        counts.attempts === next &&
        counts.jobs_with_attempts === next &&
        sink.requests === next &&
        sink.repeats === 0;

      return {
        name: "relays",
        metrics: {
          jobs_delivered_per_s: Math.round(perSecond),
          jobs_delivered: delivered,
          sink_requests: sinkRequests,
          batch_size: batchSize,
          batches_in_flight: batchesInFlight,
          requests_in_flight_per_batch: 10,
          batch_latency_p50_ms: Math.round(percentile(sorted, 50)),
          batch_latency_p99_ms: Math.round(percentile(sorted, 99)),
          round_trips_batch_1: perBatch(1),
          [`round_trips_batch_${batchSize}`]: perBatch(batchSize),
          jobs_succeeded_total: counts?.succeeded ?? "n/a",
          attempts_stored_total: counts?.attempts ?? "n/a",
          sink_requests_total: sink.requests,
          requests_sent_twice: sink.repeats,
          duration_s: seconds,
        },
        targets: [
          {
            name: `at least ${target} relay jobs delivered/s with bounded concurrency`,
            met: perSecond >= target && consistent,
            detail: `${Math.round(perSecond)} jobs/s over ${elapsed.toFixed(1)} s (batches of ${batchSize}, ${batchesInFlight} in flight, ≤ ${relayConcurrency} requests at once per batch, signed GET and JSON POST postbacks to a loopback sink); database: ${counts?.succeeded} succeeded, ${counts?.attempts} attempts for ${next} jobs sent; sink: ${sink.requests} requests, ${sink.repeats} repeats`,
          },
          {
            name: "round trips per batch do not grow with the batch",
            met: perBatch(1) === perBatch(batchSize),
            detail: `wire round trips per batch of 1 / ${batchSize}: ${perBatch(1)} / ${perBatch(batchSize)} (connection start-up, the claim, the finish)`,
          },
        ],
      };
    } finally {
      await mf?.dispose();
      await bridge?.close();
      await sink?.close();
      await rm(outdir, { recursive: true, force: true });
      await scratch.drop();
    }
  },
};

export default bench;

/**
 * Tracker benchmark: tracker events (page views and clicks from `/collect` beacons) stored per second
 * through the real events consumer (the Worker bundle as `wrangler deploy` builds it, in workerd through
 * Miniflare, invoked with `worker.queue(…)` batches of 100 messages, several in flight) into a scratch
 * database through the project's WebSocket bridge. Each message is what the edge enqueues for one beacon:
 * 1 to 5 events (3 on average), a third of the visitors naming a capture that exists, so the consumer's
 * capture and contact links are exercised. The brand has no GA4 settings: forwarding is outbound HTTP and
 * not measured here.
 *
 * Floor, same run and same events: the same rows written raw — one `INSERT … SELECT FROM
 * jsonb_to_recordset(…) ON CONFLICT DO NOTHING` per batch, the same batches in flight, from Node straight
 * to PostgreSQL (no Worker, no bridge, no linking).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import pg from "pg";
import { uuidv7 } from "../domain/core/uuid-v7.ts";
import type { TrackerMessage } from "../queues/events/tracker-message.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import {
  bundleWorker,
  type CountingBridge,
  deliverQueueBatch,
  deployedWorker,
  percentile,
  startCountingBridge,
  stdioLines,
  timedBatches,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const eventsQueue = "leadrail-events";
const target = 5000;
/** wrangler.toml's max_batch_size for the events queue, and batches in flight. */
const messagesPerBatch = 100;
const concurrency = 4;
const captureCount = 1000;

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** A brand and captures of it (with contacts) the beacons can name. */
async function seed(url: string): Promise<{ brandId: number; captureIds: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const brand = await client.query<{ id: string }>(
      "INSERT INTO brands (name, slug) VALUES ('Bench tracker', 'bench-tracker') RETURNING id",
    );
    const brandId = Number(brand.rows[0]?.id);
    const captureIds = Array.from({ length: captureCount }, () => uuidv7());
    await client.query(
      `WITH e AS (
         INSERT INTO emails (address, domain, md5, sha256)
         SELECT 'visitor.' || i || '@bench-tracker.kr', 'bench-tracker.kr', md5(i::text), encode(sha256(i::text::bytea), 'hex')
           FROM generate_series(1, $2::int) i
         RETURNING id
       ), c AS (
         INSERT INTO contacts (email_id) SELECT id FROM e RETURNING id
       ), numbered AS (
         SELECT id, row_number() OVER (ORDER BY id) AS n FROM c
       )
       INSERT INTO captures (id, received_at, landing_ref, brand_id, contact_id, outcome)
       SELECT ($3::uuid[])[n], now(), 'bench', $1, id, 'new' FROM numbered`,
      [brandId, captureCount, captureIds],
    );
    return { brandId, captureIds };
  } finally {
    await client.end();
  }
}

function messageFactory(brandId: number, captureIds: string[]) {
  let sequence = 0;
  return {
    messages(count: number): TrackerMessage[] {
      return Array.from({ length: count }, () => {
        sequence += 1;
        const n = sequence;
        const now = Date.now();
        const events = Array.from({ length: 1 + (n % 5) }, (_, index) => ({
          id: uuidv7(now - index),
          type: index === 0 ? ("page_view" as const) : ("click" as const),
          url: `https://shop.bench.test/products/${n % 500}?utm_source=naver`,
          referrer: index === 0 ? "https://search.naver.com/" : null,
          title: `Product ${n % 500} | Bench shop`,
          element:
            index === 0
              ? null
              : {
                  tag: "a",
                  href: `https://shop.bench.test/cart/add/${n % 500}`,
                  text: "장바구니 담기",
                  id: null,
                },
          occurredAt: new Date(now - index).toISOString(),
        }));
        return {
          type: "tracker",
          brandId,
          visitorId: `v${String(n % 20_000).padStart(12, "0")}`,
          sessionId: `s${String(n).padStart(12, "0")}`,
          captureId: n % 3 === 0 ? (captureIds[n % captureIds.length] ?? null) : null,
          linkToken: null,
          clickIds: n % 4 === 0 ? { gclid: `Cj0KCQ${n}` } : {},
          receivedAt: new Date(now).toISOString(),
          country: "KR",
          userAgent:
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
          bot: false,
          events,
        };
      });
    },
  };
}

const eventsOf = (bodies: TrackerMessage[]): number => bodies.reduce((sum, m) => sum + m.events.length, 0);

type Worker = Awaited<ReturnType<Miniflare["getWorker"]>>;
async function deliver(worker: Worker, bodies: TrackerMessage[]): Promise<number> {
  await deliverQueueBatch(worker, eventsQueue, bodies);
  return eventsOf(bodies);
}

/** The floor's statement: the same rows, raw, in one INSERT (new ids: the consumer's are stored already). */
const rawInsert = `INSERT INTO tracker_events (id, brand_id, visitor_id, session_id, type, url, referrer, title,
    element, capture_id, click_ids, country, user_agent, bot, occurred_at, received_at)
  SELECT id, brand_id, visitor_id, session_id, type, url, referrer, title, element, capture_id,
         click_ids, country, user_agent, bot, occurred_at, received_at
    FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, brand_id bigint, visitor_id text, session_id text, type text,
         url text, referrer text, title text, element jsonb, capture_id uuid, click_ids jsonb, country text,
         user_agent text, bot boolean, occurred_at timestamptz, received_at timestamptz)
  ON CONFLICT (id) DO NOTHING`;

const rawRows = (bodies: TrackerMessage[]) =>
  JSON.stringify(
    bodies.flatMap((m) =>
      m.events.map((event) => ({
        id: crypto.randomUUID(),
        brand_id: m.brandId,
        visitor_id: m.visitorId,
        session_id: m.sessionId,
        type: event.type,
        url: event.url,
        referrer: event.referrer,
        title: event.title,
        element: event.element,
        capture_id: m.captureId,
        click_ids: m.clickIds,
        country: m.country,
        user_agent: m.userAgent,
        bot: m.bot,
        occurred_at: event.occurredAt,
        received_at: m.receivedAt,
      })),
    ),
  );

const collectBench: Bench = {
  name: "collect: tracker events stored/s through the events consumer",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 20;
    const scratch = await createScratchDatabase(
      databaseUrl,
      `leadrail_bench_collect_${process.pid}_${Date.now()}`,
    );
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-collect-"));
    const failures: string[] = [];
    // The consumer's own time per batch (its log line's `ms`: connection, parsing, transaction, acks).
    const consumerMs: number[] = [];
    let bridge: CountingBridge | undefined;
    let mf: Miniflare | undefined;
    const pool = new pg.Pool({ connectionString: scratch.url, max: concurrency });
    try {
      const [script] = await Promise.all([bundleWorker(outdir), applyMigrations(scratch.url)]);
      const { brandId, captureIds } = await seed(scratch.url);
      bridge = await startCountingBridge(describeUrl(scratch.url));
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...deployedWorker(
          script,
          { url: scratch.url, bridgePort: bridge.port },
          { CAPTURE_RETRY_BASE_SECONDS: "2" },
        ),
        handleRuntimeStdio: stdioLines((line) => {
          const ms = /"event":"events\.batch".*"ms":(\d+)/.exec(line)?.[1];
          if (ms !== undefined) consumerMs.push(Number(ms));
          if (/"event":"events\.(batch_failed|message_failed)"/.test(line) && failures.length < 10)
            failures.push(line.slice(0, 300));
        }),
      });
      await mf.ready;
      const worker = await mf.getWorker();
      const factory = messageFactory(brandId, captureIds);
      for (let i = 0; i < 3; i += 1) await deliver(worker, factory.messages(messagesPerBatch));

      // Events per batch average 3 per message; enough batches for four times the target rate (a run that
      // uses them up sooner stops there: its rate is over the time it took).
      const batchCount = Math.ceil(((seconds + 2) * target * 4) / (messagesPerBatch * 3));
      const prepared = Array.from({ length: batchCount }, () => factory.messages(messagesPerBatch));
      const floorBatches = [...prepared];
      consumerMs.length = 0;
      const consumer = await timedBatches(prepared, seconds, concurrency, (bodies) =>
        deliver(worker, bodies),
      );
      const handlerMs = [...consumerMs].sort((a, b) => a - b);
      const floor = await timedBatches(floorBatches, seconds, concurrency, async (bodies) => {
        await pool.query(rawInsert, [rawRows(bodies)]);
        return eventsOf(bodies);
      });

      const linked = await pool.query<{ captures: number; contacts: number }>(
        `SELECT count(capture_id)::int AS captures, count(contact_id)::int AS contacts
           FROM tracker_events WHERE contact_id IS NOT NULL OR capture_id IS NOT NULL`,
      );
      const ratio = floor.perSecond / consumer.perSecond;
      return {
        name: this.name,
        metrics: {
          events_per_s: Math.round(consumer.perSecond),
          events_stored: consumer.stored,
          batch_p50_ms: round(consumer.p50),
          handler_p50_ms: round(percentile(handlerMs, 50)),
          floor_raw_events_per_s: Math.round(floor.perSecond),
          floor_batch_p50_ms: round(floor.p50),
          floor_over_consumer: round(ratio, 2),
          linked_rows: JSON.stringify(linked.rows[0] ?? {}),
          handler_failures_logged: failures.length,
          wire_kib_per_event: round(bridge.bytes / 1024 / Math.max(consumer.stored, 1), 3),
        },
        targets: [
          {
            name: `at least ${target.toLocaleString("en-US")} tracker events stored per second`,
            met: consumer.perSecond >= target,
            detail: `${Math.round(consumer.perSecond)} events/s stored (${concurrency} batches of ${messagesPerBatch} beacons in flight, p50 ${round(consumer.p50)} ms); floor, the same rows stored raw: ${Math.round(floor.perSecond)}/s (${round(ratio, 2)}× the consumer)`,
          },
        ],
      };
    } finally {
      await Promise.allSettled([mf?.dispose(), bridge?.close(), pool.end()]);
      await rm(outdir, { recursive: true, force: true });
      await scratch.drop().catch(() => {});
      if (failures.length > 0) console.error(`consumer logged:\n${failures.join("\n")}`);
    }
  },
};

export default collectBench;

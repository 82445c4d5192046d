/**
 * Email events benchmark: email platform events stored per second through the real events consumer
 * (the Worker bundle as `wrangler deploy` builds it, in workerd through Miniflare, invoked with
 * `worker.queue(…)` batches, several in flight) into a scratch database on the given PostgreSQL server
 * through the project's WebSocket bridge. The messages are what POST /webhooks/email/sendgrid enqueues:
 * SendGrid batches of 1,000 events mapped and packed by the webhook's own code (domain/contacts/email-events.ts).
 * The mix is mostly deliveries, opens and clicks of known contacts, with bounces, unsubscribes, group
 * unsubscribes and spam reports that end relationships and refresh the knowledge index in Miniflare's KV.
 * Round trips per batch are counted on the wire for batches of 1 event, 1 message and 10 messages.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import pg from "pg";
import type { EmailEventsMessage } from "../domain/contacts/email-event-message.ts";
import { fromSendGrid, packEmailEvents } from "../domain/contacts/email-events.ts";
import { hashIds } from "../domain/core/hash-ids.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import {
  benchAlphabet,
  bundleWorker,
  type CountingBridge,
  deliverQueueBatch,
  deployedWorker,
  percentile,
  startCountingBridge,
  startProfiles,
  stdioLines,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const eventsQueue = "leadrail-events";
const target = 5000;
/** Contacts in the scratch database (two brand relationships each). */
const contactCount = 50_000;
/** Share of events about an address leadrail does not know. */
const unknownShare = 0.15;
/** SendGrid posts; each is packed into queue messages as the webhook packs it. */
const eventsPerPost = 1000;
/** Queue messages per consumer batch in the throughput phase, and batches in flight. */
const messagesPerBatch = 10;
const concurrency = 4;

/** The event mix, cumulative thresholds over [0, 1). */
const mix: [string, number][] = [
  ["processed", 0.24],
  ["delivered", 0.24],
  ["open", 0.25],
  ["click", 0.15],
  ["deferred", 0.04],
  ["bounce", 0.02],
  ["dropped", 0.01],
  ["unsubscribe", 0.025],
  ["group_unsubscribe", 0.01],
  ["group_resubscribe", 0.004],
  ["spamreport", 0.001],
];

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

async function seed(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const brands = await client.query<{ id: string }>(
      `INSERT INTO brands (name, slug) SELECT 'Bench brand ' || g, 'bench-brand-' || g FROM generate_series(1, 4) g RETURNING id`,
    );
    await client.query(
      `INSERT INTO emails (address, domain, sha256, md5)
       SELECT a, 'bench-mail.net', encode(sha256(convert_to(a, 'UTF8')), 'hex'), md5(a)
         FROM (SELECT 'reader.' || g || '@bench-mail.net' AS a FROM generate_series(1, $1::int) g) s`,
      [contactCount],
    );
    await client.query("INSERT INTO contacts (email_id) SELECT id FROM emails ORDER BY id");
    await client.query(
      `INSERT INTO contact_brands (contact_id, brand_id)
       SELECT c.id, b.id FROM contacts c
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM brands) b
           ON b.n IN (c.id % 4, (c.id + 1) % 4)`,
    );
    await client.query("ANALYZE");
    const codec = hashIds(benchAlphabet);
    return brands.rows.map((row) => codec.encode("brand", Number(row.id)));
  } finally {
    await client.end();
  }
}

/** Queue messages as the SendGrid webhook enqueues them, from SendGrid posts of the benchmark's mix. */
function messageFactory(brandRefs: readonly string[]) {
  const codec = hashIds(benchAlphabet);
  const run = crypto.randomUUID().slice(0, 8);
  let sequence = 0;
  let pending: EmailEventsMessage[] = [];
  const post = (size: number): EmailEventsMessage[] => {
    const events = Array.from({ length: size }, () => {
      sequence += 1;
      const roll = ((sequence * 2_654_435_761) % 2 ** 32) / 2 ** 32;
      let type = "open";
      let sum = 0;
      for (const [name, share] of mix) {
        sum += share;
        if (roll < sum) {
          type = name;
          break;
        }
      }
      const known = (sequence * 7919) % 100 >= unknownShare * 100;
      const email = known
        ? `reader.${1 + ((sequence * 104_729) % contactCount)}@bench-mail.net`
        : `nobody.${run}.${sequence}@bench-mail.net`;
      const base: Record<string, unknown> = {
        email,
        timestamp: 1_763_800_000 + sequence,
        "smtp-id": `<${run}.${sequence}@ismtpd-bench>`,
        event: type,
        category: ["newsletter", "autumn-2026"],
        sg_event_id: `${run}-${sequence}`,
        sg_message_id: `${run}.${Math.floor(sequence / 4)}.filter0001.16648.0`,
      };
      // One in ten names no brand (its leaving events end every relationship of the contact). Not
      // `sequence % 4`: the address formula makes that always a brand the contact has no relationship with.
      if (sequence % 10 !== 0) base.leadrail_brand = brandRefs[Math.floor(sequence / 7) % brandRefs.length];
      if (type === "open" || type === "click" || type.startsWith("group_")) {
        base.useragent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15";
        base.ip = "203.0.113.7";
      }
      if (type === "click") base.url = `https://shop.example/autumn?item=${sequence % 50}`;
      if (type.startsWith("group_")) base.asm_group_id = 42;
      if (type === "deferred") base.response = "400 try again later";
      if (type === "bounce") {
        base.type = sequence % 2 === 0 ? "bounce" : "blocked";
        base.reason = "550 5.1.1 The email account that you tried to reach does not exist.";
        base.status = "5.1.1";
      }
      return base;
    });
    const { events: mapped } = fromSendGrid(events, (ref) => codec.decode("brand", ref));
    return packEmailEvents("sendgrid", mapped).flat();
  };
  return {
    /** `count` full messages (≈ 127 KB each), from as many posts as needed. */
    messages(count: number): EmailEventsMessage[] {
      while (pending.length < count) pending.push(...post(eventsPerPost));
      const taken = pending.slice(0, count);
      pending = pending.slice(count);
      return taken;
    },
    /** One message of `size` events. */
    small(size: number): EmailEventsMessage[] {
      return post(size);
    },
  };
}

interface BatchLog {
  statements: number[];
  failures: string[];
}

function stdio(log: BatchLog) {
  return stdioLines((line) => {
    const match = /"event":"events\.batch".*"statements":(\d+)/.exec(line);
    if (match) log.statements.push(Number(match[1]));
    else if (
      /"event":"events\.(batch_failed|batch_fallback|message_failed)"/.test(line) &&
      log.failures.length < 10
    )
      log.failures.push(line.slice(0, 300));
  });
}

type Worker = Awaited<ReturnType<Miniflare["getWorker"]>>;

async function deliver(worker: Worker, bodies: EmailEventsMessage[]): Promise<number> {
  await deliverQueueBatch(worker, eventsQueue, bodies);
  return bodies.reduce((sum, body) => sum + body.events.length, 0);
}

const emailEventsBench: Bench = {
  name: "email events: stored/s through the events consumer",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 20;
    const scratch = await createScratchDatabase(
      databaseUrl,
      `leadrail_bench_email_${process.pid}_${Date.now()}`,
    );
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-email-"));
    const log: BatchLog = { statements: [], failures: [] };
    let bridge: CountingBridge | undefined;
    let mf: Miniflare | undefined;
    try {
      const [script] = await Promise.all([bundleWorker(outdir), applyMigrations(scratch.url)]);
      const brandRefs = await seed(scratch.url);
      bridge = await startCountingBridge(describeUrl(scratch.url));
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...deployedWorker(
          script,
          { url: scratch.url, bridgePort: bridge.port },
          { CAPTURE_RETRY_BASE_SECONDS: "2" },
        ),
        handleRuntimeStdio: stdio(log),
        ...(process.env.BENCH_PROFILE ? { inspectorPort: 9333 } : {}),
      });
      await mf.ready;
      const worker = await mf.getWorker();
      const factory = messageFactory(brandRefs);
      let sent = 0;

      // Warm up the isolate, the JIT and the database's caches.
      for (let i = 0; i < 3; i += 1) sent += await deliver(worker, factory.messages(messagesPerBatch));

      // Round trips per batch, alone on the wire: 1 event, one full message, ten full messages.
      const shapes: [string, () => EmailEventsMessage[]][] = [
        ["1_event", () => factory.small(1)],
        ["1_message", () => factory.messages(1)],
        ["10_messages", () => factory.messages(10)],
      ];
      const roundTrips: Record<string, number> = {};
      const statements: Record<string, number> = {};
      const eventsInShape: Record<string, number> = {};
      for (const [shape, make] of shapes) {
        const counts: number[] = [];
        for (let i = 0; i < 3; i += 1) {
          const before = bridge.roundTrips;
          const logged = log.statements.length;
          const bodies = make();
          sent += await deliver(worker, bodies);
          eventsInShape[shape] = bodies.reduce((sum, body) => sum + body.events.length, 0);
          for (let wait = 0; wait < 50 && log.statements.length === logged; wait += 1)
            await new Promise((resolve) => setTimeout(resolve, 10));
          counts.push(bridge.roundTrips - before);
          statements[shape] = Math.max(statements[shape] ?? 0, log.statements.at(-1) ?? Number.NaN);
        }
        roundTrips[shape] = Math.max(...counts);
      }

      // Throughput: `concurrency` batches of `messagesPerBatch` messages in flight for `seconds`. The
      // messages are built beforehand, so building them does not take CPU from the consumer.
      const prepared: EmailEventsMessage[][] = [];
      const expected = (seconds + 2) * target * 2;
      for (let events = 0; events < expected; ) {
        const bodies = factory.messages(messagesPerBatch);
        prepared.push(bodies);
        events += bodies.reduce((sum, body) => sum + body.events.length, 0);
      }
      const stopProfiles = process.env.BENCH_PROFILE ? await startProfiles(9333) : null;
      const latencies: number[] = [];
      let stored = 0;
      let batches = 0;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < deadline) {
            const bodies = prepared.pop() ?? factory.messages(messagesPerBatch);
            const t0 = performance.now();
            // Not `stored += await …`: that reads `stored` before the await and loses the other loops' counts.
            const count = await deliver(worker, bodies);
            stored += count;
            latencies.push(performance.now() - t0);
            batches += 1;
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      await stopProfiles?.(batches);
      sent += stored;
      const perSecond = stored / elapsed;

      const check = new pg.Client({ connectionString: scratch.url });
      await check.connect();
      const counted = await check
        .query<{
          events: number;
          linked: number;
          unsubscribed: number;
          bounced: number;
          types: Record<string, number>;
        }>(
          `SELECT (SELECT count(*)::int FROM email_events) AS events,
                  (SELECT count(*)::int FROM email_events WHERE contact_id IS NOT NULL) AS linked,
                  (SELECT count(*)::int FROM contact_brands WHERE state = 'unsubscribed') AS unsubscribed,
                  (SELECT count(*)::int FROM emails WHERE hard_bounced_at IS NOT NULL) AS bounced,
                  (SELECT jsonb_object_agg(type, n) FROM (SELECT type, count(*)::int AS n FROM email_events GROUP BY type) t) AS types`,
        )
        .finally(() => check.end());
      const totals = counted.rows[0];
      if (!totals || totals.events !== sent)
        throw new Error(`expected ${sent} email events in the database, found ${totals?.events}`);
      latencies.sort((a, b) => a - b);
      const flat = new Set(Object.values(roundTrips).slice(1)).size === 1;
      const eventsPerBatch = stored / batches;
      return {
        name: this.name,
        metrics: {
          events_per_s: Math.round(perSecond),
          events_stored: stored,
          duration_s: round(elapsed),
          batches,
          concurrent_batches: concurrency,
          messages_per_batch: messagesPerBatch,
          events_per_batch: Math.round(eventsPerBatch),
          batch_p50_ms: round(percentile(latencies, 50)),
          batch_p99_ms: round(percentile(latencies, 99)),
          round_trips_batch_1_event: roundTrips["1_event"] ?? Number.NaN,
          round_trips_batch_1_message: roundTrips["1_message"] ?? Number.NaN,
          round_trips_batch_10_messages: roundTrips["10_messages"] ?? Number.NaN,
          statements_batch_1_event: statements["1_event"] ?? Number.NaN,
          statements_batch_1_message: statements["1_message"] ?? Number.NaN,
          statements_batch_10_messages: statements["10_messages"] ?? Number.NaN,
          events_in_1_message: eventsInShape["1_message"] ?? Number.NaN,
          events_in_10_messages: eventsInShape["10_messages"] ?? Number.NaN,
          linked_share_pct: round((totals.linked / totals.events) * 100),
          relationships_unsubscribed: totals.unsubscribed,
          emails_hard_bounced: totals.bounced,
          types: JSON.stringify(totals.types),
          handler_failures_logged: log.failures.length,
          wire_kib_per_event: round(bridge.bytes / 1024 / sent, 3),
        },
        targets: [
          {
            name: `at least ${target.toLocaleString("en-US")} email events stored per second`,
            met: perSecond >= target,
            detail: `${Math.round(perSecond)} events/s over ${round(elapsed)} s (${concurrency} batches of ${messagesPerBatch} messages ≈ ${Math.round(eventsPerBatch)} events in flight; batch p50 ${round(percentile(latencies, 50))} ms); ${totals.events} events in the database = every event sent`,
          },
          {
            name: "round trips per batch do not grow with batch size",
            met: flat,
            detail: `wire round trips for a batch of 1 event / 1 message (${eventsInShape["1_message"]} events) / 10 messages (${eventsInShape["10_messages"]} events): ${roundTrips["1_event"]} / ${roundTrips["1_message"]} / ${roundTrips["10_messages"]} (statements ${statements["1_event"]} / ${statements["1_message"]} / ${statements["10_messages"]}; a batch with no unsubscribe skips two of them)`,
          },
        ],
      };
    } finally {
      await Promise.allSettled([mf?.dispose(), bridge?.close()]);
      await rm(outdir, { recursive: true, force: true });
      await scratch.drop().catch(() => {});
      if (log.failures.length > 0) console.error(`consumer logged:\n${log.failures.join("\n")}`);
    }
  },
};

export default emailEventsBench;

/**
 * Commerce events benchmark: commerce events stored (and applied) per second through the real events
 * consumer (the Worker bundle as `wrangler deploy` builds it, in workerd through Miniflare, invoked with
 * `worker.queue(…)` batches of 100 messages, several in flight) into a scratch database through the
 * project's WebSocket bridge. The messages are what `POST /webhooks/commerce` enqueues (one event per
 * message), a mix of every kind of applier: orders created and paid, shipments, consents, members, points,
 * coupons, product updates, reviews and abandoned carts.
 *
 * Floor, same run and same events: the rows the consumer's first statement stores, written raw — one
 * `INSERT … SELECT FROM jsonb_to_recordset(…) ON CONFLICT DO NOTHING` per batch of 100, the same batches in
 * flight, from Node straight to PostgreSQL (no Worker, no bridge, no applier).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import pg from "pg";
import type { CommerceEvent, CommerceEventMessage } from "../domain/commerce/event-message.ts";
import { orderExternalIdOf, storedPayload } from "../domain/commerce/payload.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import {
  bundleWorker,
  type CountingBridge,
  deliverQueueBatch,
  deployedWorker,
  startCountingBridge,
  stdioLines,
  timedBatches,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const eventsQueue = "leadrail-events";
const target = 2000;
/** wrangler.toml's max_batch_size for the events queue, and batches in flight. */
const messagesPerBatch = 100;
const concurrency = 4;
const skus = ["SERUM-30", "MASK-5", "TONER-150", "CREAM-50"];

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** A brand, a KRW market and a store, with the products orders name. */
async function seed(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const brand = await client.query<{ id: string }>(
      "INSERT INTO brands (name, slug) VALUES ('Bench commerce', 'bench-commerce') RETURNING id",
    );
    const brandId = brand.rows[0]?.id;
    const market = await client.query<{ id: string }>(
      `INSERT INTO markets (code, name, country, currency, time_zone)
       VALUES ('kr', 'Korea', 'KR', 'KRW', 'Asia/Seoul') RETURNING id`,
    );
    const store = await client.query<{ id: string }>(
      `INSERT INTO stores (brand_id, market_id, platform, external_ref, name)
       VALUES ($1, $2, 'cafe24', 'benchmall', 'Bench mall') RETURNING id`,
      [brandId, market.rows[0]?.id],
    );
    await client.query(
      "INSERT INTO products (brand_id, name, sku) SELECT $1, s, s FROM unnest($2::text[]) s",
      [brandId, skus],
    );
    return Number(store.rows[0]?.id);
  } finally {
    await client.end();
  }
}

/** The event mix: each step makes the next events of one customer; order events come in pairs. */
function eventFactory(storeId: number) {
  const run = crypto.randomUUID().slice(0, 8);
  let sequence = 0;
  const at = (n: number) => new Date(Date.UTC(2026, 11, 1) + n * 1000).toISOString();
  const one = (n: number): CommerceEvent[] => {
    const id = `${run}-${n}`;
    const member = `m${n % 20_000}`;
    const email = `buyer.${n % 20_000}@bench-shop.kr`;
    const occurred_at = at(n);
    switch (n % 10) {
      case 0:
        return [
          {
            id: `${id}-c`,
            type: "order.created",
            occurred_at,
            data: {
              order_id: `O-${id}`,
              order: {
                currency: "KRW",
                placed_at: occurred_at,
                customer: { email },
                items: [
                  {
                    sku: skus[n % skus.length] ?? "SERUM-30",
                    name: "Item",
                    offer: "default",
                    quantity: 1,
                    unit_price: 32_000,
                    discount: 0,
                    tax: 0,
                  },
                ],
                shipping: 3000,
                coupons: [],
                marketing: {},
              },
            },
          },
          {
            id: `${id}-p`,
            type: "order.paid",
            occurred_at,
            data: { order_id: `O-${id}`, amount: 35_000, currency: "KRW", method: "card" },
          },
        ];
      case 1:
        return [{ id, type: "order.shipped", occurred_at, data: { order_id: `O-${run}-${n - 1}` } }];
      case 2:
      case 3:
        return [
          {
            id,
            type: "consent.changed",
            occurred_at,
            data: {
              email,
              consents: [
                { channel: "sms", status: n % 3 === 0 ? "withdrawn" : "granted" },
                { channel: "email", status: "granted" },
              ],
              source: "checkout_form",
            },
          },
        ];
      case 4:
        return [{ id, type: "member.joined", occurred_at, data: { member_id: member, email } }];
      case 5:
        return [
          {
            id,
            type: "points.changed",
            occurred_at,
            data: { member_id: member, delta: 500, reason: "order" },
          },
        ];
      case 6:
        return [
          {
            id,
            type: "coupon.issued",
            occurred_at,
            data: { coupon_id: `cp-${n % 50}`, code: "WELCOME10", member_id: member },
          },
        ];
      case 7:
        return [
          {
            id,
            type: "product.updated",
            occurred_at,
            data: {
              product_id: `P${n % skus.length}`,
              sku: skus[n % skus.length],
              name: `Item ${n}`,
              price: 32_000,
            },
          },
        ];
      case 8:
        return [
          {
            id,
            type: "review.posted",
            occurred_at,
            data: { review_id: `r-${id}`, product_id: `P${n % skus.length}`, member_id: member, rating: 5 },
          },
        ];
      default:
        return [
          {
            id,
            type: "cart.abandoned",
            occurred_at,
            data: {
              cart_id: `cart-${id}`,
              email,
              items: [{ sku: "MASK-5", quantity: 2, unit_price: 12_000 }],
              currency: "KRW",
            },
          },
        ];
    }
  };
  let pending: CommerceEvent[] = [];
  return {
    messages(count: number): CommerceEventMessage[] {
      while (pending.length < count) {
        pending.push(...one(sequence));
        sequence += 1;
      }
      const taken = pending.slice(0, count);
      pending = pending.slice(count);
      const receivedAt = new Date().toISOString();
      return taken.map((event) => ({ v: 1, type: "commerce", storeId, receivedAt, event }));
    },
  };
}

type Worker = Awaited<ReturnType<Miniflare["getWorker"]>>;
async function deliver(worker: Worker, bodies: CommerceEventMessage[]): Promise<number> {
  await deliverQueueBatch(worker, eventsQueue, bodies);
  return bodies.length;
}

/** The floor's statement: the rows the consumer stores, raw, in one INSERT. */
const rawInsert = `INSERT INTO commerce_events (store_id, brand_id, platform, platform_event_id, type,
    order_external_id, occurred_at, received_at, payload, status)
  SELECT r.store_id, s.brand_id, s.platform, r.platform_event_id, r.type::commerce_event_type,
         r.order_external_id, r.occurred_at, r.received_at, r.payload, 'unapplied'
    FROM jsonb_to_recordset($1::jsonb) AS r(store_id bigint, platform_event_id text, type text,
         order_external_id text, occurred_at timestamptz, received_at timestamptz, payload jsonb)
    JOIN stores s ON s.id = r.store_id
  ON CONFLICT (store_id, platform_event_id) DO NOTHING`;

const rawRows = (bodies: CommerceEventMessage[]) =>
  JSON.stringify(
    bodies.map((m) => ({
      store_id: m.storeId,
      platform_event_id: `raw:${m.event.id}`,
      type: m.event.type,
      order_external_id: orderExternalIdOf(m.event),
      occurred_at: m.event.occurred_at,
      received_at: m.receivedAt,
      payload: storedPayload(m.event),
    })),
  );

const commerceEventsBench: Bench = {
  name: "commerce events: stored and applied/s through the events consumer",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const seconds = quick ? 6 : 20;
    const scratch = await createScratchDatabase(
      databaseUrl,
      `leadrail_bench_commerce_${process.pid}_${Date.now()}`,
    );
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-commerce-"));
    const failures: string[] = [];
    let bridge: CountingBridge | undefined;
    let mf: Miniflare | undefined;
    const pool = new pg.Pool({ connectionString: scratch.url, max: concurrency });
    try {
      const [script] = await Promise.all([bundleWorker(outdir), applyMigrations(scratch.url)]);
      const storeId = await seed(scratch.url);
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
          if (/"event":"events\.(batch_failed|message_failed)"/.test(line) && failures.length < 10)
            failures.push(line.slice(0, 300));
        }),
      });
      await mf.ready;
      const worker = await mf.getWorker();
      const factory = eventFactory(storeId);
      for (let i = 0; i < 3; i += 1) await deliver(worker, factory.messages(messagesPerBatch));

      const batchCount = Math.ceil(((seconds + 2) * target * 2) / messagesPerBatch);
      const prepared = Array.from({ length: batchCount }, () => factory.messages(messagesPerBatch));
      const floorBatches = [...prepared];
      const consumer = await timedBatches(prepared, seconds, concurrency, (bodies) =>
        deliver(worker, bodies),
      );
      const floor = await timedBatches(floorBatches, seconds, concurrency, async (bodies) => {
        await pool.query(rawInsert, [rawRows(bodies)]);
        return bodies.length;
      });

      const counted = await pool.query<{ status: string; n: number }>(
        `SELECT status::text, count(*)::int AS n FROM commerce_events
          WHERE platform_event_id NOT LIKE 'raw:%' GROUP BY status ORDER BY status`,
      );
      const statuses = Object.fromEntries(counted.rows.map((r) => [r.status, r.n]));
      const ratio = floor.perSecond / consumer.perSecond;
      return {
        name: this.name,
        metrics: {
          events_per_s: Math.round(consumer.perSecond),
          events_stored: consumer.stored,
          batch_p50_ms: round(consumer.p50),
          floor_raw_events_per_s: Math.round(floor.perSecond),
          floor_batch_p50_ms: round(floor.p50),
          floor_over_consumer: round(ratio, 2),
          statuses: JSON.stringify(statuses),
          handler_failures_logged: failures.length,
          wire_kib_per_event: round(bridge.bytes / 1024 / Math.max(consumer.stored, 1), 3),
        },
        targets: [
          {
            name: `at least ${target.toLocaleString("en-US")} commerce events stored per second`,
            met: consumer.perSecond >= target,
            detail: `${Math.round(consumer.perSecond)} events/s stored and applied (${concurrency} batches of ${messagesPerBatch} in flight, p50 ${round(consumer.p50)} ms); floor, the same rows stored raw: ${Math.round(floor.perSecond)}/s (${round(ratio, 2)}× the consumer); statuses ${JSON.stringify(statuses)}`,
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

export default commerceEventsBench;

/**
 * Sends benchmark (issue 15): campaign messages sent per second through the compliance gate and the sends
 * queue consumer to the messaging simulator — the Worker bundle as `wrangler deploy` builds it, in workerd
 * through Miniflare, given the sends queue's batches (`{ type: "sends", sendIds }` messages of 500 sends,
 * wrangler.toml's 10 messages a batch, one batch at a time as `max_concurrency = 1` runs them) against a
 * scratch database holding a running two-arm LMS campaign whose every member passes the gate
 * (bench/messaging-seed.ts). Each send is loaded with its recipient's number, consents, opt-outs and recent
 * sends, gated, rendered with its tracked link, handed to the provider and stored with its status history.
 *
 * Floor, same run: the simulator alone — the same number of messages, with texts of the same length, sent
 * by the same Solapi adapter from Node in requests of 500, one at a time: what the provider side costs
 * without the gate, the queue consumer or the database.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import pg from "pg";
import { SolapiProvider } from "../domain/messaging/solapi.ts";
import { applyMigrations, createScratchDatabase, describeUrl } from "../scripts/lib/database.ts";
import {
  simulatorApiKey,
  simulatorApiSecret,
  startMessageSimulator,
} from "../scripts/lib/message-simulator.ts";
import {
  bundleWorker,
  type CountingBridge,
  deliverQueueBatch,
  deployedWorker,
  startCountingBridge,
  stdioLines,
} from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";
import { benchAdvertisement, seedMessagingCampaign } from "./messaging-seed.ts";

const sendsQueue = "leadrail-sends";
const target = 1000;
const idsPerMessage = 500;
const messagesPerBatch = 10;

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const sendsBench: Bench = {
  name: "sends: campaign messages/s through the gate and the sends queue to the simulator",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const customers = quick ? 5_000 : 30_000;
    const scratch = await createScratchDatabase(
      databaseUrl,
      `leadrail_bench_sends_${process.pid}_${Date.now()}`,
    );
    const outdir = await mkdtemp(path.join(os.tmpdir(), "leadrail-bench-sends-"));
    const failures: string[] = [];
    let bridge: CountingBridge | undefined;
    let mf: Miniflare | undefined;
    const simulator = await startMessageSimulator({
      apiKey: simulatorApiKey,
      apiSecret: simulatorApiSecret,
      receiptDelayMs: 60_000,
      maxKept: 1000,
    });
    const client = new pg.Client({ connectionString: scratch.url });
    try {
      const [script] = await Promise.all([bundleWorker(outdir), applyMigrations(scratch.url)]);
      await client.connect();
      const seedStarted = performance.now();
      const seed = await seedMessagingCampaign(client, {
        customers,
        orders: false,
        queueSends: true,
        label: "sends",
      });
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      bridge = await startCountingBridge(describeUrl(scratch.url));
      mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...deployedWorker(
          script,
          { url: scratch.url, bridgePort: bridge.port },
          {
            MESSAGING_PROVIDER_BASE_URL: simulator.url,
            MESSAGING_PROVIDER_API_KEY: simulatorApiKey,
            MESSAGING_PROVIDER_API_SECRET: simulatorApiSecret,
            MESSAGING_PROVIDER_RATE_PER_SECOND: "100000",
            MESSAGE_LINK_BASE_URL: "https://go.bench.example",
          },
        ),
        handleRuntimeStdio: stdioLines((line) => {
          if (/"event":"sends\.[a-z_]*(failed|error)/.test(line) && failures.length < 10)
            failures.push(line.slice(0, 300));
        }),
      });
      await mf.ready;
      const worker = await mf.getWorker();

      // The first 1,000 sends warm the Worker up (bundle load, connections); the rest are timed.
      const warm = seed.sendIds.slice(0, 1000);
      const timedIds = seed.sendIds.slice(1000);
      for (const batch of chunks(chunks(warm, idsPerMessage), messagesPerBatch))
        await deliverQueueBatch(
          worker,
          sendsQueue,
          batch.map((sendIds) => ({ type: "sends", sendIds })),
        );
      const batches = chunks(chunks(timedIds, idsPerMessage), messagesPerBatch);
      const started = performance.now();
      for (const batch of batches)
        await deliverQueueBatch(
          worker,
          sendsQueue,
          batch.map((sendIds) => ({ type: "sends", sendIds })),
        );
      const consumerSeconds = (performance.now() - started) / 1000;
      const consumerRate = timedIds.length / consumerSeconds;

      const statuses = await client.query<{ status: string; n: number }>(
        `SELECT status::text, count(*)::int AS n FROM message_sends WHERE message_campaign_id = $1
          GROUP BY status ORDER BY status`,
        [seed.messageCampaignId],
      );
      const byStatus = Object.fromEntries(statuses.rows.map((row) => [row.status, row.n]));
      const history = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM message_send_history",
      );

      // Floor: the simulator alone, the same count of messages of the same length, 500 a request.
      const provider = new SolapiProvider({
        baseUrl: simulator.url,
        apiKey: simulatorApiKey,
        apiSecret: simulatorApiSecret,
        timeoutMs: 30_000,
      });
      const text = benchAdvertisement
        .replace("{name}", "고객12345")
        .replace("{link}", "https://go.bench.example/m/AbCdEfGhIjKlMn");
      const floorMessages = timedIds.map((id, index) => ({
        channel: "lms" as const,
        to: `010${String(20_000_000 + index).slice(-8)}`.replace(/(0000|9999)$/, "1234"),
        from: "029302266",
        text,
        subject: "봄 세일",
        customId: `floor-${id}`,
      }));
      const floorStarted = performance.now();
      let floorAccepted = 0;
      for (const messages of chunks(floorMessages, idsPerMessage)) {
        const results = await provider.sendMany(messages);
        floorAccepted += results.filter((result) => result.status === "accepted").length;
      }
      const floorSeconds = (performance.now() - floorStarted) / 1000;
      const floorRate = floorMessages.length / floorSeconds;
      const accepted = byStatus.accepted ?? 0;
      const ratio = consumerRate / floorRate;
      return {
        name: this.name,
        metrics: {
          customers,
          seed_s: round(seedSeconds),
          sends_timed: timedIds.length,
          sends_per_s: Math.round(consumerRate),
          consumer_s: round(consumerSeconds, 2),
          statuses: JSON.stringify(byStatus),
          history_rows: history.rows[0]?.n ?? 0,
          floor_simulator_per_s: Math.round(floorRate),
          floor_accepted: floorAccepted,
          consumer_over_floor: round(ratio, 3),
          db_round_trips: bridge.roundTrips,
          db_round_trips_per_batch: round(bridge.roundTrips / (batches.length + 1), 1),
          handler_failures_logged: failures.length,
        },
        targets: [
          {
            name: `at least ${target.toLocaleString("en-US")} sends per second through the gate and the queue`,
            met: consumerRate >= target && accepted === seed.sendIds.length,
            detail: `${Math.round(consumerRate)} sends/s (${timedIds.length} sends in ${round(consumerSeconds, 2)} s, ${accepted}/${seed.sendIds.length} accepted); floor, the simulator alone: ${Math.round(floorRate)}/s; ${round(ratio * 100)}% of the floor`,
          },
        ],
      };
    } finally {
      await Promise.allSettled([mf?.dispose(), bridge?.close(), client.end(), simulator.close()]);
      await rm(outdir, { recursive: true, force: true });
      await scratch.drop().catch(() => {});
      if (failures.length > 0) console.error(`consumer logged:\n${failures.join("\n")}`);
    }
  },
};

export default sendsBench;

/**
 * Experiment results benchmark (issue 15): `GET /api/v1/experiments/{id}/results`'s verb on an experiment
 * with 1,000,000 assigned customers (`-- --quick`: 100,000), in a scratch database seeded by
 * bench/messaging-seed.ts — a two-arm campaign whose members are assigned by the bucket SQL, 10% of the
 * control's and 12% of the variant's members ordering inside the 7-day goal window and 3% of everyone
 * outside it, so the counts are known exactly. The verb is timed from Node through the project's
 * WebSocket bridge, as the analytics benchmark times its verbs (median of five warm runs).
 *
 * Floors, same run, straight to PostgreSQL: the members read once per arm (`count(*) … GROUP BY arm`,
 * what any answer must at least read), and the same conversion count written by hand (each member's orders
 * by `orders_account_idx`), which is what the verb's statement should cost.
 * `BENCH_RESULTS_DATABASE_URL` reuses a database this benchmark seeded before (its experiment is found by key).
 */
import pg from "pg";
import { hashIds } from "../domain/core/hash-ids.ts";
import type { VerbContext } from "../domain/core/verb.ts";
import { getExperimentResults } from "../domain/funnel/experiment-results.ts";
import { openBatchDatabase } from "../scripts/lib/batch.ts";
import { applyMigrations, createScratchDatabase } from "../scripts/lib/database.ts";
import { benchAlphabet } from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";
import { seedMessagingCampaign } from "./messaging-seed.ts";

const maxRatio = 1.5;
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

async function median(times: number, work: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}

const floorConversions = `SELECT m.arm, count(*)::int AS n,
    count(*) FILTER (WHERE EXISTS (
      SELECT 1 FROM orders o
       WHERE o.account_id = m.account_id AND o.cancelled_at IS NULL
         AND o.placed_at >= m.assigned_at AND o.placed_at < m.assigned_at + make_interval(days => 7)))::int AS conversions
  FROM message_campaign_members m WHERE m.message_campaign_id = $1 GROUP BY m.arm ORDER BY m.arm`;

const resultsBench: Bench = {
  name: "experiment results: one experiment with 1,000,000 assigned customers",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const customers = quick ? 100_000 : 1_000_000;
    const label = `results${customers}`;
    const reuse = process.env.BENCH_RESULTS_DATABASE_URL;
    const scratch = reuse
      ? null
      : await createScratchDatabase(databaseUrl, `leadrail_bench_results_${process.pid}_${Date.now()}`);
    const url = reuse ?? scratch?.url ?? databaseUrl;
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      let seedSeconds: number | null = null;
      let experimentId: number;
      let messageCampaignId: number;
      const existing = await client
        .query<{ id: string; message_campaign_id: string }>(
          "SELECT id, message_campaign_id FROM experiments WHERE key = $1",
          [`bench-${label}`],
        )
        .catch(() => ({ rows: [] as { id: string; message_campaign_id: string }[] }));
      const found = existing.rows[0];
      if (found) {
        experimentId = Number(found.id);
        messageCampaignId = Number(found.message_campaign_id);
      } else {
        await applyMigrations(url);
        const started = performance.now();
        const seed = await seedMessagingCampaign(client, {
          customers,
          orders: true,
          queueSends: false,
          label,
        });
        seedSeconds = (performance.now() - started) / 1000;
        experimentId = seed.experimentId;
        messageCampaignId = seed.messageCampaignId;
      }

      const membersFloor = await median(5, () =>
        client.query(
          "SELECT arm, count(*) FROM message_campaign_members WHERE message_campaign_id = $1 GROUP BY arm",
          [messageCampaignId],
        ),
      );
      const conversionFloor = await median(5, () => client.query(floorConversions, [messageCampaignId]));
      const expected = (
        await client.query<{ arm: number; n: number; conversions: number }>(floorConversions, [
          messageCampaignId,
        ])
      ).rows;

      const { handle, close } = await openBatchDatabase(url, process.env.DB_WS_PROXY);
      try {
        const ctx: VerbContext = {
          db: handle.db,
          principal: { apiKeyId: 0, brandIds: null, isAdmin: true },
          ids: hashIds(benchAlphabet),
        };
        const input = { id: experimentId };
        const first = await getExperimentResults({ ctx, input });
        const verbMs = await median(5, () => getExperimentResults({ ctx, input }));
        const arms = first.counts.map((arm) => ({ n: arm.n, conversions: arm.conversions }));
        const agrees =
          arms.length === expected.length &&
          arms.every((arm, i) => arm.n === expected[i]?.n && arm.conversions === expected[i]?.conversions);
        const ratio = verbMs / Math.max(conversionFloor, 0.1);
        return {
          name: this.name,
          metrics: {
            assigned: arms.reduce((sum, arm) => sum + arm.n, 0),
            seed_s: seedSeconds === null ? "reused" : round(seedSeconds),
            results_ms: round(verbMs),
            floor_conversions_ms: round(conversionFloor),
            floor_members_ms: round(membersFloor),
            results_over_floor: round(ratio, 2),
            arms: JSON.stringify(arms),
            verdict: `${first.evaluation.verdict.kind} (${first.evaluation.verdict.code})`,
            counts_agree_with_floor: agrees ? "yes" : "NO",
          },
          targets: [
            {
              name: `results of ${customers.toLocaleString("en-US")} assigned customers within ${maxRatio}× the hand-written count`,
              met: agrees && ratio <= maxRatio,
              detail: `${round(verbMs)} ms; floor (the same count by hand) ${round(conversionFloor)} ms, ${round(ratio, 2)}×; members read alone ${round(membersFloor)} ms; counts ${agrees ? "agree" : "DISAGREE"}`,
            },
          ],
        };
      } finally {
        await close();
      }
    } finally {
      await client.end().catch(() => {});
      await scratch?.drop().catch(() => {});
    }
  },
};

export default resultsBench;

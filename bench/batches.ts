/**
 * Nightly jobs benchmark: each job of domain/batches/registry.ts run for one date on a generated sales
 * history (`npm run seed -- --customers N`: 1,000,000 customers in a full run, 20,000 with --quick) through
 * the code `npm run batch` runs (scripts/lib/batch.ts: the Worker's database handle, over the WebSocket
 * bridge), beside a floor query in the same run that scans the job's input once (one SELECT, straight to
 * PostgreSQL). Target: each job within 3× its floor.
 *
 * BENCH_BATCH_DATABASE_URL names an already seeded database to reuse (nothing is dropped); else a scratch
 * database on the bench server is migrated, seeded and dropped. BENCH_BATCH_JOBS (comma-separated names)
 * runs only those jobs.
 */
import pg from "pg";
import { parseBatchDate } from "../domain/batches/dates.ts";
import { nightlyJobs } from "../domain/batches/registry.ts";
import { openBatchDatabase, runBatchRange } from "../scripts/lib/batch.ts";
import { historyDatabase } from "./common.ts";
import type { Bench, BenchResult } from "./lib.ts";

const maxRatio = 3;
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** What each job reads, scanned once: the floor it is judged against. `$1` is the date's start, `$2` its end. */
const floors: Record<string, string> = {
  "subscription-expiry": `SELECT count(*) FROM subscriptions WHERE current_period_end < $2::timestamptz
                           AND $1::timestamptz IS NOT NULL`,
  // Every input the classification reads: accounts, their orders' first-touch parameters, their coupons and
  // their current classification.
  "acquisition-classification": `SELECT count(*), count(DISTINCT o.account_id), count(oc.coupon_id),
                                        sum(length(o.marketing::text)), count(aa.source)
                                   FROM brand_client_accounts a
                                   LEFT JOIN account_acquisition aa ON aa.account_id = a.id
                                   LEFT JOIN orders o ON o.account_id = a.id
                                   LEFT JOIN order_coupons oc ON oc.order_id = o.id
                                  WHERE $1::timestamptz < $2::timestamptz`,
  "daily-revenue": `SELECT (SELECT count(*) + coalesce(sum(o.total), 0) FROM orders o
                              JOIN brand_client_accounts a ON a.id = o.account_id
                             WHERE o.placed_at >= $1::timestamptz AND o.placed_at < $2::timestamptz),
                           (SELECT count(*) + coalesce(sum(r.amount), 0) FROM refunds r
                             WHERE r.refunded_at >= $1::timestamptz AND r.refunded_at < $2::timestamptz)`,
  "ltv-by-acquisition-month": `SELECT count(*), sum(a.invoiced - a.credited), count(aa.source)
                                  FROM brand_client_accounts a
                                  LEFT JOIN account_acquisition aa ON aa.account_id = a.id
                                 WHERE a.first_order_at < $2::timestamptz AND $1::timestamptz IS NOT NULL`,
  "rfm-scores": `SELECT count(*), count(DISTINCT o.account_id), sum(o.total - o.credited_total) FROM orders o
                   WHERE o.placed_at < $2::timestamptz AND o.cancelled_at IS NULL AND $1::timestamptz IS NOT NULL`,
  // The seed saves no cohorts: only the scan for daily ones.
  "cohort-snapshots": `SELECT count(*) FROM cohorts WHERE refresh = 'daily' AND deleted_at IS NULL
                         AND $1::timestamptz < $2::timestamptz`,
  "retention-cleanup": `SELECT (SELECT count(*) FROM capture_http_logs WHERE created_at < $1::timestamptz),
                               (SELECT count(*) FROM relay_attempts WHERE attempted_at < $2::timestamptz)`,
};

async function timedFloor(url: string, text: string, start: string, end: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, [start, end]); // warm the cache as the job's first chunk does
    const t0 = performance.now();
    await client.query(text, [start, end]);
    return performance.now() - t0;
  } finally {
    await client.end();
  }
}

const batchesBench: Bench = {
  name: "nightly jobs: each job for one date beside a scan of its input",
  async run({ databaseUrl, quick }): Promise<BenchResult> {
    const customers = Number(process.env.BENCH_BATCH_CUSTOMERS ?? (quick ? 20_000 : 1_000_000));
    const history = await historyDatabase(
      databaseUrl,
      process.env.BENCH_BATCH_DATABASE_URL,
      "batches",
      customers,
    );
    const url = history.url;
    try {
      const today = new Date();
      today.setUTCHours(0, 0, 0, 0);
      // The busiest recent day of the history: the date every job runs for.
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      const busiest = await probe
        .query<{ day: string }>(
          `SELECT to_char(date_trunc('day', placed_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day
             FROM orders WHERE placed_at >= now() - interval '60 days'
            GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1`,
        )
        .finally(() => probe.end());
      const date = parseBatchDate(busiest.rows[0]?.day ?? today.toISOString().slice(0, 10));
      if (!date) throw new Error("no date to run the jobs for");
      const start = `${date}T00:00:00Z`;
      const end = new Date(Date.parse(start) + 86_400_000).toISOString();

      const { handle, close } = await openBatchDatabase(url, process.env.DB_WS_PROXY);
      const metrics: Record<string, number | string> = { customers, date };
      if (history.seedSeconds !== null) metrics.seed_s = round(history.seedSeconds);
      const targets: BenchResult["targets"] = [];
      try {
        const only = process.env.BENCH_BATCH_JOBS?.split(",").filter(Boolean);
        for (const job of nightlyJobs.jobs.filter((each) => !only || only.includes(each.name))) {
          const floorText = floors[job.name];
          if (!floorText) throw new Error(`no floor for job ${job.name}`);
          const t0 = performance.now();
          const [result] = await runBatchRange(
            handle.db,
            { job, dates: [date], chunkSize: undefined },
            { retentionDaysHttpLogs: 30, retentionDaysRelayBodies: 30 },
          );
          const jobMs = performance.now() - t0;
          if (result?.outcome !== "succeeded")
            throw new Error(`${job.name}: ${result?.outcome} ${result?.error}`);
          // The same date again, caches warm: what a re-run costs when (nearly) nothing changed since.
          const t1 = performance.now();
          const [again] = await runBatchRange(
            handle.db,
            { job, dates: [date], chunkSize: undefined },
            { retentionDaysHttpLogs: 30, retentionDaysRelayBodies: 30 },
          );
          if (again?.outcome !== "succeeded") throw new Error(`${job.name} re-run: ${again?.outcome}`);
          metrics[`${job.name}_rerun_ms`] = round(performance.now() - t1);
          const floorMs = await timedFloor(url, floorText, start, end);
          const ratio = jobMs / Math.max(floorMs, 1);
          metrics[`${job.name}_ms`] = round(jobMs);
          metrics[`${job.name}_rows`] = result.rows;
          metrics[`${job.name}_floor_ms`] = round(floorMs);
          targets.push({
            name: `${job.name} within ${maxRatio}× its floor`,
            met: ratio <= maxRatio,
            detail: `${round(jobMs)} ms for ${result.rows.toLocaleString("en-US")} rows in ${result.chunks} chunks; floor ${round(floorMs)} ms; ${round(ratio, 2)}×`,
          });
        }
      } finally {
        await close();
      }
      return { name: this.name, metrics, targets };
    } finally {
      await history.drop().catch(() => {});
    }
  },
};

export default batchesBench;

import type { Database } from "../../db/client.ts";
import { type BatchDate, previousUtcDate } from "./dates.ts";
import type { BatchJob, BatchSettings, ChunkResult } from "./job.ts";
import { type BatchRegistry, jobsForCron } from "./registry.ts";
import {
  type BatchTrigger,
  claimRun,
  defaultLeaseSeconds,
  finishRun,
  holdClaim,
  recordChunk,
} from "./runs.ts";

/** How one job's run for one date ended. `skipped`: another run held the claim, nothing was done. */
export interface BatchRunResult {
  job: string;
  date: BatchDate;
  outcome: "succeeded" | "failed" | "skipped";
  /** The run's row in batch_runs; `null` when skipped. */
  runId: number | null;
  rows: number;
  chunks: number;
  error: string | null;
}

/** A run that never says it is done is stopped here rather than loop for ever. */
export const maxChunksPerRun = 100_000;

/**
 * Calls `step` with `limit` (and the previous step's `next`) until it reports `done`: the chunk loop of every run. Returns the rows and
 * chunks added up; refuses a step that reports more rows than its limit (a chunk must stay bounded).
 */
export async function runChunks(
  step: (limit: number, after: number | null) => Promise<ChunkResult>,
  limit: number,
  maxChunks = maxChunksPerRun,
): Promise<{ rows: number; chunks: number }> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`chunk size must be a positive integer, not ${limit}`);
  let rows = 0;
  let after: number | null = null;
  for (let chunks = 1; ; chunks += 1) {
    if (chunks > maxChunks)
      throw new Error(`stopped after ${maxChunks} chunks without the job saying it was done`);
    const result = await step(limit, after);
    after = result.next ?? null;
    if (result.rows > limit)
      throw new Error(`a chunk changed ${result.rows} rows, more than its limit of ${limit}`);
    rows += result.rows;
    if (result.done) return { rows, chunks };
  }
}

export interface RunOptions {
  settings: BatchSettings;
  trigger: BatchTrigger;
  /** Rows per chunk; the job's own chunk size by default. */
  chunkSize?: number;
  leaseSeconds?: number;
  /** After every committed chunk (the command's progress bar). */
  onChunk?: (rows: number) => void;
}

/**
 * What went wrong, for the run record: the database's own message when a query failed (drizzle wraps it in
 * an error whose message is the whole query), else the error's message.
 */
function messageOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if ("code" in current && typeof current.code === "string" && /^[0-9A-Z]{5}$/.test(current.code))
      return current.message;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * One run of `job` for `date`: claim the date, run the chunks (each in its own transaction with the claim's
 * heartbeat and the run's row count), record the outcome. A failing chunk rolls back whole and the run
 * is recorded `failed` with the error; it is not thrown. Skipped, with nothing written, when another run
 * of the job and date holds the claim.
 */
export async function runBatchJob(
  db: Database,
  job: BatchJob,
  date: BatchDate,
  options: RunOptions,
): Promise<BatchRunResult> {
  const leaseSeconds = options.leaseSeconds ?? defaultLeaseSeconds;
  const run = await claimRun(db, { job: job.name, date, trigger: options.trigger, leaseSeconds });
  if (!run) return { job: job.name, date, outcome: "skipped", runId: null, rows: 0, chunks: 0, error: null };
  let rows = 0;
  let chunks = 0;
  try {
    await runChunks(
      (limit, after) =>
        db
          .transaction(async (tx) => {
            await holdClaim(tx, run.id, leaseSeconds);
            const result = await job.chunk({ tx, date, settings: options.settings, limit, after });
            await recordChunk(tx, run.id, result.rows);
            return result;
          })
          .then((result) => {
            rows += result.rows;
            chunks += 1;
            options.onChunk?.(result.rows);
            return result;
          }),
      options.chunkSize ?? job.chunkSize,
    );
  } catch (error) {
    const message = messageOf(error);
    // If even this write fails (the database is gone), the run stays `running` until its lease expires.
    await finishRun(db, run.id, { outcome: "failed", error: message }).catch(() => null);
    return { job: job.name, date, outcome: "failed", runId: run.id, rows, chunks, error: message };
  }
  await finishRun(db, run.id, { outcome: "succeeded" });
  return { job: job.name, date, outcome: "succeeded", runId: run.id, rows, chunks, error: null };
}

/**
 * What a Cron Trigger runs: every job of `cron` in the registry, one after another, each for its date
 * (the day before `scheduledTime` in UTC unless the job says otherwise). A failed job does not stop the
 * next one.
 */
export async function runScheduledJobs(
  db: Database,
  registry: BatchRegistry,
  trigger: { cron: string; scheduledTime: Date },
  settings: BatchSettings,
): Promise<BatchRunResult[]> {
  const results: BatchRunResult[] = [];
  for (const job of jobsForCron(registry, trigger.cron)) {
    const date = job.dateFor ? job.dateFor(trigger.scheduledTime) : previousUtcDate(trigger.scheduledTime);
    try {
      results.push(await runBatchJob(db, job, date, { settings, trigger: "cron" }));
    } catch (error) {
      // The claim itself could not be written: no run row to record it on.
      const message = messageOf(error);
      results.push({
        job: job.name,
        date,
        outcome: "failed",
        runId: null,
        rows: 0,
        chunks: 0,
        error: message,
      });
    }
  }
  return results;
}

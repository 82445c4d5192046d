import type { Transaction } from "../../db/client.ts";
import type { RetentionConfig } from "../platform/retention-config.ts";
import type { BatchDate } from "./dates.ts";

/** What jobs may be configured with (Worker vars; `npm run batch` reads the same names from its environment). */
export interface BatchSettings {
  /** Capture HTTP logs older than this many days lose their raw parts. */
  retentionDaysHttpLogs: number;
  /** Relay attempts older than this many days lose their request and response bodies. */
  retentionDaysRelayBodies: number;
  /**
   * The deployment's hash-id alphabet (`SQIDS_ALPHABET`): the funnel job decodes the tracked-link tokens
   * landing captures carry (`lr_m`) with it. Without it `message-funnel` fails rather than count no visits.
   */
  sqidsAlphabet?: string;
}

/** The jobs' settings from the parsed configuration (the Worker's, or the command's environment). */
export const batchSettings = (config: RetentionConfig & { SQIDS_ALPHABET?: string }): BatchSettings => ({
  retentionDaysHttpLogs: config.RETENTION_DAYS_HTTP_LOGS,
  retentionDaysRelayBodies: config.RETENTION_DAYS_RELAY_BODIES,
  ...(config.SQIDS_ALPHABET === undefined ? {} : { sqidsAlphabet: config.SQIDS_ALPHABET }),
});

export interface ChunkInput {
  /** The chunk's own transaction: it commits with the run's heartbeat and row count, or not at all. */
  tx: Transaction;
  date: BatchDate;
  settings: BatchSettings;
  /** The most rows this chunk may change. */
  limit: number;
  /** Where the previous chunk of this run stopped (its {@link ChunkResult.next}); `null` for the first. */
  after: number | null;
}

export interface ChunkResult {
  /** Rows changed (written, updated or deleted) by this chunk. */
  rows: number;
  /** No work is left for this date. */
  done: boolean;
  /**
   * For a job that walks rows in id order (rather than picking those still to do): the last id this chunk
   * looked at, handed to the next chunk of the run as `after`.
   */
  next?: number | null;
}

/**
 * A nightly job. It works on one date and is idempotent for it: run again, it leaves exactly what one run
 * left (a job that rebuilds a date's output deletes and rewrites that date's rows, nothing else). Its
 * work is cut into chunks of at most `chunkSize` rows, each in its own transaction, so no statement or
 * transaction grows with the data and a run fits a Worker's limits; a failed chunk rolls back whole, and
 * a re-run picks up what the committed chunks left.
 */
export interface BatchJob {
  /** Kebab-case; what `npm run batch -- <job>` and `GET /api/v1/batch-runs?job=` take. */
  name: string;
  summary: string;
  /** The Cron Trigger (UTC) that runs it: one of wrangler.toml's `[triggers] crons`. */
  cron: string;
  chunkSize: number;
  /** The date a scheduled run works on; by default the previous day in UTC (dates.ts previousUtcDate). */
  dateFor?: (scheduledTime: Date) => BatchDate;
  chunk(input: ChunkInput): Promise<ChunkResult>;
}

import { parseArgs } from "node:util";
import { type DbHandle, openDb } from "../../db/client.ts";
import { type BatchDate, dateRange, parseBatchDate, previousUtcDate } from "../../domain/batches/dates.ts";
import { type BatchJob, type BatchSettings, batchSettings } from "../../domain/batches/job.ts";
import { type BatchRegistry, findJob, nightlyJobs } from "../../domain/batches/registry.ts";
import { type BatchRunResult, runBatchJob } from "../../domain/batches/runner.ts";
import { retentionConfigSchema } from "../../domain/platform/retention-config.ts";
import { readArgs, UsageError } from "./args.ts";
import { describeUrl } from "./database.ts";
import { positiveInt } from "./replay.ts";
import { startWsBridge } from "./ws-bridge.ts";

export const batchUsage = (registry: BatchRegistry = nightlyJobs) => `Usage: npm run batch -- <job> [options]

Runs a nightly job by hand for each date of a range, oldest first, with the same code and the same run
records (trigger "manual") as the Cron Trigger. A date another run of the job still holds is skipped.
DATABASE_URL names the database.

Jobs:
${registry.jobs.map((job) => `  ${job.name.padEnd(24)} ${job.summary} (cron "${job.cron}")`).join("\n")}

Options:
  --from YYYY-MM-DD   the first date (UTC; default: yesterday, the date tonight's run would take)
  --to YYYY-MM-DD     the last date (default: --from)
  --chunk N           rows per transaction (default: the job's own)
  -h, --help          this text

Settings come from the environment, else wrangler.toml's [vars]: RETENTION_DAYS_HTTP_LOGS,
RETENTION_DAYS_RELAY_BODIES.`;

export interface BatchCommand {
  job: BatchJob;
  dates: BatchDate[];
  chunkSize: number | undefined;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      chunk: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function dateFlag(flag: string, raw: string): BatchDate {
  const date = parseBatchDate(raw.trim());
  if (date === null) throw new UsageError(`${flag}: expected a date YYYY-MM-DD, got ${JSON.stringify(raw)}`);
  return date;
}

/** Parses `<job> [--from D] [--to D] [--chunk N]`; throws UsageError naming the bad argument. */
export function parseBatchArgs(
  argv: string[],
  now: Date,
  registry: BatchRegistry = nightlyJobs,
): BatchCommand | "help" {
  const [first, ...rest] = argv;
  const named = first !== undefined && !first.startsWith("-");
  const values = readArgs(parse, named ? rest : argv);
  if (values === "help") return "help";
  if (!named) throw new UsageError("name the job: npm run batch -- <job> --from YYYY-MM-DD --to YYYY-MM-DD");
  const job = findJob(registry, first);
  if (!job)
    throw new UsageError(
      `unknown job ${JSON.stringify(first)}; jobs: ${registry.jobs.map((known) => known.name).join(", ")}`,
    );
  const from = values.from === undefined ? previousUtcDate(now) : dateFlag("--from", values.from);
  const to = values.to === undefined ? from : dateFlag("--to", values.to);
  let dates: BatchDate[];
  try {
    dates = dateRange(from, to);
  } catch (error) {
    throw new UsageError(`--to: ${error instanceof Error ? error.message : String(error)}`);
  }
  const chunkSize = values.chunk === undefined ? undefined : positiveInt("--chunk", values.chunk);
  return { job, dates, chunkSize };
}

/** The jobs' settings as the deployed Worker has them: the environment first, then wrangler.toml's [vars]. */
export function batchSettingsFrom(
  env: Record<string, string | undefined>,
  tomlVars: Record<string, string>,
): BatchSettings {
  const pick = (name: string) => env[name] ?? tomlVars[name];
  const result = retentionConfigSchema.safeParse({
    RETENTION_DAYS_HTTP_LOGS: pick("RETENTION_DAYS_HTTP_LOGS"),
    RETENTION_DAYS_RELAY_BODIES: pick("RETENTION_DAYS_RELAY_BODIES"),
  });
  if (!result.success)
    throw new UsageError(
      result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
    );
  const alphabet = pick("SQIDS_ALPHABET");
  return batchSettings(alphabet ? { ...result.data, SQIDS_ALPHABET: alphabet } : result.data);
}

/**
 * The Worker's own database handle (db/client.ts: the Neon driver over WebSocket), so the command runs
 * exactly the code the Cron Trigger runs. Neon is reached directly; any other Postgres through an
 * in-process WebSocket bridge, as `npm start` gives the Worker (or the bridge named by DB_WS_PROXY).
 */
export async function openBatchDatabase(
  url: string,
  wsProxy: string | undefined,
): Promise<{ handle: DbHandle; close(): Promise<void> }> {
  const { host, port } = describeUrl(url);
  if (wsProxy || host.endsWith(".neon.tech")) {
    const handle = openDb({ DATABASE_URL: url, DB_WS_PROXY: wsProxy || undefined }, 2);
    return { handle, close: () => handle.close() };
  }
  const bridge = await startWsBridge({ host, port });
  const handle = openDb({ DATABASE_URL: url, DB_WS_PROXY: `127.0.0.1:${bridge.port}` }, 2);
  return {
    handle,
    close: async () => {
      await handle.close();
      await bridge.close();
    },
  };
}

export interface RangeProgress {
  /** Before each date. */
  date?: (date: BatchDate, index: number) => void;
  /** After each committed chunk. */
  chunk?: (rows: number) => void;
  /** After each date's run. */
  done?: (result: BatchRunResult) => void;
}

/** Runs `command` for each of its dates, one after another (manual trigger); the results in date order. */
export async function runBatchRange(
  db: DbHandle["db"],
  command: BatchCommand,
  settings: BatchSettings,
  progress: RangeProgress = {},
): Promise<BatchRunResult[]> {
  const results: BatchRunResult[] = [];
  for (const [index, date] of command.dates.entries()) {
    progress.date?.(date, index);
    const result = await runBatchJob(db, command.job, date, {
      settings,
      trigger: "manual",
      ...(command.chunkSize === undefined ? {} : { chunkSize: command.chunkSize }),
      ...(progress.chunk ? { onChunk: progress.chunk } : {}),
    });
    results.push(result);
    progress.done?.(result);
  }
  return results;
}

/** One line per run, as the command prints it. */
export function resultLine(result: BatchRunResult): string {
  const rows = `${result.rows.toLocaleString("en-US")} row${result.rows === 1 ? "" : "s"}`;
  switch (result.outcome) {
    case "succeeded":
      return `${result.job} ${result.date}: succeeded, ${rows} in ${result.chunks} chunk${result.chunks === 1 ? "" : "s"}`;
    case "skipped":
      return `${result.job} ${result.date}: skipped, another run holds the date (GET /api/v1/batch-runs?outcome=running)`;
    default:
      return `${result.job} ${result.date}: FAILED after ${rows}: ${result.error ?? "unknown error"}`;
  }
}

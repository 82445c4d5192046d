/**
 * `npm run batch -- <job> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--chunk N]`: a nightly job by hand, for
 * each date of the range, through the same domain code and database driver as the Cron Trigger
 * (scripts/lib/batch.ts), with a progress bar on stderr. Exits 1 when a date failed or was skipped.
 */
import cliProgress from "cli-progress";
import { UsageError } from "./lib/args.ts";
import {
  batchSettingsFrom,
  batchUsage,
  openBatchDatabase,
  parseBatchArgs,
  resultLine,
  runBatchRange,
} from "./lib/batch.ts";
import { redact } from "./lib/stack.ts";
import { wranglerTomlVars } from "./lib/wrangler.ts";

async function main(): Promise<number> {
  let command: ReturnType<typeof parseBatchArgs>;
  let settings: ReturnType<typeof batchSettingsFrom>;
  try {
    command = parseBatchArgs(process.argv.slice(2), new Date());
    settings = batchSettingsFrom(process.env, wranglerTomlVars());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${batchUsage()}`);
    return 2;
  }
  if (command === "help") {
    console.log(batchUsage());
    return 0;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set: name the database the job should run on.");
    return 2;
  }
  const { job, dates } = command;
  console.log(
    `${job.name}: ${dates.length} date${dates.length === 1 ? "" : "s"}, ${dates[0]} to ${dates.at(-1)}, on ${redact(url)}`,
  );
  const database = await openBatchDatabase(url, process.env.DB_WS_PROXY);
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {value}/{total} dates | {date} | {rows} rows",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let rows = 0;
  const lines: string[] = [];
  bar.start(dates.length, 0, { date: dates[0], rows: 0 });
  let results: Awaited<ReturnType<typeof runBatchRange>>;
  try {
    results = await runBatchRange(database.handle.db, command, settings, {
      date: (date) => bar.update({ date }),
      chunk: (chunkRows) => {
        rows += chunkRows;
        bar.update({ rows });
      },
      done: (result) => {
        lines.push(resultLine(result));
        bar.increment();
      },
    });
  } finally {
    bar.stop();
    await database.close();
  }
  for (const line of lines) console.log(line);
  return results.every((result) => result.outcome === "succeeded") ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`batch: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

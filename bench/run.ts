/**
 * `npm run bench` (`-- --quick` for short runs, `-- redirect` to run one): runs each benchmark
 * module, prints its metrics and whether each target was met, and writes bench/results/latest.json.
 * A missed target is reported, not failed: the exit code is non-zero only when a benchmark could
 * not run at all.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { redact } from "../scripts/lib/stack.ts";
import type { Bench, BenchResult } from "./lib.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
/** Every benchmark, in the order it runs. */
const modules = [
  "redirect.ts",
  "consumer.ts",
  "orders.ts",
  "relays.ts",
  "email-events.ts",
  "commerce-events.ts",
  "collect.ts",
  "sends.ts",
  "experiment-results.ts",
  "batches.ts",
  "analytics.ts",
  "dashboard.ts",
  "growth.ts",
];

interface Outcome {
  module: string;
  status: "ran" | "skipped" | "failed";
  reason?: string;
  durationMs?: number;
  result?: BenchResult;
}

function isBench(value: unknown): value is Bench {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Bench).name === "string" &&
    typeof (value as Bench).run === "function"
  );
}

async function runModule(file: string, databaseUrl: string, quick: boolean): Promise<Outcome> {
  const full = path.join(benchDir, file);
  if (!existsSync(full))
    return { module: file, status: "skipped", reason: `bench/${file} does not exist yet` };
  const loaded: { default?: unknown } = await import(pathToFileURL(full).href);
  if (!isBench(loaded.default)) {
    return { module: file, status: "failed", reason: `bench/${file} does not \`export default\` a Bench` };
  }
  const started = performance.now();
  try {
    const result = await loaded.default.run({ databaseUrl, quick });
    return { module: file, status: "ran", durationMs: Math.round(performance.now() - started), result };
  } catch (error) {
    const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { module: file, status: "failed", reason, durationMs: Math.round(performance.now() - started) };
  }
}

function formatValue(value: number | string): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ")).join("\n");
}

function printOutcome(outcome: Outcome): void {
  const title = outcome.result?.name ?? outcome.module;
  console.log(
    `\n== ${title} (${outcome.status}${outcome.durationMs ? `, ${(outcome.durationMs / 1000).toFixed(1)} s` : ""})`,
  );
  if (outcome.status !== "ran" || !outcome.result) {
    console.log(`   ${outcome.reason ?? ""}`);
    return;
  }
  const metrics = Object.entries(outcome.result.metrics).map(([name, value]) => [
    `   ${name}`,
    formatValue(value),
  ]);
  if (metrics.length > 0) console.log(table([["   metric", "value"], ...metrics]));
  const targets = outcome.result.targets.map((target) => [
    `   ${target.name}`,
    target.met ? "met" : "MISSED",
    target.detail,
  ]);
  if (targets.length > 0) console.log(`\n${table([["   target", "result", "detail"], ...targets])}`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { quick: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log("Usage: npm run bench -- [--quick] [redirect|consumer]...");
    return 0;
  }
  const known = modules.map((file) => file.replace(/\.ts$/, ""));
  const unknown = positionals.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${known.join(", ")}`);
    return 2;
  }
  const selected =
    positionals.length > 0
      ? modules.filter((file) => positionals.includes(file.replace(/\.ts$/, "")))
      : modules;
  const quick = values.quick ?? false;
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ||
    process.env.DATABASE_URL ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  const cpus = os.cpus();
  console.log(
    `leadrail benchmarks${quick ? " (quick)" : ""}: database ${redact(databaseUrl)}, ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, node ${process.version}`,
  );

  const startedAt = new Date().toISOString();
  const outcomes: Outcome[] = [];
  for (const file of selected) {
    console.log(`\nrunning bench/${file}…`);
    const outcome = await runModule(file, databaseUrl, quick);
    outcomes.push(outcome);
    printOutcome(outcome);
  }

  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick,
    database: redact(databaseUrl),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? null,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    benches: outcomes,
  };
  const resultsDir = path.join(benchDir, "results");
  mkdirSync(resultsDir, { recursive: true });
  const out = path.join(resultsDir, "latest.json");
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  const targets = outcomes.flatMap((outcome) => outcome.result?.targets ?? []);
  const missed = targets.filter((target) => !target.met).length;
  const failed = outcomes.filter((outcome) => outcome.status === "failed");
  const skipped = outcomes.filter((outcome) => outcome.status === "skipped");
  console.log(
    `\n${targets.length - missed}/${targets.length} targets met` +
      (skipped.length > 0 ? `, ${skipped.length} skipped` : "") +
      (failed.length > 0 ? `, ${failed.length} could not run` : "") +
      `; results in ${path.relative(process.cwd(), out)}`,
  );
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);

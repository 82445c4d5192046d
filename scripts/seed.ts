/**
 * `npm run seed`: the demo catalog and admin API key alone, into DATABASE_URL (migrations must
 * already be applied). Idempotent. With `--customers N`, then a generated sales history of N customers
 * (scripts/lib/history-seed.ts): refused when the brands already have orders, unless `--append`.
 */
import { hashIds } from "../domain/core/hash-ids.ts";
import { adminKeyFromEnv, BadApiKeyError } from "./lib/admin-key.ts";
import { UsageError } from "./lib/args.ts";
import {
  type HistorySummary,
  historyTables,
  ledgerConsistent,
  parseSeedArgs,
  progressLine,
  seedHistory,
  seedUsage,
  verifyLedger,
} from "./lib/history-seed.ts";
import { seedDemo } from "./lib/seed.ts";
import { redact } from "./lib/stack.ts";
import { wranglerTomlVars } from "./lib/wrangler.ts";

async function main(): Promise<void> {
  let args: ReturnType<typeof parseSeedArgs>;
  try {
    args = parseSeedArgs(process.argv.slice(2), new Date());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${seedUsage}`);
    process.exit(2);
  }
  if (args === "help") {
    console.log(seedUsage);
    return;
  }
  let adminKey: string;
  try {
    adminKey = adminKeyFromEnv();
  } catch (error) {
    if (!(error instanceof BadApiKeyError)) throw error;
    console.error(`seed: ${error.message}`);
    process.exit(2);
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      "DATABASE_URL is not set (`npm start` seeds its own database; this is for a server you run).",
    );
    process.exit(2);
  }
  const seed = await seedDemo(url, adminKey);
  const alphabet = process.env.SQIDS_ALPHABET || wranglerTomlVars().SQIDS_ALPHABET;
  console.log(`seeded ${redact(url)}`);
  for (const landing of Object.values(seed.landings)) {
    const ref = alphabet ? hashIds(alphabet).encode("landing", landing.id) : `id ${landing.id}`;
    console.log(`  landing /l/${ref}  ${landing.name}`);
  }
  console.log(`  admin API key: ${adminKey} (only its SHA-256 is stored)`);
  console.log("Publish landings and rules to KV with POST /api/v1/admin/publish once the Worker runs.");

  const history = args.history;
  if (history === null) return;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  console.log(
    `history: ${history.customers.toLocaleString("en-US")} customers, seed ${history.seed}, ${day(history.from)} to ${day(history.to)}`,
  );
  const tty = process.stderr.isTTY === true;
  let lastLine = "";
  const summary = await seedHistory(url, history, (done, total, elapsedMs) => {
    lastLine = progressLine(done, total, elapsedMs);
    process.stderr.write(tty ? `\r${lastLine}` : `${lastLine}\n`);
  });
  if (tty) process.stderr.write("\n");
  printSummary(summary);

  const verifyStarted = Date.now();
  const check = await verifyLedger(url);
  const verifySeconds = (Date.now() - verifyStarted) / 1000;
  console.log(`verification (${verifySeconds.toFixed(1)} s, every account of the database):`);
  for (const [name, value] of Object.entries(check)) console.log(`  ${name.padEnd(24)} ${value}`);
  if (!ledgerConsistent(check)) {
    console.error("the ledger is NOT consistent: the counts above name the broken invariants");
    process.exit(1);
  }
  console.log(
    "ledger consistent: every account's six totals equal the sums of its rows; consents and fulfilment equal their latest history, and every event names its order",
  );
}

function printSummary(summary: HistorySummary): void {
  const total = historyTables.reduce((sum, table) => sum + summary.rows[table], 0);
  console.log(
    `history: ${summary.customers.toLocaleString("en-US")} customers from #${summary.offset} in ${summary.seconds.toFixed(1)} s, ${total.toLocaleString("en-US")} rows (${Math.round(total / summary.seconds).toLocaleString("en-US")} rows/s), foreign key checks ${summary.fkChecks ? "on" : "skipped"}`,
  );
  for (const table of historyTables)
    console.log(`  ${table.padEnd(26)} ${summary.rows[table].toLocaleString("en-US").padStart(12)}`);
  const slowest = Object.entries(summary.steps)
    .sort((a, b) => b[1] - a[1])
    .slice(0, process.env.SEED_ALL_STEPS ? undefined : 8)
    .map(([step, seconds]) => `${step} ${seconds.toFixed(1)}`);
  console.log(`  slowest steps (s): ${slowest.join(", ")}`);
}

main().catch((error) => {
  console.error(`seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

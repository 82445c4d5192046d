import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { asc, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchRuns } from "../../db/schema/batches.ts";
import { brands, products } from "../../db/schema/catalog.ts";
import { contacts, emails } from "../../db/schema/identity.ts";
import { brandClientAccounts, markets, productOffers } from "../../db/schema/sales.ts";
import { subscriptionHistory, subscriptions } from "../../db/schema/subscriptions.ts";
import type { SubscriptionState } from "../../domain/subscriptions/states.ts";
import { UsageError } from "../../scripts/lib/args.ts";
import { batchSettingsFrom, parseBatchArgs, resultLine } from "../../scripts/lib/batch.ts";
import {
  applyMigrations,
  createScratchDatabase,
  externalDatabase,
  type RunningDatabase,
  repoRoot,
  startEmbeddedPostgres,
} from "../../scripts/lib/database.ts";

const run = promisify(execFile);
const now = new Date("2026-12-04T09:00:00Z");

describe("npm run batch flags", () => {
  it("takes the job, then the range", () => {
    const command = parseBatchArgs(
      ["subscription-expiry", "--from", "2026-11-29", "--to", "2026-12-01", "--chunk", "500"],
      now,
    );
    expect(command === "help" ? command : { ...command, job: command.job.name }).toEqual({
      job: "subscription-expiry",
      dates: ["2026-11-29", "2026-11-30", "2026-12-01"],
      chunkSize: 500,
    });
  });

  it("defaults to the date tonight's run would take, and --to to --from", () => {
    const yesterday = parseBatchArgs(["retention-cleanup"], now);
    expect(yesterday === "help" ? [] : yesterday.dates).toEqual(["2026-12-03"]);
    const one = parseBatchArgs(["retention-cleanup", "--from", "2026-10-01"], now);
    expect(one === "help" ? [] : one.dates).toEqual(["2026-10-01"]);
    expect(parseBatchArgs(["--help"], now)).toBe("help");
    expect(parseBatchArgs(["subscription-expiry", "-h"], now)).toBe("help");
  });

  it.each([
    [[], "name the job: npm run batch -- <job> --from YYYY-MM-DD --to YYYY-MM-DD"],
    [["--from", "2026-11-01"], "name the job: npm run batch -- <job> --from YYYY-MM-DD --to YYYY-MM-DD"],
    [
      ["rfm"],
      'unknown job "rfm"; jobs: subscription-expiry, acquisition-classification, daily-revenue, ltv-by-acquisition-month, rfm-scores, cohort-snapshots, retention-cleanup, message-funnel, experiment-evaluation',
    ],
    [["subscription-expiry", "--from", "2026-02-30"], '--from: expected a date YYYY-MM-DD, got "2026-02-30"'],
    [
      ["subscription-expiry", "--from", "2026-11-02", "--to", "2026-11-01"],
      "--to: the range ends (2026-11-01) before it starts (2026-11-02)",
    ],
    [["subscription-expiry", "--chunk", "0"], '--chunk: expected a positive integer, got "0"'],
    [["subscription-expiry", "extra"], "unexpected argument: extra"],
    [["subscription-expiry", "--date", "2026-11-01"], "Unknown option '--date'"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseBatchArgs(argv, now)).toThrow(UsageError);
    expect(() => parseBatchArgs(argv, now)).toThrow(message);
  });

  it("reads the retention settings from the environment, then wrangler.toml", () => {
    expect(
      batchSettingsFrom({ RETENTION_DAYS_HTTP_LOGS: "30" }, { RETENTION_DAYS_RELAY_BODIES: "60" }),
    ).toEqual({
      retentionDaysHttpLogs: 30,
      retentionDaysRelayBodies: 60,
    });
    expect(batchSettingsFrom({}, {})).toEqual({ retentionDaysHttpLogs: 90, retentionDaysRelayBodies: 90 });
    expect(batchSettingsFrom({}, { SQIDS_ALPHABET: "abcdefghijklmnopq" })).toEqual({
      retentionDaysHttpLogs: 90,
      retentionDaysRelayBodies: 90,
      sqidsAlphabet: "abcdefghijklmnopq",
    });
    expect(() => batchSettingsFrom({ RETENTION_DAYS_HTTP_LOGS: "0" }, {})).toThrow(UsageError);
  });

  it("prints one line per run", () => {
    const base = { job: "subscription-expiry", date: "2026-11-30", runId: 1, chunks: 2 };
    expect(resultLine({ ...base, outcome: "succeeded", rows: 1200, error: null })).toBe(
      "subscription-expiry 2026-11-30: succeeded, 1,200 rows in 2 chunks",
    );
    expect(resultLine({ ...base, outcome: "failed", rows: 1, error: "boom" })).toBe(
      "subscription-expiry 2026-11-30: FAILED after 1 row: boom",
    );
  });
});

/** A database of its own (a run expires every due subscription of the database it is given). */
async function freshDatabase(): Promise<RunningDatabase & { drop(): Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (server) {
    const scratch = await createScratchDatabase(server, `leadrail_batch_${process.pid}`);
    await applyMigrations(scratch.url);
    return { ...externalDatabase(scratch.url), drop: scratch.drop };
  }
  const embedded = await startEmbeddedPostgres();
  await applyMigrations(embedded.url);
  return { ...embedded, drop: async () => {} };
}

describe("npm run batch against a database", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let client: pg.Client;
  const made: Record<string, number> = {};

  beforeAll(async () => {
    database = await freshDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const db = drizzle(client);
    const [brand] = await db.insert(brands).values({ name: "Acme", slug: "acme" }).returning();
    const [market] = await db
      .insert(markets)
      .values({ code: "kr", name: "Korea", country: "KR", currency: "KRW", timeZone: "Asia/Seoul" })
      .returning();
    const [email] = await db
      .insert(emails)
      .values({
        address: "jane@example.com",
        domain: "example.com",
        sha256: "a".repeat(64),
        md5: "b".repeat(32),
      })
      .returning();
    if (!brand || !market || !email) throw new Error("no rows");
    const [product] = await db
      .insert(products)
      .values({ brandId: brand.id, name: "Beans", sku: "BEANS" })
      .returning();
    const [contact] = await db.insert(contacts).values({ emailId: email.id }).returning();
    if (!product || !contact) throw new Error("no rows");
    const [account] = await db
      .insert(brandClientAccounts)
      .values({
        brandId: brand.id,
        marketId: market.id,
        emailId: email.id,
        contactId: contact.id,
        currency: "KRW",
      })
      .returning();
    const [offer] = await db
      .insert(productOffers)
      .values({
        productId: product.id,
        marketId: market.id,
        code: "monthly",
        name: "Monthly",
        currency: "KRW",
        unitPrice: 29_000,
        interval: "month",
        intervalCount: 1,
      })
      .returning();
    if (!account || !offer) throw new Error("no rows");
    const plan: [string, SubscriptionState, string][] = [
      ["day1", "active", "2026-11-29T10:00:00Z"],
      ["day2a", "active", "2026-11-30T01:00:00Z"],
      ["day2b", "suspended", "2026-11-30T23:00:00Z"],
      ["day4", "active", "2026-12-02T00:00:00Z"],
      ["cancelled", "cancelled", "2026-11-29T10:00:00Z"],
    ];
    for (const [label, state, end] of plan) {
      const [row] = await db
        .insert(subscriptions)
        .values({
          brandId: brand.id,
          accountId: account.id,
          productId: product.id,
          offerId: offer.id,
          platform: "shopify",
          externalId: label,
          state,
          occurrences: 1,
          currentPeriodStart: new Date(Date.parse(end) - 30 * 86_400_000),
          currentPeriodEnd: new Date(end),
        })
        .returning();
      if (!row) throw new Error("no subscription");
      await db.insert(subscriptionHistory).values({
        subscriptionId: row.id,
        toState: state,
        occurrences: 1,
        source: "order",
      });
      made[label] = row.id;
    }
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await database?.stop();
    await database?.drop();
  });

  const batch = (args: string[]) =>
    run(path.join(repoRoot, "node_modules/.bin/tsx"), [path.join(repoRoot, "scripts/batch.ts"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: database.url, DB_WS_PROXY: "" },
    });

  it("runs the job for each date of a 3-day range, recording each run", async () => {
    const { stdout } = await batch(["subscription-expiry", "--from", "2026-11-29", "--to", "2026-12-01"]);
    expect(stdout.trim().split("\n").slice(1)).toEqual([
      "subscription-expiry 2026-11-29: succeeded, 1 row in 1 chunk",
      "subscription-expiry 2026-11-30: succeeded, 2 rows in 1 chunk",
      "subscription-expiry 2026-12-01: succeeded, 0 rows in 1 chunk",
    ]);
    const db = drizzle(client);
    const runs = await db.select().from(batchRuns).orderBy(asc(batchRuns.id));
    expect(
      runs.map(({ job, runDate, trigger, outcome, rows, chunks, error }) => ({
        job,
        runDate,
        trigger,
        outcome,
        rows,
        chunks,
        error,
      })),
    ).toEqual([
      {
        job: "subscription-expiry",
        runDate: "2026-11-29",
        trigger: "manual",
        outcome: "succeeded",
        rows: 1,
        chunks: 1,
        error: null,
      },
      {
        job: "subscription-expiry",
        runDate: "2026-11-30",
        trigger: "manual",
        outcome: "succeeded",
        rows: 2,
        chunks: 1,
        error: null,
      },
      {
        job: "subscription-expiry",
        runDate: "2026-12-01",
        trigger: "manual",
        outcome: "succeeded",
        rows: 0,
        chunks: 1,
        error: null,
      },
    ]);
    for (const row of runs) expect(row.finishedAt?.getTime()).toBeGreaterThanOrEqual(row.startedAt.getTime());
    const states = await db
      .select({ externalId: subscriptions.externalId, state: subscriptions.state })
      .from(subscriptions)
      .where(inArray(subscriptions.id, Object.values(made)))
      .orderBy(asc(subscriptions.id));
    expect(states).toEqual([
      { externalId: "day1", state: "expired" },
      { externalId: "day2a", state: "expired" },
      { externalId: "day2b", state: "expired" },
      { externalId: "day4", state: "active" },
      { externalId: "cancelled", state: "cancelled" },
    ]);

    // Again for the same range: nothing more to do, three more run records.
    const again = await batch([
      "subscription-expiry",
      "--from",
      "2026-11-29",
      "--to",
      "2026-12-01",
      "--chunk",
      "1",
    ]);
    expect(again.stdout).toContain("subscription-expiry 2026-11-30: succeeded, 0 rows in 1 chunk");
    expect(await db.select().from(batchRuns)).toHaveLength(6);
    expect(
      await db
        .select()
        .from(subscriptionHistory)
        .where(inArray(subscriptionHistory.source, ["batch"])),
    ).toHaveLength(3);
  }, 120_000);

  it("exits 2 with the usage on a bad command line, writing nothing", async () => {
    const failure = await batch(["no-such-job"]).catch((error: { code: number; stderr: string }) => error);
    expect("code" in failure ? failure.code : 0).toBe(2);
    expect("stderr" in failure ? failure.stderr : "").toContain('unknown job "no-such-job"');
    expect(await drizzle(client).select().from(batchRuns)).toHaveLength(6);
  }, 60_000);
});

import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { batchRuns } from "../../db/schema/batches.ts";
import { captureHttpLogs, captures } from "../../db/schema/capture.ts";
import { relayAttempts, relayJobs } from "../../db/schema/relay.ts";
import { subscriptionHistory, subscriptions } from "../../db/schema/subscriptions.ts";
import type { BatchDate } from "../../domain/batches/dates.ts";
import { type BatchJob, batchSettings } from "../../domain/batches/job.ts";
import { retentionCleanupJob } from "../../domain/batches/job-retention-cleanup.ts";
import { subscriptionExpiryJob } from "../../domain/batches/job-subscription-expiry.ts";
import { batchRegistry, nightlyJobs } from "../../domain/batches/registry.ts";
import { runBatchJob, runScheduledJobs } from "../../domain/batches/runner.ts";
import { ClaimLost, claimRun, finishRun, holdClaim } from "../../domain/batches/runs.ts";
import { handleScheduled } from "../../domain/batches/scheduled.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { expiryReason } from "../../domain/subscriptions/expiry.ts";
import type { SubscriptionState } from "../../domain/subscriptions/states.ts";
import worker from "../../workers/index.ts";
import {
  call,
  createTenant,
  expectProblem,
  ids,
  insertApiKey,
  ok,
  rand,
  type Tenant,
  withDb,
} from "../support/api.ts";
import { onEmbeddedDatabase } from "../support/database-kind.ts";
import { type AccountFixture, insertAccount, insertSubscription } from "../support/markets.ts";

/*
 * Batch jobs are global: a run expires or clears every row of the database that is due. The other test files
 * share this database, so every row these tests make due lies before 1970, which nothing else can write
 * (the API refuses instants before 1970). Within the file, each test works on an earlier date than the one
 * before it, so a run never reaches what an earlier test left on purpose (a run for a date also handles
 * every earlier date).
 */

const settings = batchSettings(dbConfig(env));

let tenant: Tenant;
let account: AccountFixture;

beforeAll(async () => {
  tenant = await createTenant();
  account = await insertAccount(tenant);
});

/** A subscription in `state` whose current period ends at `end`. */
async function subscriptionEnding(state: SubscriptionState, end: string): Promise<number> {
  const { id } = await insertSubscription(account, state);
  await withDb((db) =>
    db
      .update(subscriptions)
      .set({
        currentPeriodStart: new Date(Date.parse(end) - 30 * 86_400_000),
        currentPeriodEnd: new Date(end),
      })
      .where(eq(subscriptions.id, id)),
  );
  return id;
}

const run = (job: BatchJob, date: BatchDate, options: { chunkSize?: number; leaseSeconds?: number } = {}) =>
  withDb((db) => runBatchJob(db, job, date, { settings, trigger: "manual", ...options }));

const runRow = (id: number | null) =>
  withDb(async (db) => {
    if (id === null) throw new Error("no run id");
    const [row] = await db.select().from(batchRuns).where(eq(batchRuns.id, id));
    if (!row) throw new Error("no run row");
    return row;
  });

const runsOf = (job: string, date: BatchDate) =>
  withDb((db) =>
    db
      .select()
      .from(batchRuns)
      .where(and(eq(batchRuns.job, job), eq(batchRuns.runDate, date)))
      .orderBy(asc(batchRuns.id)),
  );

/** The subscriptions and their history rows, as stored. */
const subscriptionRows = (subscriptionIds: number[]) =>
  withDb(async (db) => ({
    subscriptions: await db
      .select()
      .from(subscriptions)
      .where(inArray(subscriptions.id, subscriptionIds))
      .orderBy(asc(subscriptions.id)),
    history: await db
      .select()
      .from(subscriptionHistory)
      .where(inArray(subscriptionHistory.subscriptionId, subscriptionIds))
      .orderBy(asc(subscriptionHistory.id)),
  }));

const states = async (subscriptionIds: number[]) =>
  (await subscriptionRows(subscriptionIds)).subscriptions.map((row) => row.state);

describe("cron dispatch inside workerd", () => {
  it("runs each cron's jobs for the previous UTC day through the Worker's scheduled handler", async () => {
    const due = await subscriptionEnding("active", "1969-12-31T10:00:00.000Z");
    const notYet = await subscriptionEnding("active", "1970-01-01T00:00:00.000Z");

    await worker.scheduled(
      createScheduledController({ cron: "10 0 * * *", scheduledTime: new Date("1970-01-01T00:10:00Z") }),
      env,
    );
    expect(await states([due, notYet])).toEqual(["expired", "active"]);
    const [expiry] = await runsOf("subscription-expiry", "1969-12-31");
    expect(expiry).toMatchObject({ trigger: "cron", outcome: "succeeded", rows: 1, chunks: 1, error: null });
    expect(await runsOf("retention-cleanup", "1969-12-31")).toEqual([]);

    await worker.scheduled(
      createScheduledController({ cron: "30 3 * * *", scheduledTime: new Date("1970-01-01T03:30:00Z") }),
      env,
    );
    expect(
      (await runsOf("retention-cleanup", "1969-12-31")).map((row) => [row.trigger, row.outcome]),
    ).toEqual([["cron", "succeeded"]]);
    expect(await runsOf("subscription-expiry", "1969-12-31")).toHaveLength(1);

    // A cron no job uses runs nothing.
    await worker.scheduled(
      createScheduledController({ cron: "0 12 * * *", scheduledTime: new Date("1970-01-01T12:00:00Z") }),
      env,
    );
    expect(await runsOf("subscription-expiry", "1969-12-31")).toHaveLength(1);
  });

  it("fails the invocation when a job failed, after running the others", async () => {
    const failing: BatchJob = {
      name: "test-failing-cron",
      summary: "Fails.",
      cron: "45 4 * * *",
      chunkSize: 10,
      async chunk({ tx }) {
        await tx.execute(sql`SELECT 1 / 0`);
        return { rows: 0, done: true };
      },
    };
    const registry = batchRegistry([failing, { ...subscriptionExpiryJob, cron: "45 4 * * *" }]);
    const due = await subscriptionEnding("suspended", "1969-12-20T10:00:00.000Z");
    await expect(
      handleScheduled(
        { cron: "45 4 * * *", scheduledTime: Date.parse("1969-12-21T04:45:00Z") },
        env,
        registry,
      ),
    ).rejects.toThrow("batch jobs failed: test-failing-cron 1969-12-20");
    expect(await states([due])).toEqual(["expired"]);
    const [failed] = await runsOf("test-failing-cron", "1969-12-20");
    expect(failed).toMatchObject({
      trigger: "cron",
      outcome: "failed",
      rows: 0,
      chunks: 0,
      error: "division by zero",
    });
  });
});

describe("subscription expiry", () => {
  it("expires what the transition table lets expire, with the history row a transition writes", async () => {
    const date = "1969-11-10";
    const made = {
      active: await subscriptionEnding("active", "1969-11-10T12:00:00.000Z"),
      suspended: await subscriptionEnding("suspended", "1969-11-10T23:59:59.999Z"),
      nextDay: await subscriptionEnding("active", "1969-11-11T00:00:00.000Z"),
      cancelled: await subscriptionEnding("cancelled", "1969-11-01T00:00:00.000Z"),
      pending: await subscriptionEnding("pending", "1969-11-01T00:00:00.000Z"),
      draft: await subscriptionEnding("draft", "1969-11-01T00:00:00.000Z"),
    };
    const all = Object.values(made);
    const result = await run(subscriptionExpiryJob, date);
    expect(result).toMatchObject({ outcome: "succeeded", rows: 2, chunks: 1, error: null });
    expect(await states(all)).toEqual(["expired", "expired", "active", "cancelled", "pending", "draft"]);

    const { subscriptions: rows, history } = await subscriptionRows([made.active, made.suspended]);
    const changes = history.filter((change) => change.source === "batch");
    expect(
      changes.map(({ subscriptionId, fromState, toState, occurrences, source, reason, orderItemId }) => ({
        subscriptionId,
        fromState,
        toState,
        occurrences,
        source,
        reason,
        orderItemId,
      })),
    ).toEqual([
      {
        subscriptionId: made.active,
        fromState: "active",
        toState: "expired",
        occurrences: 1,
        source: "batch",
        reason: expiryReason,
        orderItemId: null,
      },
      {
        subscriptionId: made.suspended,
        fromState: "suspended",
        toState: "expired",
        occurrences: 1,
        source: "batch",
        reason: expiryReason,
        orderItemId: null,
      },
    ]);
    // One instant for the move, as the transition verb gives it: the transaction's now().
    for (const [index, row] of rows.entries()) {
      expect(row.endedAt).toEqual(row.updatedAt);
      expect(changes[index]?.changedAt).toEqual(row.updatedAt);
    }
    const record = await runRow(result.runId);
    expect(record).toMatchObject({
      job: "subscription-expiry",
      runDate: date,
      trigger: "manual",
      outcome: "succeeded",
    });
    expect(record.finishedAt).not.toBeNull();
  });

  it("run twice for a date leaves identical rows; a re-run after late data changes only that date", async () => {
    const date = "1969-10-10";
    const early = await subscriptionEnding("active", "1969-10-09T08:00:00.000Z");
    const onDate = await subscriptionEnding("suspended", "1969-10-10T08:00:00.000Z");
    const first = await run(subscriptionExpiryJob, date);
    expect(first).toMatchObject({ outcome: "succeeded", rows: 2 });
    const afterFirst = await subscriptionRows([early, onDate]);

    const second = await run(subscriptionExpiryJob, date);
    expect(second).toMatchObject({ outcome: "succeeded", rows: 0, chunks: 1 });
    expect(await subscriptionRows([early, onDate])).toEqual(afterFirst);

    // Late data: a subscription of the date arrives after its run, another of the next day.
    const late = await subscriptionEnding("active", "1969-10-10T20:00:00.000Z");
    const nextDay = await subscriptionEnding("active", "1969-10-11T01:00:00.000Z");
    const third = await run(subscriptionExpiryJob, date);
    expect(third).toMatchObject({ outcome: "succeeded", rows: 1 });
    expect(await states([late, nextDay])).toEqual(["expired", "active"]);
    expect(await subscriptionRows([early, onDate])).toEqual(afterFirst);
    expect((await runsOf("subscription-expiry", date)).map((row) => [row.outcome, row.rows])).toEqual([
      ["succeeded", 2],
      ["succeeded", 0],
      ["succeeded", 1],
    ]);
  });

  it("works in chunks of the given size, each counted on the run", async () => {
    const date = "1969-09-10";
    const made = [];
    for (let index = 0; index < 5; index += 1)
      made.push(await subscriptionEnding("active", `1969-09-0${index + 1}T00:00:00.000Z`));
    const result = await run(subscriptionExpiryJob, date, { chunkSize: 2 });
    expect(result).toMatchObject({ outcome: "succeeded", rows: 5, chunks: 3 });
    expect(await runRow(result.runId)).toMatchObject({ rows: 5, chunks: 3 });
    expect(await states(made)).toEqual(["expired", "expired", "expired", "expired", "expired"]);
    const { history } = await subscriptionRows(made);
    expect(history.filter((change) => change.source === "batch")).toHaveLength(5);
  });
});

describe("a failing job", () => {
  it("is recorded failed with its error, its failing chunk rolled back whole", async () => {
    const date = "1969-08-10";
    const target = await subscriptionEnding("active", "1969-08-01T00:00:00.000Z");
    const before = await subscriptionRows([target]);
    let calls = 0;
    // The first chunk commits; the second changes a row, then its SQL fails.
    const failing: BatchJob = {
      name: "test-failing",
      summary: "Fails in its second chunk.",
      cron: "0 5 * * *",
      chunkSize: 10,
      async chunk({ tx }) {
        calls += 1;
        if (calls === 1) return { rows: 3, done: false };
        await tx.update(subscriptions).set({ state: "expired" }).where(eq(subscriptions.id, target));
        await tx.execute(sql`SELECT * FROM no_such_table`);
        return { rows: 1, done: true };
      },
    };
    const registry = batchRegistry([...nightlyJobs.jobs, failing]);
    const results = await withDb((db) =>
      runScheduledJobs(
        db,
        registry,
        { cron: "0 5 * * *", scheduledTime: new Date("1969-08-11T05:00:00Z") },
        settings,
      ),
    );
    expect(results).toEqual([
      {
        job: "test-failing",
        date,
        outcome: "failed",
        runId: expect.any(Number),
        rows: 3,
        chunks: 1,
        error: 'relation "no_such_table" does not exist',
      },
    ]);
    expect(await subscriptionRows([target])).toEqual(before);
    expect(await runRow(results[0]?.runId ?? null)).toMatchObject({
      job: "test-failing",
      runDate: date,
      trigger: "cron",
      outcome: "failed",
      rows: 3,
      chunks: 1,
      error: 'relation "no_such_table" does not exist',
    });
  });
});

describe("the claim", () => {
  it("refuses a second run of a job and date while the first holds it", async () => {
    const date = "1969-07-20";
    const due = await subscriptionEnding("active", "1969-07-20T05:00:00.000Z");
    // The first run, between two chunks: its claim is a committed `running` row with a live lease.
    const first = await withDb((db) => claimRun(db, { job: "subscription-expiry", date, trigger: "cron" }));
    if (!first) throw new Error("no claim");
    const second = await run(subscriptionExpiryJob, date);
    expect(second).toEqual({
      job: "subscription-expiry",
      date,
      outcome: "skipped",
      runId: null,
      rows: 0,
      chunks: 0,
      error: null,
    });
    expect(await states([due])).toEqual(["active"]);
    expect((await runsOf("subscription-expiry", date)).map((row) => [row.id, row.outcome])).toEqual([
      [first.id, "running"],
    ]);
    // Another job, or the same job on another date, is not held back.
    expect(await run(retentionCleanupJob, date)).toMatchObject({ outcome: "succeeded" });
    await withDb((db) => finishRun(db, first.id, { outcome: "succeeded" }));
    // Once it ended, the date can be run again.
    expect(await run(subscriptionExpiryJob, date)).toMatchObject({ outcome: "succeeded", rows: 1 });
    expect(await states([due])).toEqual(["expired"]);
  });

  it.skipIf(onEmbeddedDatabase)(
    "skips a run started while another is inside a chunk of the same job and date, once that chunk commits",
    async () => {
      const date = "1969-07-10";
      const due = await subscriptionEnding("active", "1969-07-10T05:00:00.000Z");
      let release = () => {};
      let started = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const chunkStarted = new Promise<void>((resolve) => {
        started = resolve;
      });
      const slow: BatchJob = {
        ...subscriptionExpiryJob,
        async chunk(input) {
          started();
          await gate;
          return subscriptionExpiryJob.chunk(input);
        },
      };
      const first = run(slow, date);
      await chunkStarted;
      // The claim's unique check waits for the chunk holding the claim to commit, then finds the claim held.
      const second = run(subscriptionExpiryJob, date);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await states([due])).toEqual(["active"]);
      release();
      expect(await second).toMatchObject({ outcome: "skipped", runId: null, rows: 0 });
      expect(await first).toMatchObject({ outcome: "succeeded", rows: 1 });
      const { history } = await subscriptionRows([due]);
      expect(history.map((change) => change.source)).toEqual(["order", "batch"]);
      expect((await runsOf("subscription-expiry", date)).map((row) => row.outcome)).toEqual(["succeeded"]);
    },
  );

  it("lets a later run take over a claim whose lease expired; the stale run can commit nothing more", async () => {
    const date = "1969-06-10";
    const due = await subscriptionEnding("active", "1969-06-09T05:00:00.000Z");
    const stale = await withDb((db) =>
      claimRun(db, { job: "subscription-expiry", date, trigger: "cron", leaseSeconds: 0 }),
    );
    if (!stale) throw new Error("no claim");
    // A live claim (long lease) is not taken over.
    const held = await withDb((db) =>
      claimRun(db, { job: "retention-cleanup", date, trigger: "cron", leaseSeconds: 600 }),
    );
    if (!held) throw new Error("no claim");
    expect(await run(retentionCleanupJob, date)).toMatchObject({ outcome: "skipped", runId: null });

    const takeover = await run(subscriptionExpiryJob, date);
    expect(takeover).toMatchObject({ outcome: "succeeded", rows: 1 });
    expect(await states([due])).toEqual(["expired"]);
    const old = await runRow(stale.id);
    expect(old.outcome).toBe("failed");
    expect(old.error).toBe(
      `Its lease expired at ${stale.leaseExpiresAt.toISOString().slice(0, 19)}Z without a heartbeat; a later run took over.`,
    );
    await expect(withDb((db) => db.transaction((tx) => holdClaim(tx, stale.id, 600)))).rejects.toThrow(
      ClaimLost,
    );
    // Ending the stale run now changes nothing: it keeps the outcome the takeover gave it.
    expect(await withDb((db) => finishRun(db, stale.id, { outcome: "succeeded" }))).toBeNull();
    expect((await runRow(stale.id)).outcome).toBe("failed");
    await withDb((db) => finishRun(db, held.id, { outcome: "succeeded" }));
  });
});

describe("retention clean-up", () => {
  const dayMs = 86_400_000;

  async function loggedCapture(
    createdAt: Date,
  ): Promise<{ captureId: string; jobId: number; attemptId: number }> {
    const captureId = uuidv7();
    return withDb(async (db) => {
      await db.insert(captures).values({
        id: captureId,
        receivedAt: createdAt,
        landingRef: tenant.landing.id,
        landingId: tenant.internal.landing,
        brandId: tenant.internal.brand,
        partnerId: tenant.internal.partner,
        outcome: "new",
      });
      await db.insert(captureHttpLogs).values({
        captureId,
        method: "POST",
        url: `https://go.example/l/${tenant.landing.id}?email=jane%40example.com&aff_click=AFF-1`,
        requestHeaders: { "content-type": "application/x-www-form-urlencoded", cookie: "a=b" },
        requestBody: "email=jane%40example.com",
        requestBodyBytes: 24,
        requestBodyTruncated: false,
        userAgent: "Mozilla/5.0",
        ip: "203.0.113.9",
        responseStatus: 303,
        responseLocation: "https://acme.example/thanks?capture=x&click=AFF-1",
        responseHeaders: { "x-capture-id": captureId },
        edgeDurationMs: 1.5,
        createdAt,
      });
      const [job] = await db
        .insert(relayJobs)
        .values({
          kind: "postback",
          event: "lead_accepted",
          captureId,
          partnerId: tenant.internal.partner,
          status: "succeeded",
          attempts: 1,
          payload: { url: "https://pb.example/c" },
          createdAt,
        })
        .returning({ id: relayJobs.id });
      if (!job) throw new Error("no job");
      const [attempt] = await db
        .insert(relayAttempts)
        .values({
          jobId: job.id,
          attempt: 1,
          url: "https://pb.example/c",
          method: "POST",
          requestHeaders: { "content-type": "application/json" },
          requestBody: '{"email":"jane@example.com"}',
          responseStatus: 200,
          responseBody: "ok",
          latencyMs: 20,
          succeeded: true,
          attemptedAt: createdAt,
        })
        .returning({ id: relayAttempts.id });
      if (!attempt) throw new Error("no attempt");
      return { captureId, jobId: job.id, attemptId: attempt.id };
    });
  }

  const logRows = (captureIds: string[]) =>
    withDb(async (db) => ({
      logs: await db
        .select()
        .from(captureHttpLogs)
        .where(inArray(captureHttpLogs.captureId, captureIds))
        .orderBy(asc(captureHttpLogs.createdAt)),
      attempts: await db
        .select()
        .from(relayAttempts)
        .innerJoin(relayJobs, eq(relayJobs.id, relayAttempts.jobId))
        .where(inArray(relayJobs.captureId, captureIds))
        .orderBy(asc(relayAttempts.attemptedAt)),
    }));

  it("clears logs and bodies older than the retention at the end of the date, and the API says so", async () => {
    const date = "1969-05-10";
    expect([settings.retentionDaysHttpLogs, settings.retentionDaysRelayBodies]).toEqual([90, 90]);
    // The end of 1969-05-10 less 90 days: 1969-02-10T00:00:00Z.
    const cutoff = Date.parse("1969-02-10T00:00:00.000Z");
    const old = await loggedCapture(new Date(cutoff - 1));
    const kept = await loggedCapture(new Date(cutoff));

    const result = await run(retentionCleanupJob, date);
    expect(result).toMatchObject({ outcome: "succeeded", rows: 2, chunks: 1 });

    const capture = await ok("GET", `/api/v1/captures/${old.captureId}`);
    expect(capture.http).toEqual({
      request: {
        method: "POST",
        url: `https://go.example/l/${tenant.landing.id}`,
        headers: {},
        body: null,
        body_bytes: 24,
        body_truncated: false,
        user_agent: null,
        ip: null,
      },
      response: { status: 303, location: "https://acme.example/thanks", headers: {} },
      edge_duration_ms: 1.5,
      logged_at: "1969-02-09T23:59:59.999Z",
      cleared_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const whole = await ok("GET", `/api/v1/captures/${kept.captureId}`);
    expect(whole.http.cleared_at).toBeNull();
    expect(whole.http.request.body).toBe("email=jane%40example.com");
    expect(whole.http.request.ip).toBe("203.0.113.9");

    const relay = await ok("GET", `/api/v1/relays/${ids.encode("relayJob", old.jobId)}`);
    expect(relay.attempt_log).toEqual([
      {
        attempt: 1,
        url: "https://pb.example/c",
        method: "POST",
        request_headers: { "content-type": "application/json" },
        request_body: null,
        response_status: 200,
        response_body: null,
        response_truncated: false,
        latency_ms: 20,
        error: null,
        succeeded: true,
        attempted_at: "1969-02-09T23:59:59.999Z",
        bodies_cleared_at: capture.http.cleared_at,
      },
    ]);
    const keptRelay = await ok("GET", `/api/v1/relays/${ids.encode("relayJob", kept.jobId)}`);
    expect(keptRelay.attempt_log[0]).toMatchObject({
      request_body: '{"email":"jane@example.com"}',
      response_body: "ok",
      bodies_cleared_at: null,
    });
  });

  it("run twice leaves identical rows; a re-run after late data clears only what is due by that date", async () => {
    const date = "1969-04-10";
    const cutoff = Date.parse("1969-01-10T00:00:00.000Z");
    const first = await loggedCapture(new Date(cutoff - dayMs));
    const second = await loggedCapture(new Date(cutoff + dayMs));
    expect(await run(retentionCleanupJob, date)).toMatchObject({ outcome: "succeeded", rows: 2 });
    const afterFirst = await logRows([first.captureId, second.captureId]);
    expect(afterFirst.logs.map((log) => log.clearedAt !== null)).toEqual([true, false]);

    expect(await run(retentionCleanupJob, date)).toMatchObject({ outcome: "succeeded", rows: 0 });
    expect(await logRows([first.captureId, second.captureId])).toEqual(afterFirst);

    // A late log of the date's window arrives, and one that is due only a day later.
    const late = await loggedCapture(new Date(cutoff - 2 * dayMs));
    const notYet = await loggedCapture(new Date(cutoff + 2 * dayMs));
    expect(await run(retentionCleanupJob, date)).toMatchObject({ outcome: "succeeded", rows: 2 });
    expect(await logRows([first.captureId, second.captureId])).toEqual(afterFirst);
    const lateRows = await logRows([late.captureId, notYet.captureId]);
    expect(lateRows.logs.map((log) => log.clearedAt !== null)).toEqual([true, false]);
    expect(lateRows.attempts.map(({ relay_attempts: a }) => [a.requestBody, a.responseBody])).toEqual([
      [null, null],
      ['{"email":"jane@example.com"}', "ok"],
    ]);
  });
});

describe("GET /api/v1/batch-runs", () => {
  const job = `test-list-${rand()}`;
  const made: { id: number; date: string; outcome: "succeeded" | "failed" | "running" }[] = [];

  beforeAll(async () => {
    const plan: [string, "succeeded" | "failed" | "running"][] = [
      ["1968-01-01", "succeeded"],
      ["1968-01-02", "failed"],
      ["1968-01-03", "succeeded"],
      ["1968-01-04", "running"],
      ["1968-01-05", "failed"],
    ];
    for (const [date, outcome] of plan) {
      const claimed = await withDb((db) => claimRun(db, { job, date, trigger: "manual" }));
      if (!claimed) throw new Error("no claim");
      if (outcome !== "running")
        await withDb((db) =>
          finishRun(
            db,
            claimed.id,
            outcome === "failed" ? { outcome, error: `failed on ${date}` } : { outcome },
          ),
        );
      made.push({ id: claimed.id, date, outcome });
    }
  });

  const hash = (id: number) => ids.encode("batchRun", id);
  const listed = (body: { data: { id: string }[] }) => body.data.map((item) => item.id);

  it("lists runs newest first with every field, filtered by job, outcome and dates", async () => {
    const all = await ok("GET", `/api/v1/batch-runs?job=${job}`);
    expect(listed(all)).toEqual([...made].reverse().map((run) => hash(run.id)));
    expect(all.next_cursor).toBeNull();
    const stored = await runRow(made[1]?.id ?? null);
    expect(all.data[3]).toEqual({
      id: hash(stored.id),
      job,
      date: "1968-01-02",
      trigger: "manual",
      outcome: "failed",
      rows: 0,
      chunks: 0,
      error: "failed on 1968-01-02",
      started_at: stored.startedAt.toISOString(),
      heartbeat_at: stored.heartbeatAt.toISOString(),
      lease_expires_at: stored.leaseExpiresAt.toISOString(),
      finished_at: stored.finishedAt?.toISOString(),
    });
    expect(all.data[1]).toMatchObject({ date: "1968-01-04", outcome: "running", finished_at: null });

    const failed = await ok("GET", `/api/v1/batch-runs?job=${job}&outcome=failed`);
    expect(failed.data.map((run: { date: string }) => run.date)).toEqual(["1968-01-05", "1968-01-02"]);
    const range = await ok("GET", `/api/v1/batch-runs?job=${job}&from=1968-01-02&to=1968-01-04`);
    expect(range.data.map((run: { date: string }) => run.date)).toEqual([
      "1968-01-04",
      "1968-01-03",
      "1968-01-02",
    ]);
    const single = await ok(
      "GET",
      `/api/v1/batch-runs?job=${job}&from=1968-01-03&to=1968-01-03&outcome=succeeded`,
    );
    expect(single.data.map((run: { date: string }) => run.date)).toEqual(["1968-01-03"]);
    const cron = await ok("GET", "/api/v1/batch-runs?job=subscription-expiry&from=1969-12-31&to=1969-12-31");
    expect(cron.data.map((run: { trigger: string; outcome: string }) => [run.trigger, run.outcome])).toEqual([
      ["cron", "succeeded"],
    ]);
  });

  it("pages with a cursor", async () => {
    const first = await ok("GET", `/api/v1/batch-runs?job=${job}&limit=2`);
    expect(listed(first)).toEqual([hash(made[4]?.id ?? 0), hash(made[3]?.id ?? 0)]);
    const second = await ok("GET", `/api/v1/batch-runs?job=${job}&limit=2&cursor=${first.next_cursor}`);
    expect(listed(second)).toEqual([hash(made[2]?.id ?? 0), hash(made[1]?.id ?? 0)]);
    const third = await ok("GET", `/api/v1/batch-runs?job=${job}&limit=2&cursor=${second.next_cursor}`);
    expect(listed(third)).toEqual([hash(made[0]?.id ?? 0)]);
    expect(third.next_cursor).toBeNull();
  });

  it("needs a key for every brand, and names each bad filter", async () => {
    const scoped = await insertApiKey({ brandIds: [tenant.internal.brand] });
    expectProblem(await call("GET", "/api/v1/batch-runs", { key: scoped.key }), 403);
    expectProblem(await call("GET", "/api/v1/batch-runs", { key: null }), 401);
    expectProblem(await call("GET", "/api/v1/batch-runs?from=1968-02-30"), 422, [
      { field: "from", category: "malformed" },
    ]);
    expectProblem(await call("GET", "/api/v1/batch-runs?from=1968-01-05&to=1968-01-04"), 422, [
      { field: "to", category: "out_of_range" },
    ]);
    expectProblem(await call("GET", "/api/v1/batch-runs?outcome=done"), 422, [
      { field: "outcome", category: expect.any(String) },
    ]);
    expectProblem(await call("GET", "/api/v1/batch-runs?cursor=zz"), 422, [
      { field: "cursor", category: "malformed" },
    ]);
  });
});

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { captures } from "../../db/schema/capture.ts";
import { brands, partners } from "../../db/schema/catalog.ts";
import { failedEvents } from "../../db/schema/ops.ts";
import { operatorAlerts, relayAttempts, relayJobs, relayTargets } from "../../db/schema/relay.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import type { RetryPolicy } from "../../domain/relay/delivery.ts";
import { processRelayBatch, type RelayBatchReport } from "../../queues/relay/handler.ts";
import { call, expectProblem, ids, insertApiKey, rand, withDb } from "../support/api.ts";
import { relaySink, seenBySink } from "../support/relay-sink.ts";

const sink = relaySink;
const start = new Date("2026-11-22T12:00:00.000Z");
/** Short enough for the sink's `/slow` (3 s) to time out, long enough for loopback answers. */
const timeoutMs = 1000;

const seen = seenBySink;

/** A relay queue that records each send with its delay. */
function delayQueue(): Queue & { sent: { jobId: number; delaySeconds: number | undefined }[] } {
  const sent: { jobId: number; delaySeconds: number | undefined }[] = [];
  const metrics = { backlogCount: 0, backlogBytes: 0 };
  return {
    sent,
    async metrics() {
      return metrics;
    },
    async send(body: { jobId: number }, options?: QueueSendOptions) {
      sent.push({ jobId: body.jobId, delaySeconds: options?.delaySeconds });
      return { metadata: { metrics } };
    },
    async sendBatch(messages: Iterable<MessageSendRequest<{ jobId: number }>>) {
      for (const message of messages)
        sent.push({ jobId: message.body.jobId, delaySeconds: message.delaySeconds });
      return { metadata: { metrics } };
    },
  } as Queue & { sent: { jobId: number; delaySeconds: number | undefined }[] };
}

interface Run {
  report: RelayBatchReport;
  acked: number;
  retried: number;
  requeued: { jobId: number; delaySeconds: number | undefined }[];
}

async function run(
  jobIds: number[],
  options: { now?: Date; policy?: RetryPolicy; timeoutMs?: number } = {},
): Promise<Run> {
  const batch = createMessageBatch(
    queueNames.relays,
    jobIds.map((jobId) => ({ id: `msg-${rand()}`, timestamp: new Date(), attempts: 1, body: { jobId } })),
  );
  const queue = delayQueue();
  const ctx = createExecutionContext();
  const report = await processRelayBatch(
    batch,
    { ...env, RELAYS_QUEUE: queue },
    { now: () => options.now ?? start, timeoutMs: options.timeoutMs ?? timeoutMs, policy: options.policy },
  );
  const result = await getQueueResult(batch, ctx);
  return {
    report,
    acked: result.explicitAcks.length,
    retried: result.retryMessages.length,
    requeued: queue.sent,
  };
}

interface PartnerOptions {
  method?: "get" | "post";
  contentType?: string;
  headers?: Record<string, string>;
  secret?: string | null;
  failureLimit?: number;
  delaySeconds?: number;
  consecutiveFailures?: number;
}

async function partner(options: PartnerOptions = {}): Promise<number> {
  const suffix = rand();
  const [row] = await withDb((db) =>
    db
      .insert(partners)
      .values({
        name: `Net ${suffix}`,
        slug: `net-${suffix}`,
        postbackUrl: `${sink}/sink/{click_id}`,
        postbackMethod: options.method ?? "get",
        postbackContentType: options.contentType ?? "json",
        postbackHeaders: options.headers ?? {},
        signingSecret: options.secret ?? null,
        postbackFailureLimit: options.failureLimit ?? 25,
        postbackDelaySeconds: options.delaySeconds ?? 0,
        postbackConsecutiveFailures: options.consecutiveFailures ?? 0,
      })
      .returning({ id: partners.id }),
  );
  if (!row) throw new Error("no partner");
  return row.id;
}

const macrosFor = (key: string) => ({
  click_id: key,
  transaction_id: "tx-1",
  event: "lead_accepted",
  sub1: "a&b",
});

/** A pending postback job, as stage 10 stores one (URL expanded, macros kept). */
async function postbackJob(partnerId: number, path: string, method: "get" | "post" = "get"): Promise<number> {
  const key = path.split("/")[0] ?? path;
  const [row] = await withDb(async (db) => {
    // Its own capture: one job per (capture, kind, event, partner).
    const captureId = crypto.randomUUID();
    await db
      .insert(captures)
      .values({ id: captureId, receivedAt: start, landingRef: "test", outcome: "new" });
    return db
      .insert(relayJobs)
      .values({
        captureId,
        kind: "postback",
        event: "lead_accepted",
        partnerId,
        payload: { method, url: `${sink}/sink/${path}?tx=tx-1&s1=a%26b`, macros: macrosFor(key) },
        createdAt: start,
        nextAttemptAt: start,
      })
      .returning({ id: relayJobs.id });
  });
  if (!row) throw new Error("no job");
  return row.id;
}

const job = async (id: number) => {
  const [row] = await withDb((db) => db.select().from(relayJobs).where(eq(relayJobs.id, id)));
  if (!row) throw new Error("no job row");
  return row;
};
const attemptsOf = (id: number) =>
  withDb((db) =>
    db.select().from(relayAttempts).where(eq(relayAttempts.jobId, id)).orderBy(asc(relayAttempts.attempt)),
  );
const partnerRow = async (id: number) => {
  const [row] = await withDb((db) => db.select().from(partners).where(eq(partners.id, id)));
  if (!row) throw new Error("no partner row");
  return row;
};

async function hmacHex(secret: string, text: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(text));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

const t = start.getTime() / 1000;

/** A postback job whose payload asks for the visitor's redirect: a relay consumer cannot send it. */
async function undeliverableJob(partnerId: number): Promise<{ id: number }> {
  const [row] = await withDb((db) =>
    db
      .insert(relayJobs)
      .values({ kind: "postback", event: "sale", partnerId, payload: { method: "redirect", url: "x" } })
      .returning({ id: relayJobs.id }),
  );
  if (!row) throw new Error("no job");
  return row;
}

describe("deliveries", () => {
  it("a signed get postback: exact request line and headers, signature over the URL, stored masked", async () => {
    const key = rand();
    const partnerId = await partner({ secret: "whsec-test", consecutiveFailures: 3 });
    const id = await postbackJob(partnerId, `${key}/ok`);
    const { report, acked, retried, requeued } = await run([id]);
    expect(report).toMatchObject({ sent: 1, succeeded: 1, retrying: 0, failed: 0, statements: 2 });
    expect({ acked, retried, requeued }).toEqual({ acked: 1, retried: 0, requeued: [] });

    const [request, ...rest] = await seen(key);
    expect(rest).toEqual([]);
    const url = `${sink}/sink/${key}/ok?tx=tx-1&s1=a%26b`;
    const signature = `t=${t},v1=${await hmacHex("whsec-test", `${t}.${url}`)}`;
    expect(request?.method).toBe("GET");
    expect(request?.url).toBe(`/sink/${key}/ok?tx=tx-1&s1=a%26b`);
    expect(request?.body).toBe("");
    expect(request?.headers["user-agent"]).toBe("leadrail-relay/1");
    expect(request?.headers["x-leadrail-signature"]).toBe(signature);
    expect(request?.headers["content-type"]).toBeUndefined();

    const row = await job(id);
    expect({ status: row.status, attempts: row.attempts, lastError: row.lastError }).toEqual({
      status: "succeeded",
      attempts: 1,
      lastError: null,
    });
    expect(row.succeededAt?.toISOString()).toBe(start.toISOString());
    const [stored] = await attemptsOf(id);
    expect(stored).toMatchObject({
      attempt: 1,
      url,
      method: "GET",
      requestHeaders: { "User-Agent": "leadrail-relay/1", "X-Leadrail-Signature": `t=${t},v1=****` },
      requestBody: null,
      responseStatus: 200,
      responseBody: "ok",
      responseTruncated: false,
      error: null,
      succeeded: true,
    });
    expect((await partnerRow(partnerId)).postbackConsecutiveFailures).toBe(0);
  });

  it("a json post postback with configured headers; the credential is masked in the stored copy", async () => {
    const key = rand();
    const partnerId = await partner({
      method: "post",
      headers: { Authorization: "Bearer live_0123456789abcdef", "X-Network": "n1" },
      secret: "s2",
    });
    const id = await postbackJob(partnerId, `${key}/ok`, "post");
    await run([id]);
    const [request] = await seen(key);
    // The payload is jsonb: its keys come back shortest first.
    const body = `{"sub1":"a&b","event":"lead_accepted","click_id":"${key}","transaction_id":"tx-1"}`;
    expect(request?.method).toBe("POST");
    expect(request?.body).toBe(body);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.authorization).toBe("Bearer live_0123456789abcdef");
    expect(request?.headers["x-network"]).toBe("n1");
    expect(request?.headers["x-leadrail-signature"]).toBe(`t=${t},v1=${await hmacHex("s2", `${t}.${body}`)}`);
    const [stored] = await attemptsOf(id);
    expect(stored?.requestHeaders).toEqual({
      Authorization: "Bearer live****",
      "X-Network": "n1",
      "Content-Type": "application/json",
      "User-Agent": "leadrail-relay/1",
      "X-Leadrail-Signature": `t=${t},v1=****`,
    });
    expect(stored?.requestBody).toBe(body);
  });

  it("a form lead relay to a buyer: its mapped fields url-encoded", async () => {
    const key = rand();
    const suffix = rand();
    const id = await withDb(async (db) => {
      const [brand] = await db
        .insert(brands)
        .values({ name: `B ${suffix}`, slug: `b-${suffix}` })
        .returning({ id: brands.id });
      if (!brand) throw new Error("no brand");
      const [target] = await db
        .insert(relayTargets)
        .values({ name: "Buyer", brandId: brand.id, url: `${sink}/sink/${key}/ok`, contentType: "form" })
        .returning({ id: relayTargets.id });
      if (!target) throw new Error("no target");
      const [row] = await db
        .insert(relayJobs)
        .values({
          kind: "lead_relay",
          event: "lead_accepted",
          relayTargetId: target.id,
          payload: {
            method: "post",
            url: `${sink}/sink/${key}/ok`,
            body: { Email: "kim@naver.com", Name: "민준", Age: null },
          },
          createdAt: start,
          nextAttemptAt: start,
        })
        .returning({ id: relayJobs.id });
      if (!row) throw new Error("no job");
      return row.id;
    });
    const { report } = await run([id]);
    expect(report.succeeded).toBe(1);
    const [request] = await seen(key);
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(`/sink/${key}/ok`);
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.body).toBe("Age=&Name=%EB%AF%BC%EC%A4%80&Email=kim%40naver.com");
    expect(request?.headers["x-leadrail-signature"]).toBeUndefined();
    expect((await job(id)).status).toBe("succeeded");
  });

  it("a redelivered succeeded job sends nothing; the same job twice in one batch is sent once", async () => {
    const key = rand();
    const id = await postbackJob(await partner(), `${key}/ok`);
    const first = await run([id, id]);
    expect(first.report).toMatchObject({ sent: 1, succeeded: 1 });
    expect(first.acked).toBe(2);
    const again = await run([id]);
    expect(again.report).toMatchObject({ sent: 0, skipped: 1, statements: 1 });
    expect(again.acked).toBe(1);
    expect(await seen(key)).toHaveLength(1);
    expect(await attemptsOf(id)).toHaveLength(1);
  });

  it("two consumers holding the same job: one request", async () => {
    const key = rand();
    const id = await postbackJob(await partner(), `${key}/ok`);
    const [a, b] = await Promise.all([run([id]), run([id])]);
    expect((a?.report.sent ?? 0) + (b?.report.sent ?? 0)).toBe(1);
    expect(await seen(key)).toHaveLength(1);
    expect((await job(id)).status).toBe("succeeded");
  });

  it("waits for the partner's firing delay: put back on the queue for the time left", async () => {
    const key = rand();
    const id = await postbackJob(await partner({ delaySeconds: 90 }), `${key}/ok`);
    const early = await run([id], { now: new Date(start.getTime() + 30_000) });
    expect(early.report).toMatchObject({ sent: 0, delayed: 1 });
    expect(early.requeued).toEqual([{ jobId: id, delaySeconds: 60 }]);
    expect(early.acked).toBe(1);
    expect(await seen(key)).toEqual([]);
    const due = await run([id], { now: new Date(start.getTime() + 90_000) });
    expect(due.report.succeeded).toBe(1);
    expect(await seen(key)).toHaveLength(1);
  });
});

describe("claims", () => {
  it("a job left sending by a consumer that died is sent again once stale; a fresh claim is left alone", async () => {
    const staleKey = rand();
    const freshKey = rand();
    const partnerId = await partner();
    const stale = await postbackJob(partnerId, `${staleKey}/ok`);
    const fresh = await postbackJob(partnerId, `${freshKey}/ok`);
    await withDb(async (db) => {
      await db
        .update(relayJobs)
        .set({ status: "sending", attempts: 1, updatedAt: new Date(start.getTime() - 121_000) })
        .where(eq(relayJobs.id, stale));
      await db
        .update(relayJobs)
        .set({ status: "sending", attempts: 1, updatedAt: new Date(start.getTime() - 60_000) })
        .where(eq(relayJobs.id, fresh));
    });
    const { report, acked } = await run([stale, fresh]);
    expect(report).toMatchObject({ sent: 1, succeeded: 1, skipped: 1 });
    expect(acked).toBe(2);
    expect(await seen(staleKey)).toHaveLength(1);
    expect(await seen(freshKey)).toEqual([]);
    expect(await job(stale)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect((await attemptsOf(stale)).map((a) => a.attempt)).toEqual([2]);
    expect(await job(fresh)).toMatchObject({ status: "sending", attempts: 1 });
  });

  it("a message that is not { jobId } is kept in failed_events and acked; the rest of the batch goes out", async () => {
    const key = rand();
    const id = await postbackJob(await partner(), `${key}/ok`);
    const badId = `msg-bad-${rand()}`;
    const batch = createMessageBatch(queueNames.relays, [
      { id: badId, timestamp: new Date(), attempts: 2, body: { jobId: "seven" } },
      { id: `msg-${rand()}`, timestamp: new Date(), attempts: 1, body: { jobId: id } },
    ]);
    const ctx = createExecutionContext();
    const report = await processRelayBatch(
      batch,
      { ...env, RELAYS_QUEUE: delayQueue() },
      { now: () => start },
    );
    const result = await getQueueResult(batch, ctx);
    expect(report).toMatchObject({ poison: 1, sent: 1, succeeded: 1, statements: 2 });
    expect(result.explicitAcks).toHaveLength(2);
    const [stored] = await withDb((db) =>
      db.select().from(failedEvents).where(eq(failedEvents.messageId, badId)),
    );
    expect(stored).toMatchObject({
      queue: "leadrail-relays",
      body: { jobId: "seven" },
      attempts: 2,
      error: "invalid_message",
      meta: { issues: [{ path: "jobId", code: "invalid_type" }] },
    });
  });
});

describe("failures", () => {
  const policy: RetryPolicy = { baseSeconds: 30, capSeconds: 3600, maxAttempts: 3 };

  it("500 → retried with back-off → failed after the limit; every attempt stored, body capped", async () => {
    const key = rand();
    const partnerId = await partner({ headers: { "X-Api-Key": "key-0123456789abcdef" } });
    const id = await postbackJob(partnerId, `${key}/fail`);

    const first = await run([id], { policy });
    expect(first.report).toMatchObject({ sent: 1, retrying: 1, failed: 0 });
    expect(first.requeued).toEqual([{ jobId: id, delaySeconds: 30 }]);
    expect(first.acked).toBe(1);
    let row = await job(id);
    expect(row.status).toBe("pending");
    expect(row.nextAttemptAt.toISOString()).toBe("2026-11-22T12:00:30.000Z");
    expect(row.lastError).toBe("HTTP 500");

    // Redelivered early (e.g. a resend message): not due, nothing sent.
    const early = await run([id], { policy, now: new Date(start.getTime() + 10_000) });
    expect(early.report).toMatchObject({ sent: 0, delayed: 1 });
    expect(early.requeued).toEqual([{ jobId: id, delaySeconds: 20 }]);

    const second = await run([id], { policy, now: new Date(start.getTime() + 30_000) });
    expect(second.requeued).toEqual([{ jobId: id, delaySeconds: 60 }]);
    expect((await job(id)).nextAttemptAt.toISOString()).toBe("2026-11-22T12:01:30.000Z");

    const third = await run([id], { policy, now: new Date(start.getTime() + 90_000) });
    expect(third.report).toMatchObject({ sent: 1, retrying: 0, failed: 1 });
    expect(third.requeued).toEqual([]);
    row = await job(id);
    expect({ status: row.status, attempts: row.attempts }).toEqual({ status: "failed", attempts: 3 });

    const stored = await attemptsOf(id);
    expect(
      stored.map((a) => [a.attempt, a.responseStatus, a.succeeded, a.attemptedAt.toISOString()]),
    ).toEqual([
      [1, 500, false, "2026-11-22T12:00:00.000Z"],
      [2, 500, false, "2026-11-22T12:00:30.000Z"],
      [3, 500, false, "2026-11-22T12:01:30.000Z"],
    ]);
    for (const attempt of stored) {
      expect(attempt.responseBody).toBe("e".repeat(4096));
      expect(attempt.responseTruncated).toBe(true);
      expect(attempt.requestHeaders).toEqual({ "X-Api-Key": "key-****", "User-Agent": "leadrail-relay/1" });
      expect(attempt.error).toBeNull();
    }
    expect(await seen(key)).toHaveLength(3);
    expect((await partnerRow(partnerId)).postbackConsecutiveFailures).toBe(3);

    // A failed job's redelivery sends nothing more.
    const after = await run([id], { policy, now: new Date(start.getTime() + 3_600_000) });
    expect(after.report).toMatchObject({ sent: 0, skipped: 1 });
    expect(await seen(key)).toHaveLength(3);
  });

  it("a timeout and a dropped connection are stored as errors", async () => {
    const slowKey = rand();
    const dropKey = rand();
    const partnerId = await partner();
    const slow = await postbackJob(partnerId, `${slowKey}/slow`);
    const drop = await postbackJob(partnerId, `${dropKey}/drop`);
    const { report } = await run([slow, drop], { policy });
    expect(report).toMatchObject({ sent: 2, retrying: 2 });
    const [slowAttempt] = await attemptsOf(slow);
    expect(slowAttempt).toMatchObject({
      responseStatus: null,
      responseBody: null,
      error: `timeout: no answer within ${timeoutMs} ms`,
      succeeded: false,
    });
    expect((await job(slow)).lastError).toBe(`timeout: no answer within ${timeoutMs} ms`);
    const [dropAttempt] = await attemptsOf(drop);
    expect(dropAttempt).toMatchObject({ responseStatus: null, responseBody: null, succeeded: false });
    expect(dropAttempt?.error).toBe("Error: Network connection lost.");
    expect(await seen(slowKey)).toHaveLength(1);
    expect(await seen(dropKey)).toHaveLength(1);
    expect((await partnerRow(partnerId)).postbackConsecutiveFailures).toBe(2);
  });

  it("takes a job due within the current millisecond as due (the clock has milliseconds, Postgres microseconds)", async () => {
    const partnerId = await partner();
    const row = await undeliverableJob(partnerId);
    await withDb((db) =>
      db.execute(sql`UPDATE relay_jobs SET created_at = '2026-11-22T10:00:00.000400Z',
          next_attempt_at = '2026-11-22T10:00:00.000400Z' WHERE id = ${row.id}`),
    );
    const { report } = await run([row.id], { now: new Date("2026-11-22T10:00:00.000Z") });
    expect(report).toMatchObject({ sent: 1, failed: 1 });
  });

  it("an undeliverable payload fails at once without counting against the partner", async () => {
    const partnerId = await partner();
    const row = await undeliverableJob(partnerId);
    const { report } = await run([row.id], { now: new Date() });
    expect(report).toMatchObject({ sent: 1, failed: 1 });
    expect(await job(row.id)).toMatchObject({
      status: "failed",
      lastError: "undeliverable: method redirect",
    });
    expect((await partnerRow(partnerId)).postbackConsecutiveFailures).toBe(0);
  });
});

describe("pause and resume", () => {
  it("pauses a partner at its failure limit: one alert, its pending postbacks paused; resume sends them again", async () => {
    const key = rand();
    const partnerId = await partner({ failureLimit: 3 });
    const failing = [
      await postbackJob(partnerId, `${key}/fail/1`),
      await postbackJob(partnerId, `${key}/fail/2`),
      await postbackJob(partnerId, `${key}/fail/3`),
    ];
    const waiting = await postbackJob(partnerId, `${key}/ok`);

    const { report, requeued } = await run(failing);
    expect(report).toMatchObject({ sent: 3, partnersPaused: [partnerId], paused: 4, retrying: 0 });
    expect(requeued).toEqual([]);
    const paused = await partnerRow(partnerId);
    expect(paused.postbacksPausedAt?.toISOString()).toBe(start.toISOString());
    expect(paused.postbackConsecutiveFailures).toBe(3);
    const statuses = await withDb((db) =>
      db
        .select({ id: relayJobs.id, status: relayJobs.status })
        .from(relayJobs)
        .where(inArray(relayJobs.id, [...failing, waiting]))
        .orderBy(asc(relayJobs.id)),
    );
    expect(statuses.map((s) => s.status)).toEqual(["paused", "paused", "paused", "paused"]);
    const alerts = await withDb((db) =>
      db.select().from(operatorAlerts).where(eq(operatorAlerts.partnerId, partnerId)),
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: "partner_postbacks_paused",
      resolvedAt: null,
      detail: { consecutive_failures: 3, failure_limit: 3, last_error: "HTTP 500" },
    });

    // While paused nothing is sent, and a new job of the partner is parked too.
    const fresh = await postbackJob(partnerId, `${key}/ok/fresh`);
    const parked = await run([fresh, waiting]);
    expect(parked.report).toMatchObject({ sent: 0, paused: 1, skipped: 1 });
    expect((await job(fresh)).status).toBe("paused");
    expect((await seen(key)).map((r) => r.url.split("?")[0])).toEqual([
      `/sink/${key}/fail/1`,
      `/sink/${key}/fail/2`,
      `/sink/${key}/fail/3`,
    ]);

    // Resume: needs an unscoped key.
    const hash = ids.encode("partner", partnerId);
    const scoped = await insertApiKey({ brandIds: [1] });
    expectProblem(await call("POST", `/api/v1/partners/${hash}/postbacks/resume`, { key: scoped.key }), 403);
    expect((await partnerRow(partnerId)).postbacksPausedAt).not.toBeNull();

    const queue = delayQueue();
    const resumed = await call("POST", `/api/v1/partners/${hash}/postbacks/resume`, {
      env: { RELAYS_QUEUE: queue },
    });
    expect(resumed.status).toBe(200);
    const jobIds = [...failing, waiting, fresh].sort((a, b) => a - b);
    expect(resumed.body).toEqual({ partner: hash, resumed_jobs: 5, resolved_alerts: 1 });
    expect(queue.sent.map((s) => s.jobId).sort((a, b) => a - b)).toEqual(jobIds);
    const after = await partnerRow(partnerId);
    expect({ pausedAt: after.postbacksPausedAt, failures: after.postbackConsecutiveFailures }).toEqual({
      pausedAt: null,
      failures: 0,
    });
    const [alert] = await withDb((db) =>
      db.select().from(operatorAlerts).where(eq(operatorAlerts.partnerId, partnerId)),
    );
    expect(alert?.resolvedAt).not.toBeNull();

    // The resumed jobs go out again: the ok ones succeed.
    const resent = await run([waiting, fresh], { now: new Date() });
    expect(resent.report).toMatchObject({ sent: 2, succeeded: 2 });

    // Resuming again changes nothing.
    const twice = await call("POST", `/api/v1/partners/${hash}/postbacks/resume`, {
      env: { RELAYS_QUEUE: delayQueue() },
    });
    expect(twice.body).toEqual({ partner: hash, resumed_jobs: 0, resolved_alerts: 0 });
  });

  it("a success before the limit resets the counter; no pause", async () => {
    const key = rand();
    const partnerId = await partner({ failureLimit: 3, consecutiveFailures: 2 });
    const ok = await postbackJob(partnerId, `${key}/ok`);
    await run([ok]);
    const row = await partnerRow(partnerId);
    expect({ failures: row.postbackConsecutiveFailures, paused: row.postbacksPausedAt }).toEqual({
      failures: 0,
      paused: null,
    });
  });

  it("resume answers 404 for an unknown partner", async () => {
    expectProblem(
      await call("POST", `/api/v1/partners/${ids.encode("partner", 987_654_321)}/postbacks/resume`),
      404,
    );
  });
});

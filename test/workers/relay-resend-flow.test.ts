import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { captures } from "../../db/schema/capture.ts";
import { relayAttempts, relayJobs } from "../../db/schema/relay.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processCaptureBatch } from "../../queues/capture/handler.ts";
import { processRelayBatch } from "../../queues/relay/handler.ts";
import { call, createTenant, ids, ok, rand, recordingQueue, type Tenant, withDb } from "../support/api.ts";
import { captureMessage, freshEmail } from "../support/capture-message.ts";
import { relaySink, seenBySink } from "../support/relay-sink.ts";

/** The relay consumer on these job ids, once, with one attempt per job before it fails. */
async function consume(jobIds: number[]): Promise<void> {
  const batch = createMessageBatch(
    queueNames.relays,
    jobIds.map((jobId) => ({ id: `msg-${rand()}`, timestamp: new Date(), attempts: 1, body: { jobId } })),
  );
  const ctx = createExecutionContext();
  await processRelayBatch(
    batch,
    { ...env, RELAYS_QUEUE: recordingQueue() },
    { timeoutMs: 2000, policy: { baseSeconds: 30, capSeconds: 3600, maxAttempts: 1 } },
  );
  await getQueueResult(batch, ctx);
}

describe("failed, then resent, through the relay consumer", () => {
  it("a failed postback resent once is delivered once; resending it again sends nothing", async () => {
    const key = `resend-${rand()}`;
    const tenant = await createTenant();
    await ok("PATCH", `/api/v1/partners/${tenant.partner.id}`, {
      body: {
        postback_url: `${relaySink}/sink/${key}/fail?c={click_id}`,
        postback_events: ["lead_accepted"],
      },
    });
    const captureId = crypto.randomUUID();
    const [job] = await withDb(async (db) => {
      await db.insert(captures).values({
        id: captureId,
        receivedAt: new Date(),
        landingRef: tenant.landing.id,
        brandId: tenant.internal.brand,
        partnerId: tenant.internal.partner,
        outcome: "new",
      });
      return db
        .insert(relayJobs)
        .values({
          kind: "postback",
          event: "lead_accepted",
          captureId,
          partnerId: tenant.internal.partner,
          payload: { method: "get", url: `${relaySink}/sink/${key}/fail?c=abc`, macros: { click_id: "abc" } },
        })
        .returning();
    });
    if (!job) throw new Error("no job");
    await consume([job.id]);
    const failed = await ok("GET", `/api/v1/relays/${ids.encode("relayJob", job.id)}`);
    expect(failed).toMatchObject({ status: "failed", attempts: 1, last_error: "HTTP 500" });
    expect(failed.attempt_log.map((a: { response_status: number }) => a.response_status)).toEqual([500]);

    // The partner's endpoint recovers (the stored URL now answers 200).
    await withDb((db) =>
      db
        .update(relayJobs)
        .set({
          payload: sql`jsonb_set(${relayJobs.payload}, '{url}', ${JSON.stringify(`${relaySink}/sink/${key}/ok?c=abc`)}::jsonb)`,
        })
        .where(eq(relayJobs.id, job.id)),
    );
    const queue = recordingQueue();
    const resent = await call("POST", "/api/v1/relays/resend", {
      env: { RELAYS_QUEUE: queue },
      body: { partner: tenant.partner.id },
    });
    expect(resent.body).toEqual({ requeued: 1, ids: [ids.encode("relayJob", job.id)] });
    expect(queue.sent).toEqual([{ jobId: job.id }]);
    await consume([job.id]);

    const attempts = await withDb((db) =>
      db
        .select({
          attempt: relayAttempts.attempt,
          status: relayAttempts.responseStatus,
          ok: relayAttempts.succeeded,
        })
        .from(relayAttempts)
        .where(eq(relayAttempts.jobId, job.id))
        .orderBy(asc(relayAttempts.attempt)),
    );
    expect(attempts).toEqual([
      { attempt: 1, status: 500, ok: false },
      { attempt: 2, status: 200, ok: true },
    ]);
    expect(await ok("GET", `/api/v1/relays/${ids.encode("relayJob", job.id)}`)).toMatchObject({
      status: "succeeded",
      attempts: 2,
    });

    // Resent again (by id and by partner) and a stale message delivered: nothing more is sent.
    const again = recordingQueue();
    for (const body of [{ ids: [ids.encode("relayJob", job.id)] }, { partner: tenant.partner.id }])
      expect(
        (await call("POST", "/api/v1/relays/resend", { env: { RELAYS_QUEUE: again }, body })).body,
      ).toEqual({
        requeued: 0,
        ids: [],
      });
    expect(again.sent).toEqual([]);
    await consume([job.id]);
    const seen = await seenBySink(key);
    expect(seen.map((request) => request.url)).toEqual([`/sink/${key}/fail?c=abc`, `/sink/${key}/ok?c=abc`]);
  });
});

/** A relay queue that records each message it is sent, with its delay. */
function schedulingQueue(): Queue & { sent: { body: unknown; delaySeconds: number | undefined }[] } {
  const sent: { body: unknown; delaySeconds: number | undefined }[] = [];
  const metrics = { backlogCount: 0, backlogBytes: 0 };
  return {
    sent,
    async metrics() {
      return metrics;
    },
    async send(body: unknown, options?: QueueSendOptions) {
      sent.push({ body, delaySeconds: options?.delaySeconds });
      return { metadata: { metrics } };
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      for (const message of messages) sent.push({ body: message.body, delaySeconds: message.delaySeconds });
      return { metadata: { metrics } };
    },
  };
}

/** The relay consumer on these message bodies at `now`, with the default eight attempts. */
async function deliver(bodies: unknown[], now: Date) {
  const batch = createMessageBatch(
    queueNames.relays,
    bodies.map((body) => ({ id: `msg-${rand()}`, timestamp: now, attempts: 1, body })),
  );
  const queue = schedulingQueue();
  const ctx = createExecutionContext();
  const report = await processRelayBatch(
    batch,
    { ...env, RELAYS_QUEUE: queue },
    { now: () => now, timeoutMs: 2000 },
  );
  const result = await getQueueResult(batch, ctx);
  return {
    report,
    scheduled: queue.sent,
    acked: result.explicitAcks.length,
    retried: result.retryMessages.length,
  };
}

/** One accepted lead of the tenant's landing through the real capture consumer: its relay jobs, as stage 10 made them. */
async function captureLead(tenant: Tenant, fields: Record<string, string>) {
  const message = captureMessage(
    {
      brandId: tenant.internal.brand,
      themeId: tenant.internal.theme,
      partnerId: tenant.internal.partner,
      productId: tenant.internal.product,
      landingId: tenant.internal.landing,
      landingRef: tenant.landing.id,
      fallbackUrl: tenant.landing.fallback_url,
    },
    { email: freshEmail(), fields },
  );
  const batch = createMessageBatch(queueNames.captures, [
    { id: `cap-${rand()}`, timestamp: new Date(), attempts: 1, body: message },
  ]);
  const ctx = createExecutionContext();
  await processCaptureBatch(batch, { ...env, RELAYS_QUEUE: recordingQueue() });
  await getQueueResult(batch, ctx);
  const jobs = await withDb((db) =>
    db.select().from(relayJobs).where(eq(relayJobs.captureId, message.captureId)).orderBy(asc(relayJobs.id)),
  );
  return { captureId: message.captureId, jobs };
}

const jobOf = (jobs: { kind: string; id: number }[], kind: "postback" | "lead_relay"): number => {
  const job = jobs.find((candidate) => candidate.kind === kind);
  if (!job) throw new Error(`no ${kind} job`);
  return job.id;
};

const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);

describe("a recipient's URL corrected, then resent", () => {
  it("the resend goes once to the partner's and the buyer's new URL; the retry already scheduled sends nothing", async () => {
    const key = `fixed-${rand()}`;
    const tenant = await createTenant();
    await ok("PATCH", `/api/v1/partners/${tenant.partner.id}`, {
      body: {
        postback_url: `${relaySink}/sink/${key}/fail?c={click_id}&p={payout}`,
        postback_events: ["lead_accepted"],
        payout: 1500,
        payout_currency: "USD",
      },
    });
    const buyer = await ok("POST", "/api/v1/relay-targets", {
      body: {
        brand: tenant.brand.id,
        name: `Buyer ${key}`,
        url: `${relaySink}/sink/${key}/status/404`,
        field_mapping: { email_address: "email", click: "click_id" },
      },
    });
    const { captureId, jobs } = await captureLead(tenant, { aff_click: "clk-7" });
    expect(jobs.map((job) => job.kind).sort()).toEqual(["lead_relay", "postback"]);
    const postbackId = jobOf(jobs, "postback");
    const leadId = jobOf(jobs, "lead_relay");

    // First attempts at t0 fail; a retry is scheduled 30 s later for each.
    const t0 = new Date();
    const first = await deliver([{ jobId: postbackId }, { jobId: leadId }], t0);
    expect(first.report).toMatchObject({ sent: 2, retrying: 2, succeeded: 0 });
    const scheduled = first.scheduled.map((item) => item.body);
    expect(first.scheduled.map((item) => item.delaySeconds)).toEqual([30, 30]);
    expect(scheduled).toEqual(
      expect.arrayContaining([
        { jobId: postbackId, attempts: 1 },
        { jobId: leadId, attempts: 1 },
      ]),
    );

    // The operator corrects both URLs (and the buyer's mapping), then resends both jobs.
    await ok("PATCH", `/api/v1/partners/${tenant.partner.id}`, {
      body: {
        postback_url: `${relaySink}/sink/${key}/ok?click={click_id}&payout={payout}&cents={payout_minor}`,
      },
    });
    await ok("PATCH", `/api/v1/relay-targets/${buyer.id}`, {
      body: { url: `${relaySink}/sink/${key}/ok-buyer`, field_mapping: { mail: "email", cid: "click_id" } },
    });
    const queue = recordingQueue();
    const resent = await call("POST", "/api/v1/relays/resend", {
      env: { RELAYS_QUEUE: queue },
      body: { ids: [ids.encode("relayJob", postbackId), ids.encode("relayJob", leadId)] },
    });
    expect(resent.body.requeued).toBe(2);
    const second = await deliver(queue.sent, at(t0, 5));
    expect(second.report).toMatchObject({ sent: 2, succeeded: 2 });
    expect(second.scheduled).toEqual([]);

    // The retries scheduled at t0 come due: nothing more is sent, nothing is scheduled again.
    const stale = await deliver(scheduled, at(t0, 31));
    expect(stale.report).toMatchObject({ sent: 0, skipped: 2 });
    expect(stale.scheduled).toEqual([]);
    expect(stale.acked).toBe(2);

    const seen = await seenBySink(key);
    // The postback is a GET, the lead relay a JSON POST.
    const postbacks = seen.filter((request) => request.method === "GET");
    expect(postbacks.map((request) => request.url)).toEqual([
      `/sink/${key}/fail?c=clk-7&p=15.00`,
      `/sink/${key}/ok?click=clk-7&payout=15.00&cents=1500`,
    ]);
    const leads = seen.filter((request) => request.method === "POST");
    expect(leads.map((request) => request.url)).toEqual([`/sink/${key}/status/404`, `/sink/${key}/ok-buyer`]);
    const email = JSON.parse(leads[0]?.body ?? "{}").email_address;
    expect(JSON.parse(leads[1]?.body ?? "{}")).toEqual({ mail: email, cid: "clk-7" });

    // The API shows what the postback was made with and the exact URL of each attempt.
    const detail = await ok("GET", `/api/v1/relays/${ids.encode("relayJob", postbackId)}`);
    expect(detail).toMatchObject({
      status: "succeeded",
      attempts: 2,
      payload: null,
      values: {
        click_id: "clk-7",
        transaction_id: "",
        payout_minor: "1500",
        currency: "USD",
        event: "lead_accepted",
        capture_id: captureId,
        sub1: "",
      },
    });
    expect(
      detail.attempt_log.map((a: { url: string; response_status: number }) => [a.url, a.response_status]),
    ).toEqual([
      [`${relaySink}/sink/${key}/fail?c=clk-7&p=15.00`, 500],
      [`${relaySink}/sink/${key}/ok?click=clk-7&payout=15.00&cents=1500`, 200],
    ]);
    const lead = await ok("GET", `/api/v1/relays/${ids.encode("relayJob", leadId)}`);
    expect(lead.values).toMatchObject({ email, click_id: "clk-7", capture_id: captureId });
    expect(
      lead.attempt_log.map((a: { url: string; request_body: string }) => [a.url, JSON.parse(a.request_body)]),
    ).toEqual([
      [`${relaySink}/sink/${key}/status/404`, { email_address: email, click: "clk-7" }],
      [`${relaySink}/sink/${key}/ok-buyer`, { mail: email, cid: "clk-7" }],
    ]);
  });

  it("when the resent attempt fails too, the retry scheduled before it is dropped and only the newer one sends", async () => {
    const key = `refail-${rand()}`;
    const tenant = await createTenant();
    await ok("PATCH", `/api/v1/partners/${tenant.partner.id}`, {
      body: {
        postback_url: `${relaySink}/sink/${key}/fail?c={click_id}`,
        postback_events: ["lead_accepted"],
      },
    });
    const { jobs } = await captureLead(tenant, { aff_click: "clk-8" });
    const jobId = jobOf(jobs, "postback");
    const t0 = new Date();
    const first = await deliver([{ jobId }], t0);
    const oldRetry = first.scheduled.map((item) => item.body);
    expect(oldRetry).toEqual([{ jobId, attempts: 1 }]);

    await ok("PATCH", `/api/v1/partners/${tenant.partner.id}`, {
      body: { postback_url: `${relaySink}/sink/${key}/status/503?fixed={click_id}` },
    });
    const queue = recordingQueue();
    await call("POST", "/api/v1/relays/resend", {
      env: { RELAYS_QUEUE: queue },
      body: { ids: [ids.encode("relayJob", jobId)] },
    });
    const second = await deliver(queue.sent, at(t0, 5));
    expect(second.report).toMatchObject({ sent: 1, retrying: 1 });
    // Attempt 2 failed: its own retry, 60 s after it.
    expect(second.scheduled).toEqual([{ body: { jobId, attempts: 2 }, delaySeconds: 60 }]);

    // The retry of attempt 1 comes due first: dropped, not kept going beside attempt 2's.
    const stale = await deliver(oldRetry, at(t0, 31));
    expect(stale.report).toMatchObject({ sent: 0, skipped: 1, delayed: 0 });
    expect(stale.scheduled).toEqual([]);

    // Attempt 2's retry sends attempt 3, to the corrected URL.
    const third = await deliver(
      second.scheduled.map((item) => item.body),
      at(t0, 66),
    );
    expect(third.report).toMatchObject({ sent: 1, retrying: 1 });
    expect((await seenBySink(key)).map((request) => request.url)).toEqual([
      `/sink/${key}/fail?c=clk-8`,
      `/sink/${key}/status/503?fixed=clk-8`,
      `/sink/${key}/status/503?fixed=clk-8`,
    ]);
  });
});

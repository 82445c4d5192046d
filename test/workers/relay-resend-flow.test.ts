import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { captures } from "../../db/schema/capture.ts";
import { relayAttempts, relayJobs } from "../../db/schema/relay.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processRelayBatch } from "../../queues/relay/handler.ts";
import { call, createTenant, ids, ok, rand, recordingQueue, withDb } from "../support/api.ts";
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

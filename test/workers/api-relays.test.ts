import { eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { captures } from "../../db/schema/capture.ts";
import { relayAttempts, relayJobs } from "../../db/schema/relay.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import {
  call,
  createTenant,
  expectProblem,
  ids,
  insertApiKey,
  ok,
  recordingQueue,
  type Tenant,
  withDb,
} from "../support/api.ts";

type Status = "pending" | "sending" | "succeeded" | "failed" | "paused";

interface Arranged {
  tenant: Tenant;
  key: string;
  captureId: string;
  /** Jobs by label, as stored. */
  jobs: Record<"failed" | "succeeded" | "paused" | "pending" | "old", typeof relayJobs.$inferSelect>;
}

/** A tenant with a capture and five postback jobs of its partner in different states (one made a year ago). */
async function arrange(): Promise<Arranged> {
  const tenant = await createTenant();
  const key = (await insertApiKey({ brandIds: [tenant.internal.brand] })).key;
  // One capture per job: each job its own dedup key, all of the tenant's brand.
  const captureIds = [0, 1, 2, 3, 4].map(() => uuidv7());
  const captureId = captureIds[0] ?? "";
  const jobs = await withDb(async (db) => {
    await db.insert(captures).values(
      captureIds.map((id) => ({
        id,
        receivedAt: new Date("2026-11-22T09:00:00.000Z"),
        landingRef: tenant.landing.id,
        landingId: tenant.internal.landing,
        brandId: tenant.internal.brand,
        partnerId: tenant.internal.partner,
        outcome: "new" as const,
      })),
    );
    const spec: [keyof Arranged["jobs"], Status, "lead_accepted" | "lead_restored", Date | undefined][] = [
      ["failed", "failed", "lead_accepted", undefined],
      ["succeeded", "succeeded", "lead_restored", undefined],
      ["paused", "paused", "lead_restored", undefined],
      ["pending", "pending", "lead_restored", undefined],
      ["old", "failed", "lead_restored", new Date(Date.now() - 365 * 86_400_000)],
    ];
    const rows = await db
      .insert(relayJobs)
      .values(
        spec.map(([label, status, event, createdAt], index) => ({
          kind: "postback" as const,
          event,
          captureId: captureIds[index] ?? null,
          partnerId: tenant.internal.partner,
          status,
          attempts: status === "pending" ? 0 : 8,
          payload: { method: "get", url: `https://pb.example/${label}`, macros: { event } },
          lastError: status === "failed" ? "HTTP 500" : null,
          succeededAt: status === "succeeded" ? new Date() : null,
          ...(createdAt ? { createdAt } : {}),
        })),
      )
      .returning();
    const byLabel = Object.fromEntries(spec.map(([label], index) => [label, rows[index]]));
    return byLabel as Arranged["jobs"];
  });
  await withDb((db) =>
    db.insert(relayAttempts).values([
      {
        jobId: jobs.failed.id,
        attempt: 1,
        url: "https://pb.example/failed",
        method: "GET",
        requestHeaders: { "User-Agent": "leadrail-relay/1", Authorization: "Bearer ****" },
        requestBody: null,
        responseStatus: 500,
        responseBody: "oops",
        latencyMs: 12,
        succeeded: false,
        attemptedAt: new Date("2026-11-22T09:00:01.000Z"),
      },
      {
        jobId: jobs.failed.id,
        attempt: 2,
        url: "https://pb.example/failed",
        method: "GET",
        requestHeaders: { "User-Agent": "leadrail-relay/1" },
        requestBody: null,
        responseStatus: null,
        responseBody: null,
        latencyMs: 10_000,
        error: "timeout after 10000 ms",
        succeeded: false,
        attemptedAt: new Date("2026-11-22T09:00:31.000Z"),
      },
    ]),
  );
  return { tenant, key, captureId, jobs };
}

const hash = (id: number) => ids.encode("relayJob", id);

async function statuses(jobIds: number[]): Promise<Record<number, string>> {
  const rows = await withDb((db) =>
    db
      .select({ id: relayJobs.id, status: relayJobs.status })
      .from(relayJobs)
      .where(inArray(relayJobs.id, jobIds)),
  );
  return Object.fromEntries(rows.map((row) => [row.id, row.status]));
}

let one: Arranged;
let other: Arranged;

beforeAll(async () => {
  one = await arrange();
  other = await arrange();
});

describe("relay jobs: list and detail", () => {
  it("lists a partner's jobs newest first, filtered by status, event and time, paged", async () => {
    const partner = one.tenant.partner.id;
    const all = await ok("GET", `/api/v1/relays?partner=${partner}`, { key: one.key });
    const order = ["old", "pending", "paused", "succeeded", "failed"] as const;
    // Ids grow in insertion order: newest (highest id) first.
    const expected = [...order].reverse().map((label) => hash(one.jobs[label].id));
    expect(all.data.map((job: { id: string }) => job.id)).toEqual(
      expected.sort((a, b) => (ids.decode("relayJob", b) ?? 0) - (ids.decode("relayJob", a) ?? 0)),
    );
    const failed = all.data.find((job: { id: string }) => job.id === hash(one.jobs.failed.id));
    expect(failed).toEqual({
      id: hash(one.jobs.failed.id),
      kind: "postback",
      event: "lead_accepted",
      status: "failed",
      attempts: 8,
      brand: one.tenant.brand.id,
      partner,
      relay_target: null,
      capture: one.captureId,
      order: null,
      refund: null,
      // Made the way jobs were before they kept their values.
      values: null,
      payload: { method: "get", url: "https://pb.example/failed", macros: { event: "lead_accepted" } },
      next_attempt_at: one.jobs.failed.nextAttemptAt.toISOString(),
      last_error: "HTTP 500",
      succeeded_at: null,
      created_at: one.jobs.failed.createdAt.toISOString(),
      updated_at: one.jobs.failed.updatedAt.toISOString(),
    });

    const byStatus = await ok("GET", `/api/v1/relays?partner=${partner}&status=failed`, { key: one.key });
    expect(byStatus.data.map((job: { id: string }) => job.id).sort()).toEqual(
      [hash(one.jobs.failed.id), hash(one.jobs.old.id)].sort(),
    );
    const byEvent = await ok("GET", `/api/v1/relays?partner=${partner}&event=lead_accepted`);
    expect(byEvent.data.map((job: { id: string }) => job.id)).toEqual([hash(one.jobs.failed.id)]);
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const recent = await ok("GET", `/api/v1/relays?partner=${partner}&since=${since}`);
    expect(recent.data).toHaveLength(4);
    const until = new Date(Date.now() - 300 * 86_400_000).toISOString();
    const older = await ok("GET", `/api/v1/relays?partner=${partner}&until=${until}`);
    expect(older.data.map((job: { id: string }) => job.id)).toEqual([hash(one.jobs.old.id)]);

    const first = await ok("GET", `/api/v1/relays?partner=${partner}&limit=3`);
    const second = await ok("GET", `/api/v1/relays?partner=${partner}&limit=3&cursor=${first.next_cursor}`);
    expect([...first.data, ...second.data].map((job: { id: string }) => job.id)).toEqual(
      all.data.map((job: { id: string }) => job.id),
    );
    expect(second.next_cursor).toBeNull();

    // A scoped key of another brand sees none of them.
    const theirs = await ok("GET", `/api/v1/relays?partner=${partner}`, { key: other.key });
    expect(theirs.data).toEqual([]);
  });

  it("shows a job with every attempt; 403 across brands, 404 for none", async () => {
    const detail = await ok("GET", `/api/v1/relays/${hash(one.jobs.failed.id)}`, { key: one.key });
    expect(detail.attempt_log).toEqual([
      {
        attempt: 1,
        url: "https://pb.example/failed",
        method: "GET",
        request_headers: { "User-Agent": "leadrail-relay/1", Authorization: "Bearer ****" },
        request_body: null,
        response_status: 500,
        response_body: "oops",
        response_truncated: false,
        latency_ms: 12,
        error: null,
        succeeded: false,
        attempted_at: "2026-11-22T09:00:01.000Z",
        bodies_cleared_at: null,
      },
      {
        attempt: 2,
        url: "https://pb.example/failed",
        method: "GET",
        request_headers: { "User-Agent": "leadrail-relay/1" },
        request_body: null,
        response_status: null,
        response_body: null,
        response_truncated: false,
        latency_ms: 10_000,
        error: "timeout after 10000 ms",
        succeeded: false,
        attempted_at: "2026-11-22T09:00:31.000Z",
        bodies_cleared_at: null,
      },
    ]);
    expect(detail).toMatchObject({ id: hash(one.jobs.failed.id), status: "failed", attempts: 8 });
    expectProblem(await call("GET", `/api/v1/relays/${hash(one.jobs.failed.id)}`, { key: other.key }), 403);
    expectProblem(await call("GET", `/api/v1/relays/${hash(2 ** 40)}`), 404);
    expectProblem(await call("GET", `/api/v1/relays?partner=nope`), 422, [
      { field: "partner", category: "malformed" },
    ]);
    expectProblem(await call("GET", `/api/v1/relays?status=done`), 422, [
      { field: "status", category: "not_allowed" },
    ]);
  });
});

describe("relay jobs: resend", () => {
  it("by ids: resets failed/paused/pending jobs, never a succeeded one, and queues { jobId } after commit", async () => {
    const fresh = await arrange();
    const queue = recordingQueue();
    const chosen = [fresh.jobs.failed, fresh.jobs.succeeded, fresh.jobs.paused].map((job) => hash(job.id));
    const response = await call("POST", "/api/v1/relays/resend", {
      key: fresh.key,
      env: { RELAYS_QUEUE: queue },
      body: { ids: chosen },
    });
    expect(response.status, response.text).toBe(200);
    const expected = [fresh.jobs.failed.id, fresh.jobs.paused.id].sort((a, b) => a - b);
    expect(response.body).toEqual({ requeued: 2, ids: expected.map(hash) });
    expect(queue.sent).toEqual(expected.map((jobId) => ({ jobId })));
    expect(await statuses([fresh.jobs.failed.id, fresh.jobs.succeeded.id, fresh.jobs.paused.id])).toEqual({
      [fresh.jobs.failed.id]: "pending",
      [fresh.jobs.succeeded.id]: "succeeded",
      [fresh.jobs.paused.id]: "pending",
    });
    const [row] = await withDb((db) =>
      db.select().from(relayJobs).where(eq(relayJobs.id, fresh.jobs.failed.id)),
    );
    // Attempts keep counting: the stored attempts keep their numbers.
    expect(row?.attempts).toBe(8);
    expect(row?.lastError).toBe("HTTP 500");

    // Once it succeeded, resending it again sends nothing.
    await withDb((db) =>
      db
        .update(relayJobs)
        .set({ status: "succeeded", succeededAt: new Date() })
        .where(inArray(relayJobs.id, expected)),
    );
    const again = recordingQueue();
    const repeat = await ok("POST", "/api/v1/relays/resend", {
      key: fresh.key,
      env: { RELAYS_QUEUE: again },
      body: { ids: chosen },
    });
    expect(repeat).toEqual({ requeued: 0, ids: [] });
    expect(again.sent).toEqual([]);
  });

  it("by partner and time range: failed jobs only unless status says otherwise; idempotent", async () => {
    const fresh = await arrange();
    const queue = recordingQueue();
    const partner = fresh.tenant.partner.id;
    const byPartner = await ok("POST", "/api/v1/relays/resend", {
      env: { RELAYS_QUEUE: queue },
      body: { partner },
    });
    const failed = [fresh.jobs.failed.id, fresh.jobs.old.id].sort((a, b) => a - b);
    expect(byPartner).toEqual({ requeued: 2, ids: failed.map(hash) });
    expect(queue.sent).toEqual(failed.map((jobId) => ({ jobId })));
    // The same resend again: nothing is failed any more.
    expect(
      await ok("POST", "/api/v1/relays/resend", { env: { RELAYS_QUEUE: queue }, body: { partner } }),
    ).toEqual({ requeued: 0, ids: [] });

    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const paused = await ok("POST", "/api/v1/relays/resend", {
      key: fresh.key,
      env: { RELAYS_QUEUE: recordingQueue() },
      body: { partner, since, status: ["paused"] },
    });
    expect(paused).toEqual({ requeued: 1, ids: [hash(fresh.jobs.paused.id)] });
    expect(await statuses([fresh.jobs.succeeded.id])).toEqual({ [fresh.jobs.succeeded.id]: "succeeded" });
  });

  it("never touches another brand's jobs: 403 by id, skipped by filter; refuses bad input writing nothing", async () => {
    const fresh = await arrange();
    const stranger = await arrange();
    expectProblem(
      await call("POST", "/api/v1/relays/resend", {
        key: stranger.key,
        env: { RELAYS_QUEUE: recordingQueue() },
        body: { ids: [hash(fresh.jobs.failed.id)] },
      }),
      403,
    );
    const none = await ok("POST", "/api/v1/relays/resend", {
      key: stranger.key,
      env: { RELAYS_QUEUE: recordingQueue() },
      body: { partner: fresh.tenant.partner.id },
    });
    expect(none).toEqual({ requeued: 0, ids: [] });
    expectProblem(await call("POST", "/api/v1/relays/resend", { body: {} }), 422, [
      { field: "ids", category: "missing" },
    ]);
    expectProblem(
      await call("POST", "/api/v1/relays/resend", {
        body: {
          ids: ["!!"],
          partner: "zz",
          since: "2026-11-22T10:00:00Z",
          until: "2026-11-22T09:00:00Z",
          status: ["succeeded"],
        },
      }),
      422,
      [{ field: "status.0", category: "not_allowed" }],
    );
    expectProblem(
      await call("POST", "/api/v1/relays/resend", {
        body: { ids: ["zz"], partner: "zz", since: "2026-11-22T10:00:00Z", until: "2026-11-22T09:00:00Z" },
      }),
      422,
      [
        { field: "ids.0", category: "malformed" },
        { field: "partner", category: "malformed" },
        { field: "until", category: "out_of_range" },
      ],
    );
    expect(await statuses([fresh.jobs.failed.id])).toEqual({ [fresh.jobs.failed.id]: "failed" });
  });
});

import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { failedEvents } from "../../db/schema/ops.ts";
import { call, expectProblem, ids, insertApiKey, ok, rand, recordingQueue, withDb } from "../support/api.ts";

/** Three failed capture messages in a time window of their own (the database is shared). */
async function insertFailures() {
  const start = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9) * 1000;
  const at = (minutes: number) => new Date(start + minutes * 60_000);
  const rows = await withDb((db) =>
    db
      .insert(failedEvents)
      .values(
        [0, 1, 2].map((index) => ({
          queue: "leadrail-captures",
          messageId: `msg-${rand()}`,
          body: { v: 1, captureId: `c-${index}`, marker: rand() },
          attempts: 6,
          error: "database unavailable",
          failedAt: at(index),
        })),
      )
      .returning(),
  );
  return { rows, since: at(0).toISOString(), until: at(3).toISOString() };
}

describe("failed events", () => {
  it("lists failed events newest first, with hash ids", async () => {
    const { rows, since, until } = await insertFailures();
    const list = await ok(
      "GET",
      `/api/v1/failed-events?since=${since}&until=${until}&queue=leadrail-captures`,
    );
    expect(list).toEqual({
      data: [...rows].reverse().map((row) => ({
        id: ids.encode("failedEvent", row.id),
        queue: "leadrail-captures",
        message_id: row.messageId,
        attempts: 6,
        error: "database unavailable",
        failed_at: row.failedAt.toISOString(),
        replayed_at: null,
        replay_count: 0,
      })),
    });
    const limited = await ok("GET", `/api/v1/failed-events?since=${since}&until=${until}&limit=1`);
    expect(limited.data.map((event: { id: string }) => event.id)).toEqual([
      ids.encode("failedEvent", rows[2]?.id ?? 0),
    ]);
  });

  it("replays by id to the source queue and marks the rows; a window replay skips replayed rows", async () => {
    const { rows, since, until } = await insertFailures();
    const [first, second, third] = rows;
    if (!first || !second || !third) throw new Error("rows missing");
    const queue = recordingQueue();
    const response = await call("POST", "/api/v1/failed-events/replay", {
      env: { CAPTURES_QUEUE: queue },
      body: { ids: [ids.encode("failedEvent", first.id), ids.encode("failedEvent", second.id)] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      replayed: 2,
      ids: [first, second].sort((a, b) => a.id - b.id).map((row) => ids.encode("failedEvent", row.id)),
    });
    expect(queue.sent).toEqual([first.body, second.body]);
    const stored = await withDb((db) =>
      db
        .select({
          id: failedEvents.id,
          replayCount: failedEvents.replayCount,
          replayedAt: failedEvents.replayedAt,
        })
        .from(failedEvents)
        .where(inArray(failedEvents.id, [first.id, second.id, third.id])),
    );
    const byId = new Map(stored.map((row) => [row.id, row]));
    expect(byId.get(first.id)?.replayCount).toBe(1);
    expect(byId.get(second.id)?.replayCount).toBe(1);
    expect(byId.get(first.id)?.replayedAt).toBeInstanceOf(Date);
    expect(byId.get(third.id)).toEqual({ id: third.id, replayCount: 0, replayedAt: null });

    // A window replay takes only what was not replayed yet.
    const windowQueue = recordingQueue();
    const windowed = await ok("POST", "/api/v1/failed-events/replay", {
      env: { CAPTURES_QUEUE: windowQueue },
      body: { since, until, queue: "leadrail-captures" },
    });
    expect(windowed).toEqual({ replayed: 1, ids: [ids.encode("failedEvent", third.id)] });
    expect(windowQueue.sent).toEqual([third.body]);
    const again = await ok("POST", "/api/v1/failed-events/replay", {
      env: { CAPTURES_QUEUE: recordingQueue() },
      body: { since, until },
    });
    expect(again).toEqual({ replayed: 0, ids: [] });
    const listed = await ok("GET", `/api/v1/failed-events?since=${since}&until=${until}`);
    expect(listed.data.map((event: { replay_count: number }) => event.replay_count)).toEqual([1, 1, 1]);
  });

  it("refuses bad selections, non-admin keys and brand-scoped keys", async () => {
    expectProblem(
      await call("POST", "/api/v1/failed-events/replay", {
        env: { CAPTURES_QUEUE: recordingQueue() },
        body: { ids: ["nope", 5], since: "2026-01-02", until: "2026-01-01", limit: 0, colour: 1 },
      }),
      422,
      [
        { field: "limit", category: "out_of_range" },
        { field: "colour", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/failed-events/replay", {
        env: { CAPTURES_QUEUE: recordingQueue() },
        body: { ids: ["nope"], since: "2026-01-02", until: "2026-01-01" },
      }),
      422,
      [
        { field: "ids.0", category: "malformed" },
        { field: "until", category: "out_of_range" },
      ],
    );
    expectProblem(await call("GET", "/api/v1/failed-events?since=yesterday"), 422, [
      { field: "since", category: "malformed" },
    ]);
    expectProblem(
      await call("GET", "/api/v1/failed-events?since=0000-01-01&until=2100-01-01T00:00:00Z"),
      422,
      [
        { field: "since", category: "out_of_range" },
        { field: "until", category: "out_of_range" },
      ],
    );
    const plain = await insertApiKey();
    expectProblem(await call("POST", "/api/v1/failed-events/replay", { key: plain.key, body: {} }), 403);
    expect((await call("GET", "/api/v1/failed-events?limit=1", { key: plain.key })).status).toBe(200);
    const scoped = await insertApiKey({ brandIds: [1] });
    expectProblem(await call("GET", "/api/v1/failed-events", { key: scoped.key }), 403);
  });
});

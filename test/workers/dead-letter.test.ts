import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbHandle, openDb } from "../../db/client.ts";
import { captures } from "../../db/schema/capture.ts";
import { failedEvents } from "../../db/schema/ops.ts";
import { listFailedEvents, replayFailedEvents } from "../../domain/ops/failed-events.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processCaptureBatch } from "../../queues/capture/handler.ts";
import { handleDeadLetterBatch } from "../../queues/dead-letter/handler.ts";
import { captureMessage, queueMessages, seedTenant } from "../support/capture-message.ts";

let handle: DbHandle;
beforeAll(() => {
  handle = openDb(dbConfig(env), 2);
});
afterAll(async () => {
  await handle.close();
});
const db = () => handle.db;

type Delivery = { id: string; timestamp: Date; attempts: number; body: unknown };

async function deadLetter(messages: Delivery[], runEnv: Env = env) {
  const batch = createMessageBatch(queueNames.capturesDeadLetter, messages);
  const ctx = createExecutionContext();
  await handleDeadLetterBatch(batch, runEnv, ctx);
  return getQueueResult(batch, ctx);
}

async function capture(bodies: unknown[]) {
  const batch = createMessageBatch(queueNames.captures, queueMessages(bodies));
  const ctx = createExecutionContext();
  const report = await processCaptureBatch(batch, env);
  return { report, result: await getQueueResult(batch, ctx) };
}

/** A producer that keeps what was sent, standing in for the capture queue during replay. */
function recordingQueue() {
  const sent: unknown[] = [];
  const queue = {
    async send(body: unknown) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      for (const message of messages) sent.push(message.body);
    },
  } as unknown as Queue<unknown>;
  return { queue, sent };
}

describe("dead-letter consumer", () => {
  it("stores each message once in failed_events, even when delivered twice, and acks after commit", async () => {
    const tenant = await seedTenant(db());
    const body = captureMessage(tenant);
    const delivery = { id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body };
    const first = await deadLetter([delivery]);
    expect(first.explicitAcks).toEqual([delivery.id]);
    const again = await deadLetter([{ ...delivery, attempts: 2 }]);
    expect(again.explicitAcks).toEqual([delivery.id]);
    const rows = await db().select().from(failedEvents).where(eq(failedEvents.messageId, delivery.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      queue: "leadrail-captures",
      messageId: delivery.id,
      body,
      attempts: 1,
      error: "retries_exhausted",
      meta: { deadLetterQueue: "leadrail-captures-dlq", captureId: body.captureId },
      replayCount: 0,
      replayedAt: null,
    });
  });

  it("retries with back-off when the database is down", async () => {
    const delivery = {
      id: `dlq-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 2,
      body: { any: "thing" },
    };
    const down = {
      ...env,
      DB_WS_PROXY: "127.0.0.1:9",
      DATABASE_URL: "postgres://postgres@127.0.0.1:9/none",
    } as Env;
    const result = await deadLetter([delivery], down);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([delivery.id]);
  });
});

describe("database down → retries → dead letter → replay", () => {
  it("stores the capture exactly once, however often it is replayed", async () => {
    const tenant = await seedTenant(db());
    const body = captureMessage(tenant);
    const down = { ...env, DB_WS_PROXY: "127.0.0.1:9" } as Env;
    const failing = createMessageBatch(queueNames.captures, queueMessages([body], 6));
    const failingCtx = createExecutionContext();
    await processCaptureBatch(failing, down);
    expect((await getQueueResult(failing, failingCtx)).retryMessages).toHaveLength(1);

    // The runtime gives up after max_retries and hands the message to the dead-letter queue.
    const delivery = { id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body };
    await deadLetter([delivery]);
    const [stored] = await db().select().from(failedEvents).where(eq(failedEvents.messageId, delivery.id));
    if (!stored) throw new Error("not in failed_events");
    expect((await listFailedEvents(db(), { ids: [stored.id] })).map((row) => row.id)).toEqual([stored.id]);

    const replay = recordingQueue();
    const queues = { [queueNames.captures]: replay.queue };
    const first = await replayFailedEvents({ db: db(), queues }, { ids: [stored.id] });
    expect(first).toEqual({ replayed: 1, ids: [stored.id] });
    expect(replay.sent).toEqual([body]);
    const delivered = await capture(replay.sent);
    expect(delivered.report).toMatchObject({ stored: 1, acked: 1 });

    // Replayed rows are not picked up again by a filter, only by explicit id.
    const byQueue = await replayFailedEvents(
      { db: db(), queues },
      {
        queue: queueNames.capturesDeadLetter,
        since: stored.failedAt,
        until: new Date(stored.failedAt.getTime() + 1),
      },
    );
    expect(byQueue).toEqual({ replayed: 0, ids: [] });
    const second = await replayFailedEvents({ db: db(), queues }, { ids: [stored.id] });
    expect(second).toEqual({ replayed: 1, ids: [stored.id] });
    const redelivered = await capture(replay.sent.slice(1));
    expect(redelivered.report).toMatchObject({ stored: 0, redelivered: 1, acked: 1 });

    expect(
      await db().select({ id: captures.id }).from(captures).where(eq(captures.id, body.captureId)),
    ).toEqual([{ id: body.captureId }]);
    const [after] = await db().select().from(failedEvents).where(eq(failedEvents.id, stored.id));
    expect(after?.replayCount).toBe(2);
    expect(after?.replayedAt).toBeInstanceOf(Date);
  });

  it("replays pending rows by queue and time range, and leaves rows of queues it has no producer for", async () => {
    const tenant = await seedTenant(db());
    const bodies = [captureMessage(tenant), captureMessage(tenant)];
    const ids = bodies.map(() => `dlq-${crypto.randomUUID()}`);
    await deadLetter(
      bodies.map((body, i) => ({ id: ids[i] ?? "", timestamp: new Date(), attempts: 1, body })),
    );
    const rows = await db().select().from(failedEvents).where(inArray(failedEvents.messageId, ids));
    const rowIds = rows.map((row) => row.id).sort((a, b) => a - b);
    const since = new Date(Math.min(...rows.map((row) => row.failedAt.getTime())));
    const until = new Date(Math.max(...rows.map((row) => row.failedAt.getTime())) + 1);

    const none = await replayFailedEvents({ db: db(), queues: {} }, { ids: rowIds });
    expect(none).toEqual({ replayed: 0, ids: [] });

    const replay = recordingQueue();
    const result = await replayFailedEvents(
      { db: db(), queues: { [queueNames.captures]: replay.queue } },
      { queue: queueNames.captures, since, until, limit: 1000 },
    );
    // One statement stored both rows, so the range [since, until) is one millisecond wide.
    expect(result).toEqual({ replayed: 2, ids: rowIds });
    expect(replay.sent).toEqual(bodies);
    const { report } = await capture(replay.sent);
    expect(report).toMatchObject({ stored: 2, acked: 2 });
    const stored = await db()
      .select({ id: captures.id })
      .from(captures)
      .where(
        inArray(
          captures.id,
          bodies.map((b) => b.captureId),
        ),
      );
    expect(stored).toHaveLength(2);
  });
});

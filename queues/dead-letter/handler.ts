import { sql } from "drizzle-orm";
import { openDb } from "../../db/client.ts";
import { withCtes } from "../../db/sql.ts";
import { truncateText } from "../../domain/core/text.ts";
import { sourceQueue } from "../../domain/ops/failed-events.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { consumerConfig, describeError, retryDelaySeconds } from "../capture/failure.ts";
import { type FailedEventRecord, failedEventsInsert } from "./store.ts";

/** What a capture message body says about itself, for operators' filters; never personal data. */
function captureIdOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("captureId" in body)) return null;
  return typeof body.captureId === "string" ? truncateText(body.captureId, 64) : null;
}

/**
 * The dead-letter consumer: every message a queue gave up on goes into `failed_events`
 * (one multi-row insert; unique on queue and message id, so a redelivery changes nothing),
 * and is acked after COMMIT. A database error retries the batch with back-off.
 */
export async function handleDeadLetterBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const config = consumerConfig(env);
  const records: FailedEventRecord[] = batch.messages.map((message) => ({
    queue: sourceQueue(batch.queue),
    messageId: message.id,
    body: message.body,
    attempts: message.attempts,
    error: "retries_exhausted",
    meta: { deadLetterQueue: batch.queue, captureId: captureIdOf(message.body) },
  }));
  const insert = failedEventsInsert(records);
  let handle: ReturnType<typeof openDb> | undefined;
  try {
    handle = openDb(dbConfig(env), 1);
    if (insert) {
      const result = await handle.db.execute<{ stored: number }>(
        withCtes([insert], sql`SELECT count(*)::int AS stored FROM failed_event`),
      );
      console.log(
        JSON.stringify({
          event: "dead_letter.batch",
          queue: batch.queue,
          messages: batch.messages.length,
          stored: result.rows[0]?.stored ?? 0,
        }),
      );
    }
    for (const message of batch.messages) message.ack();
  } catch (error) {
    for (const message of batch.messages) {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, config.CAPTURE_RETRY_BASE_SECONDS) });
    }
    console.error(
      JSON.stringify({ event: "dead_letter.batch_failed", queue: batch.queue, error: describeError(error) }),
    );
  } finally {
    await handle?.close();
  }
}

import { sql } from "drizzle-orm";
import { type Cte, jsonParam, recordset } from "../../db/sql.ts";

/** A message a queue could not process, as `failed_events` keeps it. */
export interface FailedEventRecord {
  /** The source queue (a dead-letter queue stands for the queue it drains). */
  queue: string;
  messageId: string;
  body: unknown;
  attempts: number;
  /** `invalid_message` (failed schema parsing) or `retries_exhausted` (came through the dead-letter queue). */
  error: string;
  meta: Record<string, unknown>;
}

/**
 * A queue body as JSON text. Bodies are whatever a producer sent; one that JSON cannot hold
 * (a BigInt, a cycle) is kept as a note of its type rather than lost.
 */
export function bodyJson(body: unknown): string {
  try {
    return jsonParam(body) ?? "null";
  } catch {
    return JSON.stringify({ unserializable: typeof body });
  }
}

/** One multi-row insert; the unique (queue, message_id) makes a redelivered message change nothing. */
export function failedEventsInsert(records: readonly FailedEventRecord[]): Cte | null {
  if (records.length === 0) return null;
  const rows = records.map((record) => ({
    queue: record.queue,
    message_id: record.messageId,
    body: bodyJson(record.body),
    attempts: record.attempts,
    error: record.error,
    meta: record.meta,
  }));
  return {
    name: "failed_event",
    body: sql`INSERT INTO failed_events (queue, message_id, body, attempts, error, meta)
      SELECT queue, message_id, body::jsonb, attempts, error, meta
      FROM ${recordset(rows, "queue text, message_id text, body text, attempts integer, error text, meta jsonb")}
      ON CONFLICT (queue, message_id) DO NOTHING
      RETURNING id`,
  };
}

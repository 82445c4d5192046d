import { and, asc, desc, gte, inArray, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { failedEvents } from "../../db/schema/ops.ts";
import { queueNames } from "../platform/queue-names.ts";

/** Each dead-letter queue and the queue its messages came from (and go back to on replay). */
export const deadLetterSources: Readonly<Record<string, string>> = {
  [queueNames.capturesDeadLetter]: queueNames.captures,
  // Sends are replayable: the consumer skips any send already past `queued`/`held`.
  [queueNames.sendsDeadLetter]: queueNames.sends,
};

/** The queue a failed message belongs to: a dead-letter queue stands for its source. */
export function sourceQueue(queue: string): string {
  return deadLetterSources[queue] ?? queue;
}

export interface FailedEventFilter {
  /** Explicit rows: replayed again even if they were replayed before. */
  ids?: number[];
  queue?: string;
  /** `failed_at` at or after. */
  since?: Date;
  /** `failed_at` before. */
  until?: Date;
  limit?: number;
}

export const defaultReplayLimit = 100;
export const maxReplayLimit = 1000;
/** Queues takes at most 100 messages and 256 KB per `sendBatch`; keep a margin. */
const maxBatchMessages = 100;
const maxBatchBytes = 200_000;

function conditions(filter: FailedEventFilter, onlyPending: boolean): SQL | undefined {
  const parts: (SQL | undefined)[] = [];
  if (filter.ids !== undefined)
    parts.push(inArray(failedEvents.id, filter.ids.length > 0 ? filter.ids : [-1]));
  else if (onlyPending) parts.push(isNull(failedEvents.replayedAt));
  if (filter.queue !== undefined) parts.push(sql`${failedEvents.queue} = ${sourceQueue(filter.queue)}`);
  if (filter.since !== undefined) parts.push(gte(failedEvents.failedAt, filter.since));
  if (filter.until !== undefined) parts.push(lt(failedEvents.failedAt, filter.until));
  return and(...parts);
}

function limitOf(filter: FailedEventFilter): number {
  const limit = filter.limit ?? defaultReplayLimit;
  return Math.max(1, Math.min(Math.trunc(limit), maxReplayLimit));
}

export type FailedEvent = typeof failedEvents.$inferSelect;

/** Failed events, newest first. Without `ids`, both replayed and pending rows are listed. */
export async function listFailedEvents(db: Executor, filter: FailedEventFilter = {}): Promise<FailedEvent[]> {
  return db
    .select()
    .from(failedEvents)
    .where(conditions(filter, false))
    .orderBy(desc(failedEvents.failedAt), desc(failedEvents.id))
    .limit(limitOf(filter));
}

/**
 * Sends failed messages back to their source queue and marks them replayed. Rows are locked
 * (`SKIP LOCKED`) for the duration, so two replays never send the same row; the consumers
 * are idempotent, so a row sent twice anyway (a commit lost after the send) is harmless.
 * A row whose queue has no producer here is left alone.
 */
export async function replayFailedEvents(
  deps: { db: Executor; queues: Record<string, Queue<unknown>> },
  filter: FailedEventFilter,
): Promise<{ replayed: number; ids: number[] }> {
  return deps.db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: failedEvents.id, queue: failedEvents.queue, body: failedEvents.body })
      .from(failedEvents)
      .where(conditions(filter, true))
      .orderBy(asc(failedEvents.id))
      .limit(limitOf(filter))
      .for("update", { skipLocked: true });
    const sent: number[] = [];
    const byQueue = new Map<string, typeof rows>();
    for (const row of rows) {
      const queue = sourceQueue(row.queue);
      if (!deps.queues[queue]) continue;
      const list = byQueue.get(queue) ?? [];
      list.push(row);
      byQueue.set(queue, list);
    }
    for (const [name, list] of byQueue) {
      const producer = deps.queues[name];
      if (!producer) continue;
      let chunk: typeof rows = [];
      let bytes = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        await producer.sendBatch(chunk.map((row) => ({ body: row.body })));
        sent.push(...chunk.map((row) => row.id));
        chunk = [];
        bytes = 0;
      };
      for (const row of list) {
        const size = JSON.stringify(row.body)?.length ?? 0;
        if (chunk.length >= maxBatchMessages || (chunk.length > 0 && bytes + size > maxBatchBytes))
          await flush();
        chunk.push(row);
        bytes += size;
      }
      await flush();
    }
    if (sent.length > 0) {
      await tx
        .update(failedEvents)
        .set({ replayedAt: sql`now()`, replayCount: sql`${failedEvents.replayCount} + 1` })
        .where(inArray(failedEvents.id, sent));
    }
    sent.sort((a, b) => a - b);
    return { replayed: sent.length, ids: sent };
  });
}

import type { Context } from "hono";
import type { CommerceEvent, CommerceEventMessage } from "../../domain/commerce/event-message.ts";
import { Unavailable } from "../../domain/core/errors.ts";
import type { HonoEnv } from "../hono-env.ts";

/** What a commerce webhook answers: events received, queued, and left out by reason. */
export interface CommerceWebhookAnswer {
  received: number;
  enqueued: number;
  skipped: Record<string, number>;
}

/** Queues' `sendBatch` takes at most 100 messages. */
const sendBatchLimit = 100;

/**
 * Enqueues one message per event on EVENTS_QUEUE, awaited before answering: a failed send is a 503, so
 * the platform delivers again (the consumer stores each event once). Logs counts only.
 */
export async function enqueueCommerceEvents(
  c: Context<HonoEnv>,
  source: string,
  storeId: number,
  events: readonly CommerceEvent[],
  received: number,
  skipped: Record<string, number>,
): Promise<CommerceWebhookAnswer> {
  const receivedAt = new Date().toISOString();
  const messages: CommerceEventMessage[] = events.map((event) => ({
    v: 1,
    type: "commerce",
    storeId,
    receivedAt,
    event,
  }));
  try {
    const calls: Promise<unknown>[] = [];
    for (let start = 0; start < messages.length; start += sendBatchLimit)
      calls.push(
        c.env.EVENTS_QUEUE.sendBatch(
          messages
            .slice(start, start + sendBatchLimit)
            .map((body) => ({ body, contentType: "json" as const })),
        ),
      );
    await Promise.all(calls);
  } catch (error) {
    throw new Unavailable("The events could not be queued; nothing was stored. Deliver them again.", {
      cause: error,
    });
  }
  console.log(
    JSON.stringify({
      event: "commerce_webhook.enqueued",
      source,
      storeId,
      received,
      enqueued: events.length,
      skipped,
    }),
  );
  return { received, enqueued: events.length, skipped };
}

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processEventsBatch } from "../../queues/events/handler.ts";
import { rand } from "./api.ts";

let sequence = 0;

/**
 * Runs `bodies` as one batch of the events queue through the real consumer and reports what it did with
 * each message. The test batch records that a message was retried, not the delay it asked for: the delays
 * are recorded on the way.
 */
export async function consumeEventsBatch(bodies: unknown[], overrides: Partial<Env> = {}, attempts = 1) {
  const messages = bodies.map((body) => {
    sequence += 1;
    return { id: `events-${rand()}-${sequence}`, timestamp: new Date(), attempts, body };
  });
  const batch = createMessageBatch(queueNames.events, messages);
  const ctx = createExecutionContext();
  const delays: (number | undefined)[] = [];
  const observed: MessageBatch<unknown> = {
    queue: batch.queue,
    metadata: batch.metadata,
    ackAll: () => batch.ackAll(),
    retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
    messages: batch.messages.map((message) => ({
      id: message.id,
      timestamp: message.timestamp,
      body: message.body,
      attempts: message.attempts,
      ack: () => message.ack(),
      retry: (options?: QueueRetryOptions) => {
        delays.push(options?.delaySeconds);
        message.retry(options);
      },
    })),
  };
  const report = await processEventsBatch(observed, { ...env, ...overrides } as Env);
  const result = await getQueueResult(batch, ctx);
  return {
    report,
    acked: [...result.explicitAcks].sort(),
    retried: result.retryMessages.map((r) => r.msgId).sort(),
    delays,
    ids: messages.map((m) => m.id).sort(),
    /** The message ids in the order of `bodies`. */
    inOrder: messages.map((m) => m.id),
  };
}

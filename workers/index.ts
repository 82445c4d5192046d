import type { Env } from "../domain/platform/env.ts";
import { queueNames } from "../domain/platform/queue-names.ts";
import { handleCaptureBatch } from "../queues/capture/handler.ts";
import { handleDeadLetterBatch } from "../queues/dead-letter/handler.ts";
import { handleEventsBatch } from "../queues/events/handler.ts";
import { handleRelayBatch } from "../queues/relay/handler.ts";
import { handleSendsBatch } from "../queues/sends/handler.ts";
import { handleEdgeRequest, isEdgePath } from "./edge/router.ts";

/**
 * The one Worker. Edge paths are answered by the itty-router hot path, which never
 * builds the API app or opens a database connection; everything else goes to Hono,
 * loaded on first use. `scheduled` runs the nightly batches, loaded on first use too.
 */
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    if (isEdgePath(url.pathname)) return handleEdgeRequest(request, env, ctx, url);
    const { apiApp } = await import("../api/app.ts");
    return apiApp().fetch(request, env, ctx);
  },

  async queue(batch, env, ctx): Promise<void> {
    switch (batch.queue) {
      case queueNames.captures:
        return handleCaptureBatch(batch, env, ctx);
      case queueNames.relays:
        return handleRelayBatch(batch, env, ctx);
      case queueNames.events:
        return handleEventsBatch(batch, env, ctx);
      case queueNames.sends:
        return handleSendsBatch(batch, env, ctx);
      case queueNames.capturesDeadLetter:
      case queueNames.relaysDeadLetter:
      case queueNames.eventsDeadLetter:
      case queueNames.sendsDeadLetter:
        return handleDeadLetterBatch(batch, env, ctx);
      default:
        // A queue this Worker does not consume: leave the messages for their own consumer.
        console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue }));
        batch.retryAll({ delaySeconds: 60 });
    }
  },

  /** Cron Triggers: the nightly batches of the trigger's cron expression (domain/batches/registry.ts). */
  async scheduled(controller, env): Promise<void> {
    const { handleScheduled } = await import("../domain/batches/scheduled.ts");
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Env>;

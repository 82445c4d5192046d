import type { Context } from "hono";
import type { EmailEvent, EmailPlatform } from "../../domain/contacts/email-event-message.ts";
import { packEmailEvents } from "../../domain/contacts/email-events.ts";
import { Unavailable, ValidationFailed } from "../../domain/core/errors.ts";
import type { HonoEnv } from "../hono-env.ts";
import { ApiProblem } from "../problem.ts";
import type { EmailWebhookAnswer } from "../schemas/email-event.ts";

/** The raw body as bytes: signatures are over exactly what was sent. */
export async function rawBody(c: Context<HonoEnv>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await c.req.arrayBuffer());
}

/** Parses a verified body as JSON (400 otherwise). */
export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ApiProblem("bad_request", "The request body is not valid JSON.");
  }
}

/** The secret a webhook needs, or a 503 saying it is not configured (nothing is read or stored). */
export function requireSecret(value: string | undefined, name: string): string {
  if (!value)
    throw new Unavailable(`This webhook is not configured (${name} is not set); nothing was stored.`);
  return value;
}

export const unauthorized = (header: string): ApiProblem =>
  new ApiProblem("unauthorized", `Missing or invalid ${header} signature; nothing was stored.`);

/** 422 for a body that is not an array of events (SendGrid) at all. */
export function notAnArray(): ValidationFailed {
  return new ValidationFailed([
    { field: "body", category: "malformed", message: "Expected a JSON array of events." },
  ]);
}

/**
 * Enqueues the events to EVENTS_QUEUE, split into messages under the Queues size limit and at most
 * 100 messages per `sendBatch`. Awaited before answering: a failed send is a 503, so the platform
 * delivers again (the consumer is idempotent on the event id). Logs counts only, never an address.
 */
export async function enqueueEmailEvents(
  c: Context<HonoEnv>,
  platform: EmailPlatform,
  events: readonly EmailEvent[],
  received: number,
  skipped: Record<string, number>,
): Promise<EmailWebhookAnswer> {
  const calls = packEmailEvents(platform, events);
  try {
    await Promise.all(
      calls.map((messages) =>
        c.env.EVENTS_QUEUE.sendBatch(messages.map((body) => ({ body, contentType: "json" as const }))),
      ),
    );
  } catch (error) {
    throw new Unavailable("The events could not be queued; nothing was stored. Deliver them again.", {
      cause: error,
    });
  }
  const messages = calls.reduce((sum, call) => sum + call.length, 0);
  console.log(
    JSON.stringify({
      event: "email_webhook.enqueued",
      platform,
      received,
      enqueued: events.length,
      skipped,
      messages,
    }),
  );
  return { received, enqueued: events.length, skipped, messages };
}

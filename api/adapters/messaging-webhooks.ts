import type { Context } from "hono";
import { Unavailable } from "../../domain/core/errors.ts";
import type { HonoEnv } from "../hono-env.ts";

/**
 * Solapi does not sign its delivery report callbacks, so the callback URL carries a secret token
 * (`?token=`), compared here in constant time: both sides are hashed to 32 bytes first, so neither the
 * comparison's time nor an early length check says anything about the token.
 */
export async function tokenMatches(given: string | undefined, expected: string): Promise<boolean> {
  if (given === undefined || given === "") return false;
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const left = new Uint8Array(a);
  const right = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < left.length; i += 1) difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}

/**
 * Enqueues events-queue messages, at most 100 per `sendBatch`, awaited before answering: a failed send is a
 * 503, so the sender delivers again (the consumer is idempotent).
 */
export async function enqueueEventMessages(c: Context<HonoEnv>, bodies: readonly unknown[]): Promise<void> {
  try {
    for (let start = 0; start < bodies.length; start += 100)
      await c.env.EVENTS_QUEUE.sendBatch(
        bodies.slice(start, start + 100).map((body) => ({ body, contentType: "json" as const })),
      );
  } catch (error) {
    throw new Unavailable("The messages could not be queued; nothing was stored. Deliver them again.", {
      cause: error,
    });
  }
}

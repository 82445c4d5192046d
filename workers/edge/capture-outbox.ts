import type { CaptureMessage } from "../../queues/capture/message.ts";
import type { FittedMessage } from "./capture-message.ts";

/** Cloudflare Queues takes at most this many messages in one `sendBatch`. */
export const maxBatchMessages = 100;
/** …and at most 256 KB (1 KB = 1,000 bytes) of them in all, metadata included. */
export const maxBatchBytes = 256_000;
/** What each message is counted for beyond its JSON: Queues adds up to ~100 bytes of metadata. */
const metadataAllowanceBytes = 128;
/**
 * How long the first capture of a batch waits for others before the batch is sent. Nothing a visitor
 * waits for: the redirect has been answered already, the consumer batches for up to a second anyway.
 */
export const flushDelayMs = 5;
/**
 * A scheduled flush that has not run this long after it was due is taken for lost (its request's
 * `waitUntil` was cut short), and the next capture schedules another, so nothing waits for it forever.
 */
const staleFlushMs = 1_000;

interface Pending {
  body: CaptureMessage;
  /** What the message counts towards a batch's bytes: an upper bound until `exact`. */
  bytes: number;
  exact: boolean;
}

interface Outbox {
  pending: Pending[];
  /** When the flush that will take `pending` was scheduled (`Date.now()`), `null` when none is. */
  scheduledAt: number | null;
}

/**
 * One outbox per queue binding, per isolate. Only plain objects wait in it: the messages are built
 * in their own request, and the flush runs in the `waitUntil` of the request that scheduled it, so no
 * request ever awaits a promise or touches an I/O object of another request (workerd cancels a
 * continuation whose promise was settled by a request that has since ended).
 */
const outboxes = new WeakMap<Queue, Outbox>();

/**
 * Sends a capture message through `queue`, coalesced with the captures of concurrent requests in this
 * isolate into `sendBatch` calls. The first capture finding no flush scheduled schedules one in its
 * own `ctx.waitUntil`, {@link flushDelayMs} later; the rest only append (no I/O of their own). A full
 * batch of {@link maxBatchMessages} is sent at once, from the request that filled it. A failed send
 * logs `capture.enqueue_failed` for every capture in it, by capture id only.
 */
export function enqueueCapture(queue: Queue, ctx: ExecutionContext, fitted: FittedMessage): void {
  let outbox = outboxes.get(queue);
  if (outbox === undefined) {
    outbox = { pending: [], scheduledAt: null };
    outboxes.set(queue, outbox);
  }
  outbox.pending.push({
    body: fitted.message,
    bytes: fitted.bytes + metadataAllowanceBytes,
    exact: false,
  });
  if (outbox.pending.length >= maxBatchMessages) {
    ctx.waitUntil(sendAll(queue, take(outbox)));
    return;
  }
  const now = Date.now();
  if (outbox.scheduledAt !== null && now - outbox.scheduledAt < flushDelayMs + staleFlushMs) return;
  const scheduledAt = now;
  outbox.scheduledAt = scheduledAt;
  const scheduled = outbox;
  ctx.waitUntil(
    new Promise<void>((resolve) => setTimeout(resolve, flushDelayMs)).then(() => {
      // A flush scheduled later (this one was presumed lost) owns the flag now.
      if (scheduled.scheduledAt === scheduledAt) scheduled.scheduledAt = null;
      return sendAll(queue, take(scheduled));
    }),
  );
}

function take(outbox: Outbox): Pending[] {
  const pending = outbox.pending;
  outbox.pending = [];
  return pending;
}

/** Sends `pending` in as few `sendBatch` calls as the Queues limits allow. Never rejects. */
async function sendAll(queue: Queue, pending: Pending[]): Promise<void> {
  if (pending.length === 0) return;
  await Promise.all(batches(pending).map((batch) => sendBatch(queue, batch)));
}

async function sendBatch(queue: Queue, batch: Pending[]): Promise<void> {
  try {
    await queue.sendBatch(batch.map(({ body }) => ({ body, contentType: "json" as const })));
  } catch (error) {
    // The visitors have been redirected already; each lost capture is logged without personal data.
    for (const { body } of batch) {
      console.error(
        JSON.stringify({
          event: "capture.enqueue_failed",
          captureId: body.captureId,
          error: error instanceof Error ? error.name : typeof error,
        }),
      );
    }
  }
}

const encoder = new TextEncoder();
const nonAscii = /[\u0080-\uffff]/;

/** The message's size as Queues counts it: the UTF-8 bytes of its JSON, and its metadata. */
function exactBytes(item: Pending): number {
  if (!item.exact) {
    const json = JSON.stringify(item.body);
    item.bytes =
      (nonAscii.test(json) ? encoder.encode(json).byteLength : json.length) + metadataAllowanceBytes;
    item.exact = true;
  }
  return item.bytes;
}

/**
 * Splits `pending` into batches of at most {@link maxBatchMessages} and {@link maxBatchBytes}, in order.
 * Each message counts as its upper bound (no serialising) until the bounds of a batch add up to more than
 * the limit; only then are its messages measured, each at most once.
 */
function batches(pending: Pending[]): Pending[][] {
  const result: Pending[][] = [];
  let batch: Pending[] = [];
  let bytes = 0;
  for (const item of pending) {
    if (batch.length >= maxBatchMessages) {
      result.push(batch);
      batch = [];
      bytes = 0;
    }
    if (batch.length > 0 && bytes + item.bytes > maxBatchBytes) {
      bytes = 0;
      for (const queued of batch) bytes += exactBytes(queued);
      if (bytes + exactBytes(item) > maxBatchBytes) {
        result.push(batch);
        batch = [];
        bytes = 0;
      }
    }
    batch.push(item);
    bytes += item.bytes;
  }
  if (batch.length > 0) result.push(batch);
  return result;
}

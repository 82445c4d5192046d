import { isRecordableInstant } from "../core/instant-range.ts";
import { truncateText } from "../core/text.ts";
import type { EmailEvent, EmailEventsMessage, EmailEventType, EmailPlatform } from "./email-event-message.ts";

/**
 * How a message names the brand it was sent for: a SendGrid custom argument `leadrail_brand` (custom
 * arguments arrive as top-level fields of every event), or a category `leadrail_brand:<id>`; the value is
 * the brand's hash id as the API shows it. The normalised format has a `brand` field instead.
 */
export const brandArgument = "leadrail_brand";
export const brandCategoryPrefix = `${brandArgument}:`;

const sendGridTypes: Record<string, EmailEventType> = {
  processed: "processed",
  deferred: "deferred",
  delivered: "delivered",
  dropped: "dropped",
  bounce: "bounce",
  open: "open",
  click: "click",
  spamreport: "spam_report",
  unsubscribe: "unsubscribe",
  group_unsubscribe: "group_unsubscribe",
  group_resubscribe: "group_resubscribe",
};

/** The largest single event accepted: far above any real one, well below a queue message (128 KB). */
export const maxEventBytes = 64_000;

const text = (value: unknown, max: number): string | null => {
  if (typeof value === "number" && Number.isFinite(value)) return truncateText(String(value), max);
  return typeof value === "string" && value.length > 0 ? truncateText(value, max) : null;
};

function categories(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The brand reference of a SendGrid event: its `leadrail_brand` custom argument, else its category. */
export function sendGridBrandRef(event: Record<string, unknown>): string | null {
  const argument = event[brandArgument];
  if (typeof argument === "string" && argument.length > 0) return argument;
  const category = categories(event.category).find((item) => item.startsWith(brandCategoryPrefix));
  return category ? category.slice(brandCategoryPrefix.length) : null;
}

/** Why a SendGrid event was left out (counted, never logged with its content). */
export type SkipReason =
  | "not_an_object"
  | "unknown_event"
  | "no_event_id"
  | "no_email"
  | "bad_timestamp"
  | "too_large";

/**
 * Maps SendGrid Event Webhook events (the parsed JSON array) to email events. An event this cannot
 * use is skipped and counted by reason, not refused with the batch: SendGrid would retry the whole
 * batch for one event forever. `decodeBrand` turns a brand hash id into its id (null when it is not one).
 */
export function fromSendGrid(
  payload: readonly unknown[],
  decodeBrand: (ref: string) => number | null,
): { events: EmailEvent[]; skipped: Partial<Record<SkipReason, number>> } {
  const events: EmailEvent[] = [];
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (reason: SkipReason) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  for (const item of payload) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      skip("not_an_object");
      continue;
    }
    const event = item as Record<string, unknown>;
    const type = typeof event.event === "string" ? sendGridTypes[event.event] : undefined;
    if (!type) {
      skip("unknown_event");
      continue;
    }
    const id = text(event.sg_event_id, 200);
    if (!id) {
      skip("no_event_id");
      continue;
    }
    if (typeof event.email !== "string" || event.email.length === 0 || event.email.length > 320) {
      skip("no_email");
      continue;
    }
    const seconds = typeof event.timestamp === "number" ? event.timestamp : Number(event.timestamp);
    const occurredAt = new Date(seconds * 1000);
    if (!Number.isFinite(seconds) || !isRecordableInstant(occurredAt.getTime())) {
      skip("bad_timestamp");
      continue;
    }
    const { email, ...raw } = event;
    const brandRef = sendGridBrandRef(event);
    const mapped: EmailEvent = {
      id,
      type,
      email,
      occurredAt: occurredAt.toISOString(),
      brandId: brandRef === null ? null : decodeBrand(brandRef),
      messageId: text(event.sg_message_id, 200),
      // SendGrid: `bounce` is a permanent failure, `blocked` a temporary one.
      bounceType:
        type !== "bounce"
          ? null
          : event.type === "bounce"
            ? "hard"
            : event.type === "blocked"
              ? "soft"
              : null,
      url: type === "click" ? text(event.url, 8192) : null,
      reason: text(event.reason ?? event.response, 2000),
      groupId: text(event.asm_group_id, 100),
      raw,
    };
    if (JSON.stringify(mapped).length > maxEventBytes) {
      skip("too_large");
      continue;
    }
    events.push(mapped);
  }
  return { events, skipped };
}

/** Cloudflare Queues limits (1 KB = 1,000 bytes), with room for the metadata Queues adds. */
export const queueLimits = { messageBytes: 127_000, batchBytes: 255_000, batchMessages: 100 } as const;

const utf8Bytes = (value: string): number => new TextEncoder().encode(value).byteLength;

/**
 * Packs events into queue messages of at most `limits.messageBytes` of JSON each, in order, and the
 * messages into `sendBatch` calls within the per-call limits. Pure: the caller sends.
 */
export function packEmailEvents(
  platform: EmailPlatform,
  events: readonly EmailEvent[],
  limits: { messageBytes: number; batchBytes: number; batchMessages: number } = queueLimits,
): EmailEventsMessage[][] {
  const envelope = utf8Bytes(JSON.stringify({ v: 1, type: "email", platform, events: [] }));
  const messages: { body: EmailEventsMessage; bytes: number }[] = [];
  let current: { body: EmailEventsMessage; bytes: number } | null = null;
  for (const event of events) {
    // A comma between events.
    const size = utf8Bytes(JSON.stringify(event)) + 1;
    if (current === null || current.bytes + size > limits.messageBytes) {
      current = { body: { v: 1, type: "email", platform, events: [] }, bytes: envelope };
      messages.push(current);
    }
    current.body.events.push(event);
    current.bytes += size;
  }
  const calls: EmailEventsMessage[][] = [];
  let call: EmailEventsMessage[] = [];
  let callBytes = 0;
  for (const { body, bytes } of messages) {
    if (call.length > 0 && (call.length >= limits.batchMessages || callBytes + bytes > limits.batchBytes)) {
      calls.push(call);
      call = [];
      callBytes = 0;
    }
    call.push(body);
    callBytes += bytes;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

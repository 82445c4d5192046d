import { truncateText } from "../../domain/core/text.ts";
import type { CaptureMessage } from "../../queues/capture/message.ts";

/**
 * Cloudflare refuses queue messages over 128 KB. The edge keeps its message under this many bytes
 * of JSON, cutting the raw body first and then the largest fields, so a capture is never lost to size.
 */
export const messageBudgetBytes = 100_000;

const maxHeaderCount = 100;
const maxHeaderValueLength = 2048;
const maxUrlLength = 16_384;
const redactedHeaders: ReadonlySet<string> = new Set(["cookie", "authorization", "proxy-authorization"]);

/** Request headers as the capture log keeps them: credentials redacted, values capped. */
export function recordHeaders(headers: Headers): Record<string, string> {
  const recorded: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of headers) {
    if (count >= maxHeaderCount) break;
    count += 1;
    recorded[name] = redactedHeaders.has(name) ? "[redacted]" : truncateText(value, maxHeaderValueLength);
  }
  return recorded;
}

export function recordUrl(url: string): string {
  return truncateText(url, maxUrlLength);
}

export interface FittedMessage {
  message: CaptureMessage;
  /** An upper bound of the bytes of the message's JSON. */
  bytes: number;
}

const encoder = new TextEncoder();

/** An upper bound of the UTF-8 size of a value's JSON, exact when that is over a third of the budget. */
function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value);
  // UTF-8 needs at most 3 bytes per UTF-16 unit: most messages are clearly small and need no encoding.
  if (json.length * 3 <= messageBudgetBytes) return json.length * 3;
  return encoder.encode(json).byteLength;
}

const textLength = (record: Record<string, string>): number => {
  let length = 0;
  for (const name in record) length += name.length + (record[name]?.length ?? 0) + 6;
  return length;
};

/** The longest JSON text of a finite number (`-1.7976931348623157e+308`). */
const maxNumberLength = 24;

/**
 * An upper bound of the UTF-16 units in the JSON of a record of scalars and records of scalars (the
 * selected `request.cf`), before escaping; counted rather than serialised, on every request.
 */
function scalarRecordLength(record: Record<string, unknown> | null): number {
  if (record === null) return 0;
  let length = 2;
  for (const name in record) {
    const value = record[name];
    length +=
      name.length +
      4 +
      (typeof value === "string"
        ? value.length + 2
        : typeof value === "object" && value !== null
          ? scalarRecordLength(value as Record<string, unknown>)
          : maxNumberLength);
  }
  return length;
}

/**
 * An upper bound of the message's JSON size in bytes, without serialising it: every UTF-16 unit of a
 * string becomes at most 6 bytes of JSON (`\u001f`), and the fixed-shape parts fit in a few kilobytes.
 */
function maxJsonBytes(message: CaptureMessage): number {
  const request = message.request;
  const units =
    message.landingRef.length +
    request.url.length +
    (request.body?.length ?? 0) +
    textLength(request.headers) +
    textLength(request.fields) +
    Object.keys(request.truncatedFields).length * 32 +
    Object.keys(message.overrides).length * 300 +
    scalarRecordLength(message.cf) +
    message.edge.response.location.length * 2 +
    textLength(message.edge.response.headers);
  return units * 6 + 4096;
}

/**
 * Shrinks a message that would exceed {@link messageBudgetBytes}: first the raw body (marking it
 * truncated), then the largest field values (recording their original length), then the largest header values.
 * Modifies and returns it, with an upper bound of its JSON size in bytes (measured when it had to be).
 */
export function fitMessage(message: CaptureMessage): FittedMessage {
  const bound = maxJsonBytes(message);
  if (bound <= messageBudgetBytes) return { message, bytes: bound };
  let bytes = jsonBytes(message);
  const request = message.request;
  while (bytes > messageBudgetBytes && request.body !== null && request.body.length > 0) {
    // Each UTF-16 unit removed shrinks the JSON by at least one byte, so this converges in a pass or two.
    request.body = truncateText(request.body, request.body.length - (bytes - messageBudgetBytes));
    request.bodyTruncated = true;
    bytes = jsonBytes(message);
  }
  if (bytes > messageBudgetBytes) {
    const bySize = Object.entries(request.fields).sort(([, a], [, b]) => b.length - a.length);
    for (const [name, value] of bySize) {
      if (bytes <= messageBudgetBytes) break;
      if (value.length === 0) continue;
      request.truncatedFields[name] = request.truncatedFields[name] ?? value.length;
      const keep = Math.max(0, value.length - (bytes - messageBudgetBytes));
      request.fields[name] = truncateText(value, keep);
      bytes = jsonBytes(message);
    }
  }
  if (bytes > messageBudgetBytes) {
    const bySize = Object.entries(request.headers).sort(([, a], [, b]) => b.length - a.length);
    for (const [name, value] of bySize) {
      if (bytes <= messageBudgetBytes) break;
      request.headers[name] = truncateText(value, value.length - (bytes - messageBudgetBytes));
      bytes = jsonBytes(message);
    }
  }
  return { message, bytes };
}

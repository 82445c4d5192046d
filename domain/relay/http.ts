import { truncateText } from "../core/text.ts";
import { capResponseBody, responseBodyCap } from "./delivery.ts";

/**
 * The I/O half of an outbound request's record: reading a partner's answer up to the cap, and naming a
 * request that got no answer. The relay consumer and the API's test fire both store attempts this way.
 */

/** The response text up to the cap; the rest is not read (the stream is cancelled). */
export async function readCapped(response: Response): Promise<{ body: string; truncated: boolean }> {
  if (!response.body) return { body: "", truncated: false };
  // The common case, a short answer of known length: one read, no stream bookkeeping.
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  if (length <= responseBodyCap) return capResponseBody(await response.text());
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length > responseBodyCap) {
        await reader.cancel();
        return capResponseBody(text);
      }
    }
    text += decoder.decode();
  } finally {
    reader.releaseLock();
  }
  return capResponseBody(text);
}

/** What an attempt that got no HTTP answer stores: the kind of failure, short. */
export function fetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `timeout: no answer within ${timeoutMs} ms`;
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return truncateText(text, 500);
}

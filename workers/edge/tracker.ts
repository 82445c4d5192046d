import { sha256HexSync } from "../../domain/core/sha256.ts";
import { truncateText } from "../../domain/core/text.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { isBotClick } from "../../domain/funnel/click-bot.ts";
import { type Env, edgeConfig } from "../../domain/platform/env.ts";
import { type BeaconError, maxBeaconBytes, occurredAt, parseBeacon } from "../../domain/tracking/beacon.ts";
import { trackerScript } from "../../domain/tracking/script.ts";
import type { TrackerMessage } from "../../queues/events/tracker-message.ts";
import { cfCountry } from "./cf.ts";
import { decodeHashId } from "./hash-id-cache.ts";

/** Browsers and CDNs keep the script an hour and may serve it a day longer while they revalidate. */
const scriptCacheControl = "public, max-age=3600, stale-while-revalidate=86400";

let scriptEtag: string | null = null;
/** The script's ETag: its content's hash, computed once per isolate. */
const etag = (): string => {
  scriptEtag ??= `"${sha256HexSync(trackerScript).slice(0, 32)}"`;
  return scriptEtag;
};

/**
 * Answers `GET|HEAD /t.js`: the tracker script (domain/tracking/script.ts) from the Worker's own code, with
 * an ETag, so a page's revalidation is a 304 without a body.
 */
export function serveTrackerScript(request: Request): Response {
  const tag = etag();
  const headers = {
    "content-type": "application/javascript; charset=utf-8",
    "cache-control": scriptCacheControl,
    etag: tag,
    "access-control-allow-origin": "*",
    "x-content-type-options": "nosniff",
  };
  const known = request.headers.get("if-none-match");
  if (known?.split(",").some((value) => value.trim().replace(/^W\//, "") === tag))
    return new Response(null, { status: 304, headers });
  return new Response(request.method === "HEAD" ? null : trackerScript, { status: 200, headers });
}

/**
 * CORS for the brand's pages: the request's own Origin is allowed. The endpoint takes no credentials and
 * returns nothing, and the edge does not know a brand's sites without a database read, so echoing the Origin
 * lets every page carrying the tag send (the brand hash id decides whose events they are).
 */
function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get("origin");
  return origin === null ? { vary: "Origin" } : { "access-control-allow-origin": origin, vary: "Origin" };
}

/** `OPTIONS /collect`: a `fetch` with `application/json` asks first; `sendBeacon`'s text/plain does not. */
export function collectPreflight(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(request),
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-allow-headers": "content-type",
      "access-control-max-age": "86400",
      "cache-control": "no-store",
    },
  });
}

function refused(request: Request, status: number, title: string, error: BeaconError): Response {
  const body = {
    type: `urn:leadrail:problem:${status === 400 ? "validation-failed" : title.toLowerCase().replaceAll(" ", "-")}`,
    title,
    status,
    detail: `${error.field}: ${error.message}`,
    instance: "/collect",
    errors: [error],
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...corsHeaders(request),
      "content-type": "application/problem+json",
      "cache-control": "no-store",
    },
  });
}

const decoder = new TextDecoder();

/** The body as text, or `null` when it is larger than the beacon's bound (read at most one chunk past it). */
async function readBounded(request: Request): Promise<string | null> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d{1,15}$/.test(declared) && Number(declared) > maxBeaconBytes) return null;
  const stream = request.body;
  if (stream === null) return "";
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBeaconBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

/**
 * Answers `POST /collect`, a tracker beacon: checks it (at most 16 KB, 20 events of the known types, a brand
 * hash id that decodes) and answers 204 at once, sending one `tracker` message on the events queue in
 * `waitUntil` with the edge's UUIDv7 per event, `request.cf`'s country, the user agent and the bot decision
 * of tracked-link clicks. A bad beacon is a 400 naming the field; nothing is queued. Never touches Postgres.
 */
export async function collectBeacon(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const received = Date.now();
  const contentType = (request.headers.get("content-type") ?? "text/plain")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  if (contentType !== "text/plain" && contentType !== "application/json")
    return refused(request, 415, "Unsupported media type", {
      field: "content-type",
      category: "not_allowed",
      message: "text/plain or application/json.",
    });
  let text: string | null;
  try {
    text = await readBounded(request);
  } catch {
    return refused(request, 400, "Bad request", {
      field: "body",
      category: "malformed",
      message: "Unreadable.",
    });
  }
  if (text === null)
    return refused(request, 413, "Payload too large", {
      field: "body",
      category: "too_long",
      message: `At most ${maxBeaconBytes} bytes.`,
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refused(request, 400, "Validation failed", {
      field: "body",
      category: "malformed",
      message: "Not JSON.",
    });
  }
  const parsed = parseBeacon(json);
  if (!parsed.ok) return refused(request, 400, "Validation failed", parsed.error);
  const beacon = parsed.beacon;
  let brandId: number | null;
  try {
    brandId = decodeHashId(edgeConfig(env).SQIDS_ALPHABET, "brand", beacon.brand);
  } catch (error) {
    // A Worker without a usable alphabet cannot tell whose events these are; the page is told to try later.
    log("collect.config_error", error);
    return new Response(null, {
      status: 503,
      headers: { ...corsHeaders(request), "cache-control": "no-store" },
    });
  }
  if (brandId === null)
    return refused(request, 400, "Validation failed", {
      field: "brand",
      category: "malformed",
      message: "Not a brand hash id.",
    });

  try {
    const userAgent = request.headers.get("user-agent");
    const cf: unknown = request.cf;
    const country = cfCountry(cf);
    const message: TrackerMessage = {
      type: "tracker",
      brandId,
      visitorId: beacon.visitorId,
      sessionId: beacon.sessionId,
      captureId: beacon.captureId === null ? null : beacon.captureId.toLowerCase(),
      linkToken: beacon.linkToken,
      clickIds: beacon.clickIds,
      receivedAt: new Date(received).toISOString(),
      country,
      userAgent: userAgent === null ? null : truncateText(userAgent, 512),
      bot: isBotClick(userAgent, cf),
      events: beacon.events.map((event) => {
        const at = occurredAt(received, beacon.sent, event.t);
        return {
          id: uuidv7(at),
          type: event.type,
          url: event.url,
          referrer: event.referrer,
          title: event.title,
          element: event.element,
          occurredAt: new Date(at).toISOString(),
        };
      }),
    };
    ctx.waitUntil(
      env.EVENTS_QUEUE.send(message, { contentType: "json" }).catch((error: unknown) => {
        // The page got its answer; the beacon is lost, and said so (no page data in the log).
        log("collect.enqueue_failed", error);
      }),
    );
  } catch (error) {
    log("collect.enqueue_failed", error);
  }
  return new Response(null, {
    status: 204,
    headers: { ...corsHeaders(request), "cache-control": "no-store" },
  });
}

function log(event: string, error: unknown): void {
  console.error(JSON.stringify({ event, error: error instanceof Error ? error.name : typeof error }));
}

import { truncateText } from "../../domain/core/text.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { isBotClick } from "../../domain/funnel/click-bot.ts";
import { decodeLinkToken, type LinkToken, linkTokenParam } from "../../domain/messaging/links.ts";
import { type EdgeConfig, type Env, edgeConfig } from "../../domain/platform/env.ts";
import type { MessageClickMessage } from "../../queues/events/click-message.ts";
import { cfCountry } from "./cf.ts";
import { readMessageLinks } from "./config-store.ts";

/** Why a tracked link went to a fallback rather than its arm's landing (logged, never shown). */
type LinkFallback = "bad_token" | "missing_targets" | "no_arm_target" | "kv_error" | "internal_error";

/**
 * Answers `GET /m/:token`, a send's tracked link: the token names the send, its campaign and arm; the arm's
 * landing comes from the campaign's link targets in KV (never from the request: no open redirect), and the
 * visitor is sent there at once (302) with `lr_m=<token>` added to its query, so the landing's capture can
 * name the send. An arm without a landing goes to the campaign's fallback; a token that does not decode, a
 * campaign without targets and KV failing go to the global fallback. Then, in `waitUntil`, one
 * `message.click` message on the events queue for a token that decodes (the consumer keeps it only when the
 * send, campaign and arm agree). Never touches Postgres.
 */
export async function followMessageLink(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  tokenRef: string,
): Promise<Response> {
  const received = Date.now();
  let config: EdgeConfig | null = null;
  let token: LinkToken | null = null;
  let location: string | null;
  let reason: LinkFallback | null = null;
  try {
    config = edgeConfig(env);
    token = decodeLinkToken(config.SQIDS_ALPHABET, tokenRef);
    const decided = await decide(env, config, token, tokenRef, received);
    location = decided.location;
    reason = decided.reason;
  } catch (error) {
    log("message_link.internal_error", error);
    reason = "internal_error";
    location = config?.GLOBAL_FALLBACK_URL ?? rawUrl(env.GLOBAL_FALLBACK_URL);
  }
  if (reason !== null && reason !== "no_arm_target")
    console.log(JSON.stringify({ event: "message_link.fallback", reason }));
  if (token !== null) sendClick(request, env, ctx, token, received);
  if (location === null)
    return new Response("Service Unavailable", {
      status: 503,
      headers: { "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
    });
  return new Response(null, { status: 302, headers: { location, "cache-control": "no-store" } });
}

async function decide(
  env: Env,
  config: EdgeConfig,
  token: LinkToken | null,
  tokenRef: string,
  now: number,
): Promise<{ location: string; reason: LinkFallback | null }> {
  const globalFallback = config.GLOBAL_FALLBACK_URL;
  if (token === null) return { location: globalFallback, reason: "bad_token" };
  let targets: Awaited<ReturnType<typeof readMessageLinks>>;
  try {
    targets = await readMessageLinks(env.EDGE_CONFIG, token.messageCampaignId, {
      ttlMs: config.EDGE_CACHE_TTL_MS,
      now,
      deadlineMs: config.EDGE_KV_DEADLINE_MS,
    });
  } catch (error) {
    log("edge.kv_error", error);
    return { location: globalFallback, reason: "kv_error" };
  }
  if (targets === null) return { location: globalFallback, reason: "missing_targets" };
  const target = targets.arms[String(token.arm)];
  if (target === undefined)
    return { location: withToken(targets.fallback, tokenRef), reason: "no_arm_target" };
  return { location: withToken(target, tokenRef), reason: null };
}

/**
 * `target` with `lr_m=<token>` added to its query, the rest of the query kept as published (only an `lr_m`
 * already there is replaced). Tokens are sqids of the alphabet: nothing in them needs escaping.
 */
export function withToken(target: string, token: string): string {
  const url = new URL(target);
  if (url.searchParams.has(linkTokenParam)) url.searchParams.delete(linkTokenParam);
  const query = url.search.length > 1 ? `${url.search}&` : "?";
  url.search = `${query}${linkTokenParam}=${token}`;
  return url.href;
}

function sendClick(request: Request, env: Env, ctx: ExecutionContext, token: LinkToken, at: number): void {
  try {
    const userAgent = request.headers.get("user-agent");
    const cf: unknown = request.cf;
    const country = cfCountry(cf);
    const message: MessageClickMessage = {
      type: "message.click",
      id: uuidv7(at),
      sendId: token.sendId,
      messageCampaignId: token.messageCampaignId,
      arm: token.arm,
      at: new Date(at).toISOString(),
      userAgent: userAgent === null ? null : truncateText(userAgent, 512),
      country,
      bot: isBotClick(userAgent, cf),
    };
    ctx.waitUntil(
      env.EVENTS_QUEUE.send(message, { contentType: "json" }).catch((error: unknown) => {
        // The visitor was redirected all the same; the click is lost, and said so.
        log("message_link.enqueue_failed", error);
      }),
    );
  } catch (error) {
    log("message_link.enqueue_failed", error);
  }
}

function rawUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function log(event: string, error: unknown): void {
  console.error(JSON.stringify({ event, error: error instanceof Error ? error.name : typeof error }));
}

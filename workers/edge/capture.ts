import { collectFields } from "../../domain/capture/request-fields.ts";
import { isNormalisedEmail, normaliseEmail } from "../../domain/contacts/email.ts";
import { type KnowledgeLevel, knowledgeFlags, knowledgeLevel } from "../../domain/contacts/knowledge.ts";
import type { EntityKind } from "../../domain/core/hash-ids.ts";
import { sha256HexSync } from "../../domain/core/sha256.ts";
import { truncateText } from "../../domain/core/text.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { type EdgeConfig, type Env, edgeConfig } from "../../domain/platform/env.ts";
import { redirectPostbackUrl } from "../../domain/relay/redirect-postback.ts";
import type { LandingDoc } from "../../domain/routing/edge-config.ts";
import { matchRule } from "../../domain/routing/rules.ts";
import { marketingParams, renderTarget, type TargetValues } from "../../domain/routing/target-url.ts";
import type { CaptureMessage } from "../../queues/capture/message.ts";
import { type ReadBody, readLandingBody } from "./body.ts";
import { fitMessage, recordHeaders, recordUrl } from "./capture-message.ts";
import { enqueueCapture } from "./capture-outbox.ts";
import { selectCf } from "./cf.ts";
import { type ReadPolicy, readKnowledge, readLanding, readPartner, readRules } from "./config-store.ts";
import { decodeHashId } from "./hash-id-cache.ts";

/**
 * Why a visitor was sent to a fallback URL rather than a rule's target.
 * `unknown_landing` (bad hash id or no landing document), `kv_error` (the landing, rules or knowledge
 * could not be read, or not within `EDGE_KV_DEADLINE_MS`) and `config_error` with an unusable landing
 * document go to the global fallback; the rest go to the landing's own fallback. `internal_error` is an
 * unexpected failure of the edge.
 */
export type FallbackReason =
  | "unknown_landing"
  | "inactive_landing"
  | "bad_input"
  | "kv_error"
  | "config_error"
  | "no_match"
  | "internal_error";

type KnowledgeSource = CaptureMessage["edge"]["knowledgeSource"];

const overrideParams = [
  { param: "b", kind: "brand", dimension: "brandId" },
  { param: "t", kind: "theme", dimension: "themeId" },
  { param: "p", kind: "partner", dimension: "partnerId" },
  { param: "pr", kind: "product", dimension: "productId" },
] as const satisfies readonly { param: string; kind: EntityKind; dimension: keyof LandingIds }[];

interface LandingIds {
  brandId: number | null;
  themeId: number | null;
  partnerId: number | null;
  productId: number | null;
}

/** Everything decided about one capture so far; filled in as the request is handled, so a failure still knows its best fallback. */
interface CaptureTrace {
  captureId: string;
  /** Unix milliseconds; formatted only when the message is built, after the response. */
  receivedAt: number;
  startedAt: number;
  landingRef: string;
  landingId: number | null;
  ids: LandingIds;
  overrides: CaptureMessage["overrides"];
  body: ReadBody | null;
  fields: Record<string, string>;
  truncatedFields: Record<string, number>;
  emailSha256: string | null;
  knowledge: KnowledgeLevel;
  knowledgeSource: KnowledgeSource;
  ruleId: number | null;
  landingFallback: string | null;
}

interface Decision {
  location: string;
  fallbackReason: FallbackReason | null;
}

/**
 * Answers `GET|POST /l/:landing`: decides the redirect from KV alone, answers at once, and sends
 * the one capture message in `waitUntil` (batched with concurrent captures, see {@link enqueueCapture}). Never throws: any failure redirects to the best fallback known.
 */
export async function captureLanding(
  request: Request,
  url: URL,
  env: Env,
  ctx: ExecutionContext,
  landingRef: string,
): Promise<Response> {
  const startedAt = performance.now();
  const received = Date.now();
  const trace: CaptureTrace = {
    captureId: uuidv7(received),
    receivedAt: received,
    startedAt,
    landingRef: truncateText(landingRef, 256),
    landingId: null,
    ids: { brandId: null, themeId: null, partnerId: null, productId: null },
    overrides: {},
    body: null,
    fields: {},
    truncatedFields: {},
    emailSha256: null,
    knowledge: "unknown",
    knowledgeSource: "no_email",
    ruleId: null,
    landingFallback: null,
  };
  const status = request.method === "POST" ? 303 : 302;

  let config: EdgeConfig | null = null;
  let decision: Decision | null;
  try {
    config = edgeConfig(env);
    decision = await decide(request, url, env, config, trace);
  } catch (error) {
    logError("edge.internal_error", trace.captureId, error);
    const fallback = trace.landingFallback ?? config?.GLOBAL_FALLBACK_URL ?? rawGlobalFallback(env);
    decision = fallback === null ? null : { location: fallback, fallbackReason: "internal_error" };
  }

  const headers: Record<string, string> =
    decision === null
      ? { "x-capture-id": trace.captureId, "cache-control": "no-store" }
      : { location: decision.location, "x-capture-id": trace.captureId, "cache-control": "no-store" };
  // Without any usable fallback URL there is nowhere to send the visitor: say so rather than guess.
  const responseStatus = decision === null ? 503 : status;
  const durationMs = performance.now() - startedAt;

  const sent: SentResponse = {
    fallbackReason: decision === null ? "config_error" : decision.fallbackReason,
    status: responseStatus,
    location: decision?.location ?? "",
    headers,
    durationMs,
  };
  // Building the message is a few microseconds of work before the response; deferring it to a timer
  // cost more CPU than it saved latency. The send itself happens after the response, batched with the
  // captures of concurrent requests.
  sendCapture(env, ctx, request, trace, sent);
  return new Response(null, { status: responseStatus, headers });
}

async function decide(
  request: Request,
  url: URL,
  env: Env,
  config: EdgeConfig,
  trace: CaptureTrace,
): Promise<Decision> {
  const alphabet = config.SQIDS_ALPHABET;
  const policy: ReadPolicy = {
    ttlMs: config.EDGE_CACHE_TTL_MS,
    now: Date.now(),
    deadlineMs: config.EDGE_KV_DEADLINE_MS,
  };
  const globalFallback = config.GLOBAL_FALLBACK_URL;

  const landingId = decodeHashId(alphabet, "landing", trace.landingRef);
  trace.landingId = landingId;
  const overridden: Partial<LandingIds> = {};
  let overrideInvalid = false;
  for (const { param, kind, dimension } of overrideParams) {
    const raw = url.searchParams.get(param);
    if (raw === null) continue;
    const decoded = decodeHashId(alphabet, kind, raw);
    trace.overrides[param] = { raw: truncateText(raw, 256), valid: decoded !== null };
    if (decoded === null) overrideInvalid = true;
    else overridden[dimension] = decoded;
  }

  // The landing, the rules and the body are independent: wait for them together.
  const [landingRead, rulesRead, body] = await Promise.all([
    landingId === null ? null : settle(readLanding(env.EDGE_CONFIG, landingId, policy), "landing", trace),
    settle(readRules(env.EDGE_CONFIG, policy), "rules", trace),
    readLandingBody(request),
  ]);
  trace.body = body;
  const collected = collectFields(url.searchParams, body.pairs);
  trace.fields = collected.fields;
  trace.truncatedFields = collected.truncatedFields;

  let landing: LandingDoc | null = null;
  let reason: FallbackReason | null = null;
  if (landingRead === null) reason = "unknown_landing";
  else if (!landingRead.ok) reason = "kv_error";
  else if (landingRead.value.status === "missing") reason = "unknown_landing";
  else if (landingRead.value.status === "invalid") reason = "config_error";
  else landing = landingRead.value.landing;

  trace.ids = {
    brandId: overridden.brandId ?? landing?.brandId ?? null,
    themeId: overridden.themeId ?? landing?.themeId ?? null,
    partnerId: overridden.partnerId ?? landing?.partnerId ?? null,
    productId: overridden.productId ?? landing?.productId ?? null,
  };
  if (landing) {
    trace.landingFallback = landing.fallbackUrl;
    if (!landing.active) reason = "inactive_landing";
  }

  // The partner's document says whether its postback rides on this redirect; read beside the knowledge.
  // Without it (no partner, or KV failing) the visitor simply goes to the rule's target.
  const partnerId = trace.ids.partnerId;
  const partnerRead =
    partnerId === null || landing === null
      ? null
      : settle(readPartner(env.EDGE_CONFIG, partnerId, policy), "partner", trace);

  const email = normaliseEmail(trace.fields.email);
  if (isNormalisedEmail(email)) {
    const emailSha256 = sha256HexSync(email.address);
    trace.emailSha256 = emailSha256;
    const entry = await settle(readKnowledge(env.KNOWLEDGE, emailSha256, policy), "knowledge", trace);
    if (entry.ok) {
      trace.knowledge = knowledgeLevel(knowledgeFlags(entry.value, trace.ids.brandId));
      trace.knowledgeSource = "kv";
    } else {
      trace.knowledgeSource = "kv_error";
    }
  }

  if (reason === null && (body.error !== null || overrideInvalid || trace.emailSha256 === null)) {
    reason = "bad_input";
  }
  if (reason === null && trace.knowledgeSource === "kv_error") reason = "kv_error";
  if (landing === null || reason !== null) {
    return { location: landing?.fallbackUrl ?? globalFallback, fallbackReason: reason ?? "config_error" };
  }

  if (!rulesRead.ok) return { location: landing.fallbackUrl, fallbackReason: "kv_error" };
  if (rulesRead.value.status === "invalid")
    return { location: landing.fallbackUrl, fallbackReason: "config_error" };
  const rule = matchRule(rulesRead.value.rules, { ...trace.ids, knowledge: trace.knowledge });
  if (rule === null) return { location: landing.fallbackUrl, fallbackReason: "no_match" };
  trace.ruleId = rule.id;
  if (rule.target === null) return { location: landing.fallbackUrl, fallbackReason: "config_error" };

  const values = targetValues(trace, landing);
  const rendered = renderTarget(rule.target, values);
  if (!rendered.ok) return { location: landing.fallbackUrl, fallbackReason: "config_error" };
  const partner = partnerRead === null ? null : await partnerRead;
  const throughNetwork = partner?.ok
    ? redirectPostbackUrl(partner.value?.redirectPostback, {
        knowledge: trace.knowledge,
        captureId: trace.captureId,
        values,
        target: rendered.url,
      })
    : null;
  return { location: throughNetwork ?? rendered.url, fallbackReason: null };
}

function targetValues(trace: CaptureTrace, landing: LandingDoc): TargetValues {
  const fields = trace.fields;
  const values: TargetValues = {
    email_hash: trace.emailSha256,
    capture_id: trace.captureId,
    click_id: landing.clickIdParam === "" ? null : fields[landing.clickIdParam],
    transaction_id: landing.transactionIdParam === "" ? null : fields[landing.transactionIdParam],
  };
  for (const param of marketingParams) values[param] = fields[param];
  return values;
}

interface SentResponse {
  fallbackReason: FallbackReason | null;
  status: number;
  location: string;
  headers: Record<string, string>;
  durationMs: number;
}

function sendCapture(
  env: Env,
  ctx: ExecutionContext,
  request: Request,
  trace: CaptureTrace,
  response: SentResponse,
): void {
  try {
    const body = trace.body;
    const message: CaptureMessage = {
      v: 1,
      captureId: trace.captureId,
      receivedAt: new Date(trace.receivedAt).toISOString(),
      landingRef: trace.landingRef,
      landing: { id: trace.landingId, ...trace.ids },
      overrides: trace.overrides,
      request: {
        method: truncateText(request.method, 16),
        url: recordUrl(request.url),
        headers: recordHeaders(request.headers),
        body: body?.text ?? null,
        bodyBytes: body?.bytes ?? 0,
        bodyTruncated: body?.truncated ?? false,
        bodyError: body?.error ?? null,
        fields: trace.fields,
        truncatedFields: trace.truncatedFields,
      },
      cf: selectCf(request.cf),
      edge: {
        emailSha256: trace.emailSha256,
        knowledge: trace.knowledge,
        knowledgeSource: trace.knowledgeSource,
        ruleId: trace.ruleId,
        fallbackReason: response.fallbackReason,
        response: { status: response.status, location: response.location, headers: response.headers },
        durationMs: response.durationMs,
      },
    };
    enqueueCapture(env.CAPTURES_QUEUE, ctx, fitMessage(message));
  } catch (error) {
    // The visitor is redirected all the same; the failure is logged without any personal data.
    logError("capture.enqueue_failed", trace.captureId, error);
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false };

/** Turns a KV read into a result, logging a failure (which document, never its key: a knowledge key is an email hash). */
function settle<T>(promise: Promise<T>, document: string, trace: CaptureTrace): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => {
      console.error(
        JSON.stringify({
          event: "edge.kv_error",
          document,
          captureId: trace.captureId,
          error: error instanceof Error ? error.name : typeof error,
        }),
      );
      return { ok: false };
    },
  );
}

function rawGlobalFallback(env: Env): string | null {
  try {
    const url = new URL(env.GLOBAL_FALLBACK_URL);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function logError(event: string, captureId: string, error: unknown): void {
  console.error(
    JSON.stringify({ event, captureId, error: error instanceof Error ? error.name : typeof error }),
  );
}

import type { FieldError } from "../../domain/core/errors.ts";
import { truncateText } from "../../domain/core/text.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { type Env, edgeConfig } from "../../domain/platform/env.ts";
import {
  canonicalString,
  checkTimestamp,
  signatureParam,
  verifyConversionSignature,
} from "../../domain/relay/inbound-conversion.ts";
import type { ConversionMessage } from "../../queues/events/conversion-message.ts";
import { readLandingBody } from "./body.ts";
import { readPartner } from "./config-store.ts";
import { readConversion } from "./conversion-fields.ts";
import { decodeHashId } from "./hash-id-cache.ts";

/** Bounds on what a conversion may carry: a handful of short parameters, never a document. */
const maxParams = 64;
const maxNameLength = 128;
const maxValueLength = 2048;

type ProblemCode =
  | "bad_request"
  | "unauthorized"
  | "validation_failed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unavailable";

const problems: Record<ProblemCode, { status: number; title: string }> = {
  bad_request: { status: 400, title: "Bad request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  unavailable: { status: 503, title: "Service unavailable" },
};

/** The API's problem+json envelope, built here because the edge never loads the API app. */
function problem(code: ProblemCode, detail: string, receipt: string, errors?: FieldError[]): Response {
  const { status, title } = problems[code];
  const body = {
    type: `urn:leadrail:problem:${code.replaceAll("_", "-")}`,
    title,
    status,
    detail,
    instance: "/pb",
    request_id: receipt,
    ...(errors ? { errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
  });
}

type Params = { ok: true; params: Map<string, string> } | { ok: false; response: Response };

/** The query string and, for a POST, the form or JSON body; a name sent twice is ambiguous to sign, so refused. */
async function readParams(request: Request, url: URL, receipt: string): Promise<Params> {
  const params = new Map<string, string>();
  const body = await readLandingBody(request);
  if (body.error === "too_large")
    return { ok: false, response: problem("payload_too_large", "The body is larger than 64 KB.", receipt) };
  if (body.error === "unsupported_media_type")
    return {
      ok: false,
      response: problem(
        "unsupported_media_type",
        "Send a form (application/x-www-form-urlencoded) or JSON body.",
        receipt,
      ),
    };
  if (body.error !== null)
    return { ok: false, response: problem("bad_request", "The body could not be read.", receipt) };
  for (const source of [url.searchParams, body.pairs ?? []]) {
    for (const [name, value] of source) {
      if (params.has(name))
        return {
          ok: false,
          response: problem(
            "bad_request",
            `The parameter "${truncateText(name, maxNameLength)}" is repeated.`,
            receipt,
          ),
        };
      if (
        name.length === 0 ||
        name.length > maxNameLength ||
        value.length > maxValueLength ||
        params.size >= maxParams
      )
        return {
          ok: false,
          response: problem(
            "bad_request",
            `At most ${maxParams} parameters, names up to ${maxNameLength} and values up to ${maxValueLength} characters.`,
            receipt,
          ),
        };
      params.set(name, value);
    }
  }
  return { ok: true, params };
}

/**
 * Answers `GET|POST /pb`: a partner reports a conversion, signed with its secret (see README, "Inbound
 * conversions"). Verified from KV alone (the partner's document); a valid one is one message on the
 * events queue and a 202 with its receipt, a bad or missing signature, an unknown partner or one
 * without a secret a 401 with nothing enqueued. The queue send is awaited: a 202 means the conversion
 * is on the queue, and a failed send is a 503 the partner can retry (storing is idempotent).
 */
export async function receiveConversion(request: Request, url: URL, env: Env): Promise<Response> {
  const received = Date.now();
  const receipt = uuidv7(received);
  let config: ReturnType<typeof edgeConfig>;
  try {
    config = edgeConfig(env);
  } catch (error) {
    log("pb.config_error", receipt, error);
    return problem("unavailable", "The endpoint is not configured.", receipt);
  }
  const read = await readParams(request, url, receipt);
  if (!read.ok) return read.response;
  const params = read.params;

  const unauthorized = (detail: string, reason: string) => {
    console.log(JSON.stringify({ event: "pb.unauthorized", receipt, reason }));
    return problem("unauthorized", detail, receipt);
  };
  const partnerRef = params.get("partner");
  const partnerId = partnerRef ? decodeHashId(config.SQIDS_ALPHABET, "partner", partnerRef) : null;
  if (partnerId === null) return unauthorized("Unknown partner.", "unknown_partner");
  let partner: Awaited<ReturnType<typeof readPartner>>;
  try {
    partner = await readPartner(env.EDGE_CONFIG, partnerId, {
      ttlMs: config.EDGE_CACHE_TTL_MS,
      now: received,
      deadlineMs: config.EDGE_KV_DEADLINE_MS,
    });
  } catch (error) {
    log("pb.kv_error", receipt, error);
    return problem("unavailable", "The conversion could not be checked; retry.", receipt);
  }
  if (partner === null || !partner.active) return unauthorized("Unknown partner.", "unknown_partner");
  if (!partner.signingSecret) return unauthorized("This partner has no signing secret.", "no_secret");
  const signature = params.get(signatureParam);
  if (!signature) return unauthorized("The signature (sig) is missing.", "missing_signature");
  if (!(await verifyConversionSignature(partner.signingSecret, canonicalString(params), signature)))
    return unauthorized("The signature does not match.", "bad_signature");
  const freshness = checkTimestamp(params.get("ts"), received);
  if (freshness !== "ok")
    return unauthorized(
      "The timestamp (ts, Unix seconds) is missing, malformed or outside the accepted window.",
      `ts_${freshness}`,
    );

  const conversion = readConversion(params);
  if (!conversion.ok)
    return problem("validation_failed", "The conversion has invalid fields.", receipt, conversion.errors);
  params.delete(signatureParam);
  const message: ConversionMessage = {
    v: 1,
    type: "conversion",
    receiptId: receipt,
    receivedAt: new Date(received).toISOString(),
    partnerId,
    ...conversion.fields,
    params: Object.fromEntries(params),
  };
  try {
    await env.EVENTS_QUEUE.send(message, { contentType: "json" });
  } catch (error) {
    log("pb.enqueue_failed", receipt, error);
    return problem("unavailable", "The conversion could not be queued; retry.", receipt);
  }
  return new Response(JSON.stringify({ receipt, status: "accepted" }), {
    status: 202,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

function log(event: string, receipt: string, error: unknown): void {
  console.error(
    JSON.stringify({ event, receipt, error: error instanceof Error ? error.name : typeof error }),
  );
}

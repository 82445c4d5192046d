import { exponentialBackoff } from "../core/backoff.ts";
import { hmacHex } from "../core/hmac.ts";
import { truncateText } from "../core/text.ts";
import { mappedLeadFields } from "./dispatch.ts";
import { postbackMacroValues, readPostbackValues, renderPostbackUrl } from "./postback-template.ts";

/**
 * Relay delivery, the pure part: the exact HTTP request a relay job becomes, what of it is
 * stored, and when a failed job is tried again. The relay consumer (queues/relay) does the I/O.
 *
 * Signature scheme (documented for partners and buyers): when the recipient has a signing secret,
 * every request carries `X-Leadrail-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is the
 * HMAC-SHA256, keyed with the secret's UTF-8 bytes, of `"<t>.<signed>"`; `<signed>` is the exact
 * request body for a `post`, and the exact request URL for a `get` (it has no body). The receiver
 * recomputes it, compares in constant time, and rejects a `t` far from its clock (replays).
 */

export type RelayJobKind = "postback" | "lead_relay";
export type DeliveryMethod = "get" | "post";
export type DeliveryContentType = "json" | "form";

/** A relay job as stage 10 (or the ledger) stored it. */
export interface RelayJobToDeliver {
  kind: RelayJobKind;
  event: string;
  /** What the job was made with (a postback's values, a lead relay's lead values); null for older jobs. */
  values: unknown;
  /** Older jobs only: `{ method, url, macros }` for a postback, `{ method, url, body }` for a lead relay. */
  payload: unknown;
}

/**
 * The recipient (the partner for a postback, the relay target for a lead relay) as it is at this attempt:
 * where and how it wants the job sent.
 */
export interface RecipientSettings {
  /** The partner's postback URL template, or the buyer's URL; null when the partner has none now. */
  url: string | null;
  /** `get` or `post` (a partner's `redirect` cannot be sent from here). */
  method: string;
  contentType: string;
  /** Extra request headers; non-string values are ignored. */
  headers: unknown;
  signingSecret: string | null;
  /** A buyer's field mapping: outgoing field → lead value name. */
  fieldMapping?: unknown;
}

export interface RelayRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  /** `null` for a GET. */
  body: string | null;
}

export const signatureHeader = "X-Leadrail-Signature";
export const userAgent = "leadrail-relay/1";

/** Responses are stored up to this many characters; `response_truncated` says when one was cut. */
export const responseBodyCap = 4096;
/** A recipient that has not answered after this long counts as a failed attempt. */
export const defaultTimeoutMs = 10_000;

export interface RetryPolicy {
  /** Back-off after the first failed attempt; doubles after each further one. */
  baseSeconds: number;
  capSeconds: number;
  /** After this many failed attempts the job is `failed` (a resend gives it one more). */
  maxAttempts: number;
}

/** 30 s, 1 min, 2, 4, 8, 16, 32 min, then `failed` after the 8th attempt: about an hour of trying. */
export const defaultRetryPolicy: RetryPolicy = { baseSeconds: 30, capSeconds: 3600, maxAttempts: 8 };

/** Seconds to wait after failed attempt number `attempt` (1-based): the policy's exponential back-off. */
export function backoffSeconds(attempt: number, policy: RetryPolicy = defaultRetryPolicy): number {
  return exponentialBackoff(attempt, policy);
}

/** What happens to a job after an attempt. */
export type AttemptVerdict =
  | { status: "succeeded" }
  | { status: "pending"; retryInSeconds: number }
  | { status: "failed" };

export function verdictAfter(
  attempt: number,
  succeeded: boolean,
  policy: RetryPolicy = defaultRetryPolicy,
): AttemptVerdict {
  if (succeeded) return { status: "succeeded" };
  if (attempt >= policy.maxAttempts) return { status: "failed" };
  return { status: "pending", retryInSeconds: backoffSeconds(attempt, policy) };
}

/** Any 2xx answer is a delivery; redirects are not followed (`redirect: "manual"`), so 3xx fails. */
export const isDelivered = (status: number): boolean => status >= 200 && status < 300;

/** Why a job cannot become a request (a payload written by an older or broken producer). */
export class UndeliverableJob extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UndeliverableJob";
  }
}

const record = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

/** Form and query values: `null` becomes empty, numbers and booleans their text, objects their JSON. */
function formValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

interface Resolved {
  method: DeliveryMethod;
  url: URL;
  /** A postback's macros, a lead relay's mapped fields. */
  fields: Record<string, unknown>;
}

/** Where, how and what a job made with values sends: the recipient's settings now, the job's values. */
function resolveFromValues(job: RelayJobToDeliver, recipient: RecipientSettings): Resolved {
  const method = recipient.method;
  if (method === "redirect")
    throw new UndeliverableJob("the partner's postbacks now ride the visitor's redirect");
  if (method !== "get" && method !== "post") throw new UndeliverableJob(`method ${String(method)}`);
  if (recipient.url === null) throw new UndeliverableJob("the recipient has no URL");
  if (job.kind === "postback") {
    const macros = postbackMacroValues(readPostbackValues(job.values));
    const rendered = renderPostbackUrl(recipient.url, macros);
    if (!rendered.ok)
      throw new UndeliverableJob(`the postback URL template does not render (${rendered.reason})`);
    return { method, url: absoluteHttp(rendered.url), fields: macros };
  }
  return {
    method,
    url: absoluteHttp(recipient.url),
    fields: mappedLeadFields(recipient.fieldMapping, job.values),
  };
}

/** A job made before values were kept: sent as it was resolved then. */
function resolveFromPayload(job: RelayJobToDeliver): Resolved {
  const payload = record(job.payload);
  if (!payload) throw new UndeliverableJob("payload is not an object");
  const method = payload.method;
  if (method !== "get" && method !== "post") throw new UndeliverableJob(`method ${String(method)}`);
  if (typeof payload.url !== "string") throw new UndeliverableJob("no url");
  const fields = record(job.kind === "postback" ? payload.macros : payload.body) ?? {};
  return { method, url: absoluteHttp(payload.url), fields };
}

function absoluteHttp(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UndeliverableJob("url is not absolute");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UndeliverableJob("url is not http(s)");
  return url;
}

/**
 * The request for one attempt. A job keeps the values it was made with; the URL (a postback's template,
 * rendered with them now), method, field mapping, body type, headers and secret are the recipient's
 * settings at this attempt, so a corrected URL, a changed mapping or a rotated secret applies to the next
 * retry and to a resend. A job made before values were kept is sent to its stored URL. A `get` lead relay
 * carries its fields in the query string; a `get` postback carries them in its URL already.
 */
export async function buildRelayRequest(
  job: RelayJobToDeliver,
  recipient: RecipientSettings,
  now: Date,
): Promise<RelayRequest> {
  const { method, url, fields } =
    job.values === null || job.values === undefined
      ? resolveFromPayload(job)
      : resolveFromValues(job, recipient);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record(recipient.headers) ?? {})) {
    if (typeof value === "string") headers[name] = value;
  }
  let body: string | null = null;
  let target = url.href;
  if (method === "post") {
    if (recipient.contentType === "form") {
      body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, formValue(v)])).toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else {
      body = JSON.stringify(fields);
      headers["Content-Type"] = "application/json";
    }
  } else if (job.kind === "lead_relay") {
    for (const [name, value] of Object.entries(fields)) url.searchParams.append(name, formValue(value));
    target = url.href;
  }
  // Ours last: a configured header cannot forge the agent or the signature.
  headers["User-Agent"] = userAgent;
  if (recipient.signingSecret) {
    const t = Math.floor(now.getTime() / 1000);
    headers[signatureHeader] = await signature(recipient.signingSecret, t, body ?? target);
  }
  return { method: method === "get" ? "GET" : "POST", url: target, headers, body };
}

/** `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<signed>")>`. */
export async function signature(secret: string, t: number, signed: string): Promise<string> {
  return `t=${t},v1=${await hmacHex(secret, `${t}.${signed}`)}`;
}

/** Header names whose values are credentials, whatever their value looks like. */
const secretName = /authorization|token|secret|signature|password|passwd|api[-_]?key|cookie|session|auth/i;

/**
 * Headers as stored with an attempt: a credential keeps its first 4 characters when it is long
 * enough to stay unguessable (so an operator can tell two keys apart), the rest becomes `****`.
 */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === signatureHeader.toLowerCase()) {
      // The timestamp helps debugging; the MAC is as good as a password for that instant.
      masked[name] = value.replace(/v1=[0-9a-f]+/g, "v1=****");
    } else if (secretName.test(name)) {
      masked[name] = maskValue(value);
    } else {
      masked[name] = value;
    }
  }
  return masked;
}

function maskValue(value: string): string {
  // `Bearer abcd…`: keep the scheme, mask the credential.
  const scheme = /^([A-Za-z]+ )(.*)$/.exec(value);
  if (scheme) return `${scheme[1]}${maskValue(scheme[2] ?? "")}`;
  return value.length >= 16 ? `${truncateText(value, 4)}****` : "****";
}

/** The stored response body: at most {@link responseBodyCap} characters. */
export function capResponseBody(text: string): { body: string; truncated: boolean } {
  if (text.length <= responseBodyCap) return { body: text, truncated: false };
  return { body: truncateText(text, responseBodyCap), truncated: true };
}

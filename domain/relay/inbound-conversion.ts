import { hmacHex, verifyHmacHex } from "../core/hmac.ts";

/**
 * Inbound conversions (`/pb`): the signature scheme a partner signs with and the replay window.
 * Pure functions (WebCrypto only), shared by the edge and the tests (test/unit/inbound-conversion.test.ts).
 */

/** The parameter that carries the signature; every other parameter is signed. */
export const signatureParam = "sig";

/** How far a conversion's `ts` may lie in the past (replays) or, for clock skew, in the future. */
export const maxAgeSeconds = 15 * 60;
export const maxSkewSeconds = 60;

const unreserved = /[A-Za-z0-9\-._~]/;
const utf8 = new TextEncoder();

/** RFC 3986 percent-encoding of the UTF-8 bytes: everything but `A–Z a–z 0–9 - . _ ~` as `%XX` (upper-case hex). */
export function percentEncode(value: string): string {
  let out = "";
  for (const char of value) {
    if (unreserved.test(char)) {
      out += char;
      continue;
    }
    for (const byte of utf8.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The string a partner signs: every parameter but `sig` as `key=value`, key and value percent-encoded,
 * sorted by the encoded key (byte order), joined by `&`. Keys are unique (the edge refuses repeats),
 * so the order is total.
 */
export function canonicalString(params: Iterable<readonly [string, string]>): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of params) {
    if (key === signatureParam) continue;
    pairs.push([percentEncode(key), percentEncode(value)]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join("&");
}

/** Hex HMAC-SHA256 of the canonical string with the partner's signing secret (what `sig` must be). */
export async function signConversion(secret: string, canonical: string): Promise<string> {
  return hmacHex(secret, canonical);
}

/** Whether `signature` (hex, either case) is the HMAC of `canonical`; compared in constant time by WebCrypto. */
export async function verifyConversionSignature(
  secret: string,
  canonical: string,
  signature: string,
): Promise<boolean> {
  return verifyHmacHex(secret, canonical, signature);
}

export type TimestampCheck = "ok" | "missing" | "malformed" | "stale" | "future";

/** Checks `ts` (Unix seconds) against now: older than {@link maxAgeSeconds} is a possible replay. */
export function checkTimestamp(ts: string | undefined, nowMs: number): TimestampCheck {
  if (ts === undefined || ts === "") return "missing";
  if (!/^\d{1,12}$/.test(ts)) return "malformed";
  const seconds = Number(ts);
  const now = Math.floor(nowMs / 1000);
  if (seconds < now - maxAgeSeconds) return "stale";
  if (seconds > now + maxSkewSeconds) return "future";
  return "ok";
}

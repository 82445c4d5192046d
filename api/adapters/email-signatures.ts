import { decodeBase64 } from "../../domain/core/base64.ts";
import { BoundedCache } from "../../domain/core/bounded-cache.ts";
import { hmacHex, verifyHmacHex } from "../../domain/core/hmac.ts";

/**
 * Signatures of the email platform webhooks, checked on the raw bytes before anything is parsed.
 *
 * SendGrid's Signed Event Webhook: ECDSA P-256 with SHA-256 over the `X-Twilio-Email-Event-Webhook-Timestamp`
 * header's value followed by the raw body; `X-Twilio-Email-Event-Webhook-Signature` is the base64 of the
 * DER-encoded signature, and the verification key is shown by SendGrid as base64 of its DER SubjectPublicKeyInfo.
 * WebCrypto verifies the raw form (r ‖ s, 32 bytes each), so the DER signature is converted first.
 *
 * The normalised format: `X-Leadrail-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under
 * `EMAIL_WEBHOOK_SECRET`, compared in constant time through WebCrypto's `verify`.
 */

/**
 * An ECDSA signature's DER encoding (`SEQUENCE { INTEGER r, INTEGER s }`) as the fixed-width `r ‖ s`
 * WebCrypto wants, for a curve of `size`-byte integers; `null` when it is not exactly that.
 */
export function derToRawSignature(der: Uint8Array, size = 32): Uint8Array<ArrayBuffer> | null {
  // Lengths here are always below 128, so they take one byte (DER's short form).
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const raw = new Uint8Array(size * 2);
  let offset = 2;
  for (let part = 0; part < 2; part += 1) {
    if (der[offset] !== 0x02) return null;
    const length = der[offset + 1] ?? 0;
    const start = offset + 2;
    const end = start + length;
    if (length === 0 || length > size + 1 || end > der.length) return null;
    let integer = der.subarray(start, end);
    // A leading zero only keeps a positive integer's high bit from reading as a sign.
    if (integer.length === size + 1) {
      if (integer[0] !== 0) return null;
      integer = integer.subarray(1);
    }
    raw.set(integer, size * (part + 1) - integer.length);
    offset = end;
  }
  return offset === der.length ? raw : null;
}

// One key per deployment (two while rotating): the cache stays tiny.
const publicKeys = new BoundedCache<string, Promise<CryptoKey | null>>(5);

/**
 * The verification key as SendGrid shows it (base64 SPKI; a PEM with its armour and line breaks is
 * accepted too). It is pasted by a person, so a lost `=` of padding is forgiven.
 */
function sendGridKey(publicKey: string): Promise<CryptoKey | null> {
  let key = publicKeys.get(publicKey);
  if (!key) {
    const body = publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
    const spki = decodeBase64(body, { padding: "optional" });
    key = spki
      ? crypto.subtle
          .importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
          .catch(() => null)
      : Promise.resolve(null);
    publicKeys.set(publicKey, key);
  }
  return key;
}

/** True when `signature` is SendGrid's signature of `timestamp` + `body` under `publicKey`. */
export async function verifySendGridSignature(
  body: Uint8Array,
  signature: string | null | undefined,
  timestamp: string | null | undefined,
  publicKey: string,
): Promise<boolean> {
  if (!signature || !timestamp || !publicKey) return false;
  // Padding is not part of what is signed: a proxy or client that strips it must not lose the event.
  const der = decodeBase64(signature.trim(), { padding: "optional" });
  const raw = der ? derToRawSignature(der) : null;
  const key = await sendGridKey(publicKey);
  if (!raw || !key) return false;
  const prefix = new TextEncoder().encode(timestamp);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, signed);
}

/** The `X-Leadrail-Signature` value for `body` under `secret`: `sha256=` and 64 lower-case hex digits. */
export async function leadrailSignature(body: Uint8Array<ArrayBuffer>, secret: string): Promise<string> {
  return `sha256=${await hmacHex(secret, body)}`;
}

/** True when `signature` (the `X-Leadrail-Signature` header) is the body's HMAC under `secret`. */
export async function verifyLeadrailSignature(
  body: Uint8Array<ArrayBuffer>,
  signature: string | null | undefined,
  secret: string,
): Promise<boolean> {
  if (!signature || !secret) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
  if (!match?.[1]) return false;
  return verifyHmacHex(secret, body, match[1]);
}

import { verifyHmac } from "../../domain/core/hmac.ts";

/**
 * Shopify signs each webhook with `X-Shopify-Hmac-Sha256`: base64(HMAC-SHA256(raw body, app secret)).
 * The check runs on the raw bytes (before any JSON parsing: re-serialising changes them) and compares in
 * constant time through WebCrypto's `verify`, so a forger learns nothing from how long a refusal takes.
 */

/** Strict base64 (with padding) to bytes; `null` for anything else. */
function base64Bytes(value: string): Uint8Array<ArrayBuffer> | null {
  if (value.length === 0 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return null;
  try {
    const binary = atob(value);
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
    return bytes;
  } catch {
    return null;
  }
}

/** True when `signature` (the header's value) is the body's HMAC under `secret`. */
export async function verifyShopifyHmac(
  body: BufferSource,
  signature: string | null | undefined,
  secret: string,
): Promise<boolean> {
  if (!signature || !secret) return false;
  const expected = base64Bytes(signature.trim());
  // An HMAC-SHA256 is 32 bytes; another length cannot match.
  if (expected?.length !== 32) return false;
  return verifyHmac(secret, body, expected);
}

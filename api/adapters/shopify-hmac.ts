import { decodeBase64 } from "../../domain/core/base64.ts";
import { verifyHmac } from "../../domain/core/hmac.ts";

/**
 * Shopify signs each webhook with `X-Shopify-Hmac-Sha256`: base64(HMAC-SHA256(raw body, app secret)).
 * The check runs on the raw bytes (before any JSON parsing: re-serialising changes them) and compares in
 * constant time through WebCrypto's `verify`, so a forger learns nothing from how long a refusal takes.
 */

/** True when `signature` (the header's value) is the body's HMAC under `secret`. */
export async function verifyShopifyHmac(
  body: BufferSource,
  signature: string | null | undefined,
  secret: string,
): Promise<boolean> {
  if (!signature || !secret) return false;
  const expected = decodeBase64(signature.trim());
  // An HMAC-SHA256 is 32 bytes; another length cannot match.
  if (expected?.length !== 32) return false;
  return verifyHmac(secret, body, expected);
}

/**
 * HMAC-SHA256 over WebCrypto, as every signature leadrail makes or checks uses it (Shopify webhooks,
 * the normalised email webhook, partner conversions, relay deliveries). Verification goes through
 * `crypto.subtle.verify`, which compares in constant time.
 */

import { BoundedCache } from "./bounded-cache.ts";

const utf8 = new TextEncoder();
const keys = new BoundedCache<string, Promise<CryptoKey>>(5);

/** The key of `secret`, imported once: a deployment has few secrets, so only the last handful used are kept. */
export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

const asBytes = (data: BufferSource | string): BufferSource =>
  typeof data === "string" ? utf8.encode(data) : data;

/** Lower-case hex HMAC-SHA256 of `data` (a string is signed as UTF-8). */
export async function hmacHex(secret: string, data: BufferSource | string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), asBytes(data)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Whether `hex` (64 hex digits, either case) is the HMAC-SHA256 of `data`; false for anything else. */
export async function verifyHmacHex(
  secret: string,
  data: BufferSource | string,
  hex: string,
): Promise<boolean> {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i += 1) mac[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return verifyHmac(secret, data, mac);
}

/** Whether `mac` is the HMAC-SHA256 of `data`. */
export async function verifyHmac(
  secret: string,
  data: BufferSource | string,
  mac: BufferSource,
): Promise<boolean> {
  return crypto.subtle.verify("HMAC", await hmacKey(secret), mac, asBytes(data));
}

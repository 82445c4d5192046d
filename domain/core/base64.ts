/**
 * Base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`) to bytes. Signatures that arrive on the wire (Shopify's
 * `X-Shopify-Hmac-Sha256`, SendGrid's `X-Twilio-Email-Event-Webhook-Signature`) are made by libraries
 * that always pad, so padding is required by default: one spelling per signature. `padding: "optional"`
 * is for a value a person pasted (SendGrid's verification key), where a lost `=` should not matter.
 * Whitespace, the URL-safe alphabet (`-`, `_`) and anything else are refused; a caller that reads a
 * format with line breaks (PEM) removes them first.
 */

const padded = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const paddingOptional = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

export interface Base64Options {
  /** `required` (the default): the length is a multiple of 4, `=`-padded; `optional`: the `=` may be left off. */
  padding?: "required" | "optional";
}

/** The bytes `value` encodes, or `null` when it is not base64 under `options`; the empty string is zero bytes. */
export function decodeBase64(value: string, options: Base64Options = {}): Uint8Array<ArrayBuffer> | null {
  const shape = options.padding === "optional" ? paddingOptional : padded;
  if (!shape.test(value)) return null;
  // The shape is checked above, so `atob` (which also takes unpadded input) cannot throw here.
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

import { z } from "@hono/zod-openapi";
import { maskHeaders } from "../../domain/relay/delivery.ts";

/** Headers the sender sets itself (framing, body type, signature): a configured value would fight it. */
const reservedHeaders = new Set([
  "host",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "x-leadrail-signature",
  "x-leadrail-timestamp",
]);

export const maxDeliveryHeaders = 20;

/** Extra request headers of a postback or relay: RFC 9110 token names, single-line values. */
export const deliveryHeaders = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "A header name (letters, digits, `-`, …; at most 64)."),
    z
      .string()
      .max(1024)
      .regex(/^[^\r\n\0]*$/, "A single line."),
  )
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers))
      if (reservedHeaders.has(name.toLowerCase()))
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: "Set by the sender; may not be configured.",
          params: { category: "not_allowed" },
        });
  })
  .refine((headers) => Object.keys(headers).length <= maxDeliveryHeaders, {
    message: `At most ${maxDeliveryHeaders} headers.`,
    params: { category: "too_long" },
  })
  .refine(
    (headers) =>
      new Set(Object.keys(headers).map((name) => name.toLowerCase())).size === Object.keys(headers).length,
    {
      message: "Each header name at most once (names are case-insensitive).",
      params: { category: "conflict" },
    },
  )
  .openapi({ example: { "X-Api-Key": "k_live_123" } });

/** Write-only: stored, used to sign, never shown (`has_signing_secret` says whether one is set). */
export const signingSecret = z
  .string()
  .min(16)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, "Printable ASCII without spaces.")
  .nullable()
  .openapi({ description: "Write-only shared secret (16–256 characters); null removes it." });

export const contentType = z
  .enum(["json", "form"])
  .openapi({ description: "Body of a `post`: JSON or application/x-www-form-urlencoded." });

export const delaySeconds = z
  .number()
  .int()
  .min(0)
  .max(86_400)
  .openapi({ description: "Seconds to wait after the event before the first attempt (at most a day)." });

/** Configured headers as the API shows them: credentials masked as attempts store them. */
export function maskHeaderValues(headers: unknown): Record<string, string> {
  const strings: Record<string, string> = {};
  if (headers !== null && typeof headers === "object")
    for (const [name, value] of Object.entries(headers)) if (typeof value === "string") strings[name] = value;
  return maskHeaders(strings);
}

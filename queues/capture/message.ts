import { z } from "zod";
import { knowledgeLevels } from "../../domain/contacts/knowledge.ts";

/**
 * The one message the edge sends per landing request. It carries everything the
 * ten stages need; nothing is looked up at the edge beyond KV.
 */
export const captureMessageSchema = z.object({
  v: z.literal(1),
  /** UUIDv7 assigned by the edge; the idempotency key of the whole pipeline. */
  captureId: z.uuid(),
  receivedAt: z.iso.datetime({ offset: true }),
  /** The `:landing` path segment exactly as sent. */
  landingRef: z.string().max(256),
  /** Decoded ids; `null` when the reference did not decode. Query overrides (b, t, p, pr) are applied. */
  landing: z
    .object({
      id: z.number().int().nullable(),
      brandId: z.number().int().nullable(),
      themeId: z.number().int().nullable(),
      partnerId: z.number().int().nullable(),
      productId: z.number().int().nullable(),
    })
    .strict(),
  /** Hash-id query overrides as sent, and whether each decoded. */
  overrides: z.record(z.string(), z.object({ raw: z.string().max(256), valid: z.boolean() })),
  request: z.object({
    method: z.string().max(16),
    url: z.string().max(16_384),
    headers: z.record(z.string(), z.string()),
    /** Raw body (capped at the edge); `null` for GET. */
    body: z.string().nullable(),
    bodyBytes: z.number().int().min(0),
    bodyTruncated: z.boolean(),
    /** Why the body could not be read into fields (e.g. `too_large`, `malformed_json`). */
    bodyError: z.string().nullable(),
    /** Submitted fields: query string merged with the form or JSON body (body wins). Values capped. */
    fields: z.record(z.string(), z.string()),
    /** Original length of any field value the edge cut short. */
    truncatedFields: z.record(z.string(), z.number().int()),
  }),
  /** `request.cf` as the edge saw it (placeholder values locally). */
  cf: z.record(z.string(), z.unknown()).nullable(),
  edge: z.object({
    emailSha256: z.string().length(64).nullable(),
    knowledge: z.enum(knowledgeLevels),
    /** kv: read from the index; kv_error: KV failed (treated as unknown); no_email: nothing to look up. */
    knowledgeSource: z.enum(["kv", "kv_error", "no_email"]),
    ruleId: z.number().int().nullable(),
    /**
     * Why the fallback URL was used (`FallbackReason` in workers/edge/capture.ts): no_match, unknown_landing,
     * inactive_landing, bad_input, kv_error, config_error, internal_error. A string, so an older consumer
     * still accepts a reason a newer edge adds.
     */
    fallbackReason: z.string().nullable(),
    response: z.object({
      status: z.number().int(),
      location: z.string(),
      headers: z.record(z.string(), z.string()),
    }),
    durationMs: z.number().min(0),
  }),
});

export type CaptureMessage = z.infer<typeof captureMessageSchema>;

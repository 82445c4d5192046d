import { z } from "@hono/zod-openapi";
import { relayEvent, relayKind, relayStatus } from "../../db/schema/relay.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import {
  maxResendLimit,
  type RelayAttempt,
  resendableStatuses,
  type ScopedRelayJob,
} from "../../domain/relay/jobs.ts";
import { hashId, iso, isoOrNull, timestamp } from "./common.ts";
import { instant } from "./failed-event.ts";

const hashOrNull = (ids: HashIds, kind: Parameters<HashIds["encode"]>[0], id: number | null) =>
  id === null ? null : ids.encode(kind, id);

const stringValues = (value: unknown): Record<string, string | null> | null =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.fromEntries(
        Object.entries(value).map(([name, item]) => [name, typeof item === "string" ? item : null]),
      )
    : null;

export const relayJobSchema = z
  .object({
    id: hashId("Relay job id."),
    kind: z.enum(relayKind.enumValues),
    event: z.enum(relayEvent.enumValues),
    status: z.enum(relayStatus.enumValues),
    attempts: z.number().int(),
    brand: z.string().nullable().openapi({ description: "The brand of its capture, order or buyer." }),
    partner: z.string().nullable(),
    relay_target: z.string().nullable(),
    capture: z.string().nullable().openapi({ description: "The capture (UUID) for lead events and sales." }),
    order: z.string().nullable(),
    refund: z.string().nullable(),
    values: z.record(z.string(), z.string().nullable()).nullable().openapi({
      description:
        "What the job was made with and keeps: a postback's click_id, transaction_id, payout_minor (integer minor units) and currency, event, capture_id and sub1..sub5; a lead relay's lead values. Each attempt sends them with the recipient's URL, method, body type and field mapping as they are at that attempt (see `attempt_log` for the exact URL and body of each). Null for jobs made before values were kept.",
    }),
    payload: z.unknown().openapi({
      description:
        "Jobs made before `values` was kept: the request resolved when the job was made (`{ method, url, macros }` or `{ method, url, body }`), sent as stored. Null for newer jobs.",
    }),
    next_attempt_at: timestamp,
    last_error: z.string().nullable(),
    succeeded_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("RelayJob");
export type RelayJobJson = z.infer<typeof relayJobSchema>;

export const presentRelayJob = (ids: HashIds, job: ScopedRelayJob): RelayJobJson => ({
  id: ids.encode("relayJob", job.id),
  kind: job.kind,
  event: job.event,
  status: job.status,
  attempts: job.attempts,
  brand: hashOrNull(ids, "brand", job.brandId),
  partner: hashOrNull(ids, "partner", job.partnerId),
  relay_target: hashOrNull(ids, "relayTarget", job.relayTargetId),
  capture: job.captureId,
  order: hashOrNull(ids, "order", job.orderId),
  refund: hashOrNull(ids, "refund", job.refundId),
  values: stringValues(job.jobValues),
  payload: job.payload ?? null,
  next_attempt_at: iso(job.nextAttemptAt),
  last_error: job.lastError,
  succeeded_at: isoOrNull(job.succeededAt),
  created_at: iso(job.createdAt),
  updated_at: iso(job.updatedAt),
});

export const relayAttemptSchema = z
  .object({
    attempt: z.number().int().openapi({ description: "1 for the first attempt." }),
    url: z.string().openapi({ description: "The exact URL this attempt was sent to." }),
    method: z.string(),
    request_headers: z.record(z.string(), z.unknown()).openapi({ description: "Secrets masked." }),
    request_body: z.string().nullable().openapi({ description: "The exact body sent; null for a GET." }),
    response_status: z.number().int().nullable(),
    response_body: z.string().nullable().openapi({ description: "Capped at a few KB." }),
    response_truncated: z.boolean(),
    latency_ms: z.number().int().nullable(),
    error: z.string().nullable().openapi({ description: "Why there was no HTTP answer (timeout, …)." }),
    succeeded: z.boolean(),
    attempted_at: timestamp,
    bodies_cleared_at: timestamp.nullable().openapi({
      description:
        "When the retention clean-up removed the request and response bodies of an attempt older than `RETENTION_DAYS_RELAY_BODIES` (both are then null); null while they are kept.",
    }),
  })
  .openapi("RelayAttempt");

const presentAttempt = (attempt: RelayAttempt) => ({
  attempt: attempt.attempt,
  url: attempt.url,
  method: attempt.method,
  request_headers:
    attempt.requestHeaders !== null && typeof attempt.requestHeaders === "object"
      ? (attempt.requestHeaders as Record<string, unknown>)
      : {},
  request_body: attempt.requestBody,
  response_status: attempt.responseStatus,
  response_body: attempt.responseBody,
  response_truncated: attempt.responseTruncated,
  latency_ms: attempt.latencyMs,
  error: attempt.error,
  succeeded: attempt.succeeded,
  attempted_at: iso(attempt.attemptedAt),
  bodies_cleared_at: isoOrNull(attempt.bodiesClearedAt),
});

export const relayJobDetailSchema = relayJobSchema
  .extend({
    attempt_log: z.array(relayAttemptSchema).openapi({ description: "Every attempt, first first." }),
  })
  .openapi("RelayJobDetail");

export const presentRelayJobDetail = (
  ids: HashIds,
  detail: { job: ScopedRelayJob; attempts: RelayAttempt[] },
) => ({ ...presentRelayJob(ids, detail.job), attempt_log: detail.attempts.map(presentAttempt) });

export const listRelayJobsQuery = {
  partner: hashId("Only this partner's postbacks.")
    .optional()
    .openapi({ param: { name: "partner", in: "query" } }),
  relay_target: hashId("Only this buyer's relays.")
    .optional()
    .openapi({ param: { name: "relay_target", in: "query" } }),
  status: z
    .enum(relayStatus.enumValues)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  event: z
    .enum(relayEvent.enumValues)
    .optional()
    .openapi({ param: { name: "event", in: "query" } }),
  since: instant
    .optional()
    .openapi({ param: { name: "since", in: "query" }, description: "Created at or after." }),
  until: instant
    .optional()
    .openapi({ param: { name: "until", in: "query" }, description: "Created before." }),
};

export const resendBody = z
  .strictObject({
    ids: z
      .array(hashId("Relay job id."))
      .min(1)
      .max(maxResendLimit)
      .optional()
      .openapi({ description: "Explicit jobs." }),
    partner: hashId("Every job of this partner (with the other filters).").optional(),
    since: instant.optional().openapi({ description: "Jobs created at or after." }),
    until: instant.optional().openapi({ description: "Jobs created before." }),
    status: z.array(z.enum(resendableStatuses)).min(1).max(resendableStatuses.length).optional().openapi({
      description:
        "Statuses to resend: `failed` unless given (with `ids`: failed, paused and pending). A succeeded job is never resent.",
    }),
    limit: z.number().int().min(1).max(maxResendLimit).optional().openapi({ description: "Default 100." }),
  })
  .openapi("Resend");

export const resendAnswer = z
  .object({
    requeued: z.number().int(),
    ids: z
      .array(z.string())
      .openapi({ description: "The jobs reset to pending and sent to the relay queue." }),
  })
  .openapi("Resent");

import { z } from "@hono/zod-openapi";
import { captureOutcome, fieldErrorCategory, knowledgeLevel } from "../../db/schema/capture.ts";
import type { CaptureDetail } from "../../domain/capture/captures.ts";
import { marketingColumns } from "../../domain/capture/marketing.ts";
import type { EntityKind, HashIds } from "../../domain/core/hash-ids.ts";
import { captureConversionLimit } from "../../domain/relay/conversions.ts";
import { iso, isoOrNull, timestamp } from "./common.ts";
import { conversionSchema, presentConversion } from "./conversion.ts";

const ref = z.string().nullable();
const jsonRecord = z.record(z.string(), z.unknown());

const flags = z.object({
  level: z.enum(knowledgeLevel.enumValues),
  known: z.boolean(),
  known_active: z.boolean(),
  known_active_same_brand: z.boolean(),
});

export const captureSchema = z
  .object({
    id: z.uuid().openapi({ description: "The capture id (UUIDv7) the edge assigned." }),
    received_at: timestamp,
    processed_at: timestamp,
    landing_ref: z.string().openapi({ description: "The landing reference exactly as the visitor sent it." }),
    landing: ref,
    brand: ref,
    theme: ref,
    partner: ref,
    product: ref,
    contact: ref,
    email: z.object({ sha256: z.string(), md5: z.string() }).nullable(),
    outcome: z.enum(captureOutcome.enumValues),
    is_bot: z.boolean(),
    bot_reason: z.string().nullable(),
    fields: jsonRecord.openapi({ description: "Submitted fields as the edge parsed them." }),
    field_errors: z.array(
      z.object({ field: z.string(), category: z.enum(fieldErrorCategory.enumValues), message: z.string() }),
    ),
    rule: ref.openapi({ description: "The rule that chose the redirect; null when the fallback was used." }),
    fallback_reason: z.string().nullable(),
    knowledge: z
      .object({ edge: flags.extend({ source: z.string() }), after: flags })
      .nullable()
      .openapi({ description: "Knowledge of the email as the edge saw it, and as true after the write." }),
    geo: z
      .object({
        country: z.string().nullable(),
        region: z.string().nullable(),
        region_code: z.string().nullable(),
        city: z.string().nullable(),
        postal_code: z.string().nullable(),
        continent: z.string().nullable(),
        latitude: z.number().nullable(),
        longitude: z.number().nullable(),
        timezone: z.string().nullable(),
        asn: z.number().int().nullable(),
        as_organization: z.string().nullable(),
        colo: z.string().nullable(),
        bot_score: z.number().int().nullable(),
        verified_bot: z.boolean().nullable(),
      })
      .nullable(),
    marketing: z
      .object({
        utm_source: z.string().nullable(),
        utm_medium: z.string().nullable(),
        utm_campaign: z.string().nullable(),
        utm_term: z.string().nullable(),
        utm_content: z.string().nullable(),
        gclid: z.string().nullable(),
        fbclid: z.string().nullable(),
        ttclid: z.string().nullable(),
        msclkid: z.string().nullable(),
        click_id: z.string().nullable(),
        transaction_id: z.string().nullable(),
        sub1: z.string().nullable(),
        sub2: z.string().nullable(),
        sub3: z.string().nullable(),
        sub4: z.string().nullable(),
        sub5: z.string().nullable(),
        referrer: z.string().nullable(),
        extra: jsonRecord,
      })
      .nullable(),
    http: z
      .object({
        request: z.object({
          method: z.string(),
          url: z.string(),
          headers: jsonRecord,
          body: z.string().nullable(),
          body_bytes: z.number().int(),
          body_truncated: z.boolean(),
          user_agent: z.string().nullable(),
          ip: z.string().nullable(),
        }),
        response: z.object({ status: z.number().int(), location: z.string(), headers: jsonRecord }),
        edge_duration_ms: z.number(),
        logged_at: timestamp,
        cleared_at: timestamp.nullable().openapi({
          description:
            "When the retention clean-up removed the raw parts (headers, body, user agent, IP, query strings) of a log older than `RETENTION_DAYS_HTTP_LOGS`; null while the log is whole.",
        }),
      })
      .nullable(),
    relay_jobs: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        event: z.string(),
        partner: ref,
        relay_target: ref,
        status: z.string(),
        attempts: z.number().int(),
        next_attempt_at: timestamp,
        last_error: z.string().nullable(),
        created_at: timestamp,
        updated_at: timestamp,
      }),
    ),
    conversions: z.array(conversionSchema).openapi({
      description: `Conversions partners reported for it, newest first: at most ${captureConversionLimit}.`,
    }),
    conversions_next_cursor: z.string().nullable().openapi({
      description:
        "Null when `conversions` is complete; otherwise pass it as `cursor` to `GET /api/v1/conversions?capture=<id>` for the older ones.",
    }),
  })
  .openapi("Capture");
export type CaptureJson = z.infer<typeof captureSchema>;

const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

export function presentCapture(ids: HashIds, detail: CaptureDetail): CaptureJson {
  const { capture, geo, marketing, http, knowledge } = detail;
  const enc = (kind: EntityKind, id: number | null) => (id === null ? null : ids.encode(kind, id));
  return {
    id: capture.id,
    received_at: iso(capture.receivedAt),
    processed_at: iso(capture.processedAt),
    landing_ref: capture.landingRef,
    landing: enc("landing", capture.landingId),
    brand: enc("brand", capture.brandId),
    theme: enc("theme", capture.themeId),
    partner: enc("partner", capture.partnerId),
    product: enc("product", capture.productId),
    contact: enc("contact", capture.contactId),
    email: detail.email,
    outcome: capture.outcome,
    is_bot: capture.isBot,
    bot_reason: capture.botReason,
    fields: asRecord(capture.fields),
    field_errors: detail.fieldErrors,
    rule: enc("rule", capture.ruleId),
    fallback_reason: capture.fallbackReason,
    knowledge: knowledge && {
      edge: {
        level: knowledge.edgeLevel,
        source: knowledge.edgeSource,
        known: knowledge.edgeKnown,
        known_active: knowledge.edgeKnownActive,
        known_active_same_brand: knowledge.edgeKnownActiveSameBrand,
      },
      after: {
        level: knowledge.afterLevel,
        known: knowledge.afterKnown,
        known_active: knowledge.afterKnownActive,
        known_active_same_brand: knowledge.afterKnownActiveSameBrand,
      },
    },
    geo: geo && {
      country: geo.country,
      region: geo.region,
      region_code: geo.regionCode,
      city: geo.city,
      postal_code: geo.postalCode,
      continent: geo.continent,
      latitude: geo.latitude,
      longitude: geo.longitude,
      timezone: geo.timezone,
      asn: geo.asn,
      as_organization: geo.asOrganization,
      colo: geo.colo,
      bot_score: geo.botScore,
      verified_bot: geo.verifiedBot,
    },
    marketing: marketing && { ...marketingColumns(marketing), extra: asRecord(marketing.extra) },
    http: http && {
      request: {
        method: http.method,
        url: http.url,
        headers: asRecord(http.requestHeaders),
        body: http.requestBody,
        body_bytes: http.requestBodyBytes,
        body_truncated: http.requestBodyTruncated,
        user_agent: http.userAgent,
        ip: http.ip,
      },
      response: {
        status: http.responseStatus,
        location: http.responseLocation,
        headers: asRecord(http.responseHeaders),
      },
      edge_duration_ms: http.edgeDurationMs,
      logged_at: iso(http.createdAt),
      cleared_at: isoOrNull(http.clearedAt),
    },
    relay_jobs: detail.relayJobs.map((job) => ({
      id: ids.encode("relayJob", job.id),
      kind: job.kind,
      event: job.event,
      partner: enc("partner", job.partnerId),
      relay_target: enc("relayTarget", job.relayTargetId),
      status: job.status,
      attempts: job.attempts,
      next_attempt_at: iso(job.nextAttemptAt),
      last_error: job.lastError,
      created_at: iso(job.createdAt),
      updated_at: iso(job.updatedAt),
    })),
    conversions: detail.conversions.items.map((conversion) => presentConversion(ids, conversion)),
    conversions_next_cursor:
      detail.conversions.nextAfter === null ? null : ids.encode("conversion", detail.conversions.nextAfter),
  };
}

import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import { fieldValue } from "../../../domain/capture/field-validation.ts";
import { marketingColumns } from "../../../domain/capture/marketing.ts";
import type { CaptureOutcome } from "../../../domain/capture/outcome.ts";
import { type PlannedRelayJob, planRelayJobs } from "../../../domain/relay/dispatch.ts";
import type { DecidedCapture, PreparedCapture } from "../types.ts";
import type { BatchCatalog } from "./02-field-validation.ts";

/** Everything a relay mapping or postback macro can name, for one capture. */
export function leadValues(capture: PreparedCapture): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(capture.message.request.fields)) values[name] = value.trim();
  Object.assign(values, {
    email: fieldValue(capture.message.request.fields, "email")?.trim() ?? null,
    email_normalised: capture.email?.address ?? null,
    email_sha256: capture.email?.sha256 ?? null,
    email_md5: capture.email?.md5 ?? null,
    capture_id: capture.message.captureId,
    received_at: capture.message.receivedAt,
    ip: capture.httpLog.ip,
    user_agent: capture.httpLog.userAgent,
    geo_country: capture.geo.country,
    geo_region: capture.geo.region,
    geo_city: capture.geo.city,
    ...marketingColumns(capture.marketing),
  });
  return values;
}

/**
 * Stage 10, relay dispatch: `new` fires lead_accepted, `restored` fires lead_restored — a
 * postback to the capture's partner and a lead relay to each active buyer of the brand,
 * each a pending `relay_jobs` row. The relay consumer sends them (a later stage of work).
 */
export function planCaptureRelays(
  capture: PreparedCapture,
  outcome: CaptureOutcome,
  catalog: BatchCatalog,
): PlannedRelayJob[] {
  const { partnerId, brandId } = capture.refs;
  return planRelayJobs({
    outcome,
    captureId: capture.message.captureId,
    partner: partnerId === null ? null : (catalog.partner(partnerId) ?? null),
    targets: brandId === null ? [] : catalog.relayTargets(brandId),
    values: leadValues(capture),
  });
}

/** The unique key (capture, kind, event, partner, target) makes a repeated insert a no-op. */
export function relayJobsInsert(captures: readonly DecidedCapture[]): Cte | null {
  const rows = captures.flatMap((capture) =>
    capture.relayJobs.map((job) => ({
      capture_id: capture.message.captureId,
      kind: job.kind,
      event: job.event,
      partner_id: job.partnerId,
      relay_target_id: job.relayTargetId,
      job_values: job.values,
    })),
  );
  if (rows.length === 0) return null;
  return {
    name: "relay_job",
    body: sql`INSERT INTO relay_jobs (capture_id, kind, event, partner_id, relay_target_id, job_values)
      SELECT capture_id, kind, event, partner_id, relay_target_id, job_values
      FROM ${recordset(
        rows,
        "capture_id uuid, kind relay_kind, event relay_event, partner_id bigint, relay_target_id bigint, job_values jsonb",
      )}
      ON CONFLICT ON CONSTRAINT relay_jobs_capture_dedup_key DO NOTHING
      RETURNING id`,
  };
}

/** Part of the identity statement: jobs of already-stored captures that were never sent. */
export const pendingRelayJobs = sql`SELECT coalesce(jsonb_agg(j.id ORDER BY j.id), '[]'::jsonb)
  FROM relay_jobs j WHERE j.capture_id IN (SELECT id FROM stored) AND j.status = 'pending'`;

import { eq, sql } from "drizzle-orm";
import {
  type captureFieldErrors,
  captureGeo,
  captureHttpLogs,
  captureKnowledge,
  captureMarketing,
  captures,
} from "../../db/schema/capture.ts";
import { emails } from "../../db/schema/identity.ts";
import { NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import type { Page, VerbContext } from "../core/verb.ts";
import { type Conversion, captureConversionsJson, captureConversionsPage } from "../relay/conversions.ts";

export type Capture = typeof captures.$inferSelect;
export type CaptureGeo = typeof captureGeo.$inferSelect;
export type CaptureMarketing = typeof captureMarketing.$inferSelect;
export type CaptureHttpLog = typeof captureHttpLogs.$inferSelect;
export type CaptureKnowledge = typeof captureKnowledge.$inferSelect;

export type CaptureFieldErrorCategory = (typeof captureFieldErrors.$inferSelect)["category"];

export interface CaptureFieldError {
  field: string;
  category: CaptureFieldErrorCategory;
  message: string;
}

export interface CaptureRelayJob {
  id: number;
  kind: string;
  event: string;
  partnerId: number | null;
  relayTargetId: number | null;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Everything recorded about one capture, as the consumer stored it. */
export interface CaptureDetail {
  capture: Capture;
  email: { sha256: string; md5: string } | null;
  fieldErrors: CaptureFieldError[];
  geo: CaptureGeo | null;
  marketing: CaptureMarketing | null;
  http: CaptureHttpLog | null;
  knowledge: CaptureKnowledge | null;
  relayJobs: CaptureRelayJob[];
  /** The newest conversions attached to it (`captureConversionLimit`), and where the rest continue. */
  conversions: Page<Conversion>;
}

type Timestamp = string | Date;
const toDate = (value: Timestamp): Date => (value instanceof Date ? value : new Date(value));

/**
 * One capture with its field errors, geo, marketing parameters, HTTP log, knowledge flags, relay
 * jobs and its newest conversions, in one query. A brand-scoped caller sees only captures of its brands (a capture
 * whose landing never resolved to a brand needs an unscoped key).
 */
export async function getCapture({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: string };
}): Promise<CaptureDetail> {
  const [row] = await ctx.db
    .select({
      capture: captures,
      emailSha256: emails.sha256,
      emailMd5: emails.md5,
      geo: captureGeo,
      marketing: captureMarketing,
      http: captureHttpLogs,
      knowledge: captureKnowledge,
      fieldErrors: sql<CaptureFieldError[]>`(
        SELECT coalesce(json_agg(json_build_object('field', fe.field, 'category', fe.category, 'message', fe.message)
                                 ORDER BY fe.field, fe.category), '[]'::json)
          FROM capture_field_errors fe WHERE fe.capture_id = ${captures.id})`,
      relayJobs: sql<
        {
          id: number;
          kind: string;
          event: string;
          partner_id: number | null;
          relay_target_id: number | null;
          status: string;
          attempts: number;
          next_attempt_at: string;
          last_error: string | null;
          created_at: string;
          updated_at: string;
        }[]
      >`(
        SELECT coalesce(json_agg(json_build_object(
                 'id', rj.id, 'kind', rj.kind, 'event', rj.event, 'partner_id', rj.partner_id,
                 'relay_target_id', rj.relay_target_id, 'status', rj.status, 'attempts', rj.attempts,
                 'next_attempt_at', rj.next_attempt_at, 'last_error', rj.last_error,
                 'created_at', rj.created_at, 'updated_at', rj.updated_at) ORDER BY rj.id), '[]'::json)
          FROM relay_jobs rj WHERE rj.capture_id = ${captures.id})`,
      conversions: captureConversionsJson(captures.id),
    })
    .from(captures)
    .leftJoin(emails, eq(emails.id, captures.emailId))
    .leftJoin(captureGeo, eq(captureGeo.captureId, captures.id))
    .leftJoin(captureMarketing, eq(captureMarketing.captureId, captures.id))
    .leftJoin(captureHttpLogs, eq(captureHttpLogs.captureId, captures.id))
    .leftJoin(captureKnowledge, eq(captureKnowledge.captureId, captures.id))
    .where(eq(captures.id, input.id.toLowerCase()));
  if (!row) throw new NotFound("capture");
  assertBrand(ctx.principal, row.capture.brandId);
  return {
    capture: row.capture,
    email:
      row.emailSha256 !== null && row.emailMd5 !== null
        ? { sha256: row.emailSha256, md5: row.emailMd5 }
        : null,
    fieldErrors: row.fieldErrors,
    geo: row.geo,
    marketing: row.marketing,
    http: row.http,
    knowledge: row.knowledge,
    relayJobs: row.relayJobs.map((job) => ({
      id: Number(job.id),
      kind: job.kind,
      event: job.event,
      partnerId: job.partner_id === null ? null : Number(job.partner_id),
      relayTargetId: job.relay_target_id === null ? null : Number(job.relay_target_id),
      status: job.status,
      attempts: job.attempts,
      nextAttemptAt: toDate(job.next_attempt_at),
      lastError: job.last_error,
      createdAt: toDate(job.created_at),
      updatedAt: toDate(job.updated_at),
    })),
    conversions: captureConversionsPage(row.conversions),
  };
}

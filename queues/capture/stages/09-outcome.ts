import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import {
  type ClassifiedCapture,
  classifyBatch,
  type RelationshipState,
} from "../../../domain/capture/outcome.ts";
import { type DecidedCapture, type PreparedCapture, wantsContact } from "../types.ts";

/**
 * Stage 9, outcome classification, in capture order: `bot` wins, then `invalid`, then the
 * relationship with the brand as the earlier captures of this batch left it — `new`,
 * `duplicate` or `restored`.
 */
export function classifyCaptures(
  captures: readonly PreparedCapture[],
  storedState: (emailSha256: string, brandId: number) => RelationshipState | null,
): ClassifiedCapture[] {
  return classifyBatch(
    captures.map((capture) => ({
      emailKey: capture.email?.sha256 ?? null,
      brandId: capture.refs.brandId,
      isBot: capture.crawler.isBot,
      invalid: !capture.crawler.isBot && !wantsContact(capture),
    })),
    storedState,
  );
}

/**
 * The capture rows, with their outcome. A plain insert: a capture another delivery stored
 * since the identity statement read `stored` makes it fail on the primary key, and the
 * handler's one-by-one fallback then sees that capture as stored.
 */
export function capturesInsert(captures: readonly DecidedCapture[]): Cte | null {
  if (captures.length === 0) return null;
  const rows = captures.map((capture) => ({
    id: capture.message.captureId,
    received_at: capture.message.receivedAt,
    landing_ref: capture.message.landingRef,
    landing_id: capture.refs.id,
    brand_id: capture.refs.brandId,
    theme_id: capture.refs.themeId,
    partner_id: capture.refs.partnerId,
    product_id: capture.refs.productId,
    email_id: capture.emailId,
    contact_id: capture.contactId,
    outcome: capture.outcome,
    is_bot: capture.crawler.isBot,
    bot_reason: capture.crawler.reason,
    fields: capture.message.request.fields,
    rule_id: capture.ruleId,
    fallback_reason: capture.message.edge.fallbackReason,
  }));
  const columns =
    "id, received_at, landing_ref, landing_id, brand_id, theme_id, partner_id, product_id, email_id, contact_id, outcome, is_bot, bot_reason, fields, rule_id, fallback_reason";
  return {
    name: "capture",
    body: sql`INSERT INTO captures (${sql.raw(columns)})
      SELECT ${sql.raw(columns)}
      FROM ${recordset(
        rows,
        "id uuid, received_at timestamptz, landing_ref text, landing_id bigint, brand_id bigint, theme_id bigint, partner_id bigint, product_id bigint, email_id bigint, contact_id bigint, outcome capture_outcome, is_bot boolean, bot_reason text, fields jsonb, rule_id bigint, fallback_reason text",
      )}
      RETURNING id`,
  };
}

import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import { header } from "../../../domain/capture/crawler.ts";
import {
  type CaptureMarketing,
  marketingColumns,
  marketingParams,
  type PartnerParams,
} from "../../../domain/capture/marketing.ts";
import type { CaptureMessage } from "../message.ts";
import type { DecidedCapture } from "../types.ts";

/**
 * Stage 5, marketing parameters: utm_*, ad click ids, the partner's click and transaction
 * ids under the partner's own parameter names, sub ids, and the referrer.
 */
export function captureMarketing(message: CaptureMessage, partner: PartnerParams | null): CaptureMarketing {
  return marketingParams(
    {
      fields: message.request.fields,
      url: message.request.url,
      referrer: header(message.request.headers, "referer"),
    },
    partner,
  );
}

export function marketingInsert(captures: readonly DecidedCapture[]): Cte | null {
  if (captures.length === 0) return null;
  const rows = captures.map(({ message, marketing }) => ({
    capture_id: message.captureId,
    ...marketingColumns(marketing),
    extra: marketing.extra,
  }));
  const columns =
    "capture_id, utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, fbclid, ttclid, msclkid, click_id, transaction_id, sub1, sub2, sub3, sub4, sub5, referrer, extra";
  return {
    name: "marketing",
    body: sql`INSERT INTO capture_marketing (${sql.raw(columns)})
      SELECT ${sql.raw(columns)}
      FROM ${recordset(
        rows,
        "capture_id uuid, utm_source text, utm_medium text, utm_campaign text, utm_term text, utm_content text, gclid text, fbclid text, ttclid text, msclkid text, click_id text, transaction_id text, sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, referrer text, extra jsonb",
      )}`,
  };
}

/**
 * A conversion can reach `/pb` before its capture is stored (the redirect comes first, but the capture
 * waits for its queue batch). It is stored with no capture, and attached here when the capture arrives:
 * to the latest capture of this batch of the same partner with its click id, else with its transaction id
 * (the match `/pb` makes against captures already stored). Only captures received before the conversion
 * (a minute's grace for clocks) qualify: a click comes before its conversion.
 */
export function lateConversionsAttach(captures: readonly DecidedCapture[]): Cte | null {
  const rows = captures
    .filter(
      ({ refs, marketing }) =>
        refs.partnerId !== null && (marketing.clickId !== null || marketing.transactionId !== null),
    )
    .map(({ message, refs, marketing }) => ({
      capture_id: message.captureId,
      partner_id: refs.partnerId,
      received_at: message.receivedAt,
      click_id: marketing.clickId,
      transaction_id: marketing.transactionId,
    }));
  if (rows.length === 0) return null;
  const batch = recordset(
    rows,
    "capture_id uuid, partner_id bigint, received_at timestamptz, click_id text, transaction_id text",
  );
  return {
    name: "late_conversion",
    body: sql`UPDATE inbound_conversions ic SET capture_id = m.capture_id
      FROM (SELECT DISTINCT ON (x.id) x.id, x.capture_id FROM (
          SELECT c.id, r.capture_id, 0 AS preference, r.received_at
            FROM ${batch} JOIN inbound_conversions c
              ON c.capture_id IS NULL AND c.click_id IS NOT NULL
             AND c.partner_id = r.partner_id AND c.click_id = r.click_id
           WHERE r.received_at <= c.received_at + interval '1 minute'
          UNION ALL
          SELECT c.id, r.capture_id, 1, r.received_at
            FROM ${batch} JOIN inbound_conversions c
              ON c.capture_id IS NULL AND c.partner_id = r.partner_id AND c.transaction_id = r.transaction_id
           WHERE r.received_at <= c.received_at + interval '1 minute') x
        ORDER BY x.id, x.preference, x.received_at DESC, x.capture_id DESC) m
      WHERE ic.id = m.id
      RETURNING ic.id`,
  };
}

import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";

/** A delivery report as the events queue carries it (domain/messaging/provider.ts `DeliveryReceipt`). */
export interface ReceiptRow {
  provider: string;
  providerMessageId: string;
  /** The send the report names by our id (`customFields`), when it decodes. */
  sendId: number | null;
  status: "delivered" | "failed";
  providerCode: string;
  providerMessage: string | null;
  at: string;
}

export type ReceiptsResult = {
  received: number;
  /** Sends moved to delivered or failed. */
  applied: number;
  /** Re-confirmation notices whose report was recorded (their status stays `reconfirm`). */
  notices: number;
  /** Sends already final: left as they are. */
  final: number;
  /** Reports naming no send we know. */
  unknown: number;
};

const columns =
  "ord integer, provider text, provider_message_id text, send_id bigint, status text, provider_code text, provider_message text, at timestamptz";

/**
 * Applies a batch of delivery reports in one statement. A report finds its send by (provider, provider
 * message id), or, for a send whose provider answer was never stored (claimed or in doubt, no provider id),
 * by our id in the report. Only a send not yet final changes: `accepted`/`pending` (and in doubt) become
 * `delivered` or `failed` with `final_at` = the report's time; a re-confirmation notice keeps its status and
 * gets the provider's code and time. A redelivered report changes nothing. One history row per change.
 */
export async function applyReceipts(db: Executor, receipts: readonly ReceiptRow[]): Promise<ReceiptsResult> {
  const empty = { received: 0, applied: 0, notices: 0, final: 0, unknown: 0 };
  if (receipts.length === 0) return empty;
  const rows = receipts.map((r, ord) => ({
    ord,
    provider: r.provider,
    provider_message_id: r.providerMessageId,
    send_id: r.sendId,
    status: r.status,
    provider_code: r.providerCode,
    provider_message: r.providerMessage,
    at: r.at,
  }));
  const result = await db.execute<ReceiptsResult>(sql`
    WITH input AS (SELECT * FROM ${recordset(rows, columns)}),
    found AS (
      SELECT i.ord, s.id AS matched_id
        FROM input i JOIN message_sends s ON s.provider = i.provider AND s.provider_message_id = i.provider_message_id
      UNION
      SELECT i.ord, s.id
        FROM input i JOIN message_sends s ON s.id = i.send_id AND s.provider = i.provider
       WHERE s.provider_message_id IS NULL
    ),
    latest AS (
      SELECT DISTINCT ON (f.matched_id) f.matched_id, i.*
        FROM found f JOIN input i ON i.ord = f.ord
       ORDER BY f.matched_id, i.at DESC, i.ord DESC
    ),
    applied AS (
      UPDATE message_sends s SET status = l.status::message_send_status, final_at = l.at,
        provider_code = l.provider_code, provider_message_id = coalesce(s.provider_message_id, l.provider_message_id),
        rule = CASE WHEN l.status = 'failed' THEN l.provider_code END, detail = l.provider_message,
        sent_at = coalesce(s.sent_at, l.at), updated_at = now()
      FROM latest l
      WHERE s.id = l.matched_id AND (s.status IN ('accepted', 'pending', 'queued', 'held')
        OR (s.status = 'failed' AND s.rule = 'provider.in_doubt' AND s.provider_message_id IS NULL))
      RETURNING s.id, s.status, s.rule, s.provider_code, s.detail, l.at
    ),
    notices AS (
      UPDATE message_sends s SET final_at = l.at, provider_code = l.provider_code, updated_at = now()
      FROM latest l
      WHERE s.id = l.matched_id AND s.status = 'reconfirm' AND s.final_at IS NULL
      RETURNING s.id, l.status AS outcome, l.provider_code, l.at
    ),
    history AS (
      INSERT INTO message_send_history (send_id, status, at, rule, provider_code, detail)
      SELECT id, status, at, rule, provider_code, detail FROM applied
      UNION ALL
      SELECT id, 'reconfirm'::message_send_status, at, 'consent.reconfirm', provider_code,
        'The re-confirmation notice was ' || outcome FROM notices
      RETURNING send_id
    )
    SELECT (SELECT count(*) FROM input)::int AS received,
      (SELECT count(*) FROM applied)::int AS applied,
      (SELECT count(*) FROM notices)::int AS notices,
      ((SELECT count(*) FROM latest) - (SELECT count(*) FROM applied) - (SELECT count(*) FROM notices))::int AS final,
      (SELECT count(*) FROM input i WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.ord = i.ord))::int AS unknown,
      (SELECT count(*) FROM history)::int AS history`);
  const row = result.rows[0];
  return row
    ? {
        received: row.received,
        applied: row.applied,
        notices: row.notices,
        final: row.final,
        unknown: row.unknown,
      }
    : empty;
}

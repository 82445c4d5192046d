import { sql } from "drizzle-orm";
import { recordset } from "../../db/sql.ts";
import { RetryableConflict } from "../core/transaction.ts";
import { contactsByHash, emailColumns, emailRowOf } from "./contacts-by-hash.ts";
import { commerceEventData } from "./event-message.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf } from "./stored-event.ts";

/**
 * `consent.changed` → per-brand, per-channel consent (SPEC §13), for every event of the batch in ONE
 * statement: the contact found or created by email hash (emails, contacts), a history row per event and
 * channel (kept for ever, once per event), and the current row per brand, contact and channel moved only
 * by a change at least as recent as the one it holds, so a late delivery of an older change is history
 * only. Events whose email does not normalise fail, naming it.
 */
export const consentApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      const { data, outcome } = dataOf(commerceEventData["consent.changed"], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      const email = emailRowOf(data.email);
      if (email.error !== undefined) {
        outcomes.push({ id: event.id, status: "failed", error: email.error });
        continue;
      }
      for (const consent of data.consents)
        rows.push({
          ord: rows.length,
          event_id: event.id,
          brand_id: event.brandId,
          ...email.row,
          channel: consent.channel,
          status: consent.status,
          at: event.occurredAt,
          source: data.source ?? event.platform,
        });
      outcomes.push({ id: event.id, status: "applied" });
    }
    if (rows.length === 0) return outcomes;
    const result = await ctx.tx.execute<{ wanted: number; linked: number }>(sql`
      WITH input AS (
        SELECT * FROM ${recordset(
          rows,
          `ord integer, event_id bigint, brand_id bigint, ${emailColumns}, channel text, status text, at timestamptz, source text`,
        )}
      ),
      ${contactsByHash("input")},
      linked AS (
        SELECT i.*, ct.id AS contact_id FROM input i JOIN ct ON ct.sha256 = i.sha256
      ),
      history AS (
        INSERT INTO consent_history (brand_id, contact_id, channel, status, at, source, event_id)
        SELECT brand_id, contact_id, channel::consent_channel, status::consent_status, at, source, event_id
          FROM linked ORDER BY ord
        ON CONFLICT (event_id, channel) DO NOTHING
        RETURNING id
      ),
      current AS (
        INSERT INTO consents (brand_id, contact_id, channel, status, at, source, event_id)
        SELECT DISTINCT ON (brand_id, contact_id, channel)
               brand_id, contact_id, channel::consent_channel, status::consent_status, at, source, event_id
          FROM linked
         ORDER BY brand_id, contact_id, channel, at DESC, ord DESC
        ON CONFLICT (brand_id, contact_id, channel) DO UPDATE
           SET status = EXCLUDED.status, at = EXCLUDED.at, source = EXCLUDED.source,
               event_id = EXCLUDED.event_id, updated_at = now()
         WHERE consents.at <= EXCLUDED.at
        RETURNING id
      )
      SELECT (SELECT count(*) FROM input)::int AS wanted,
             (SELECT count(*) FROM linked)::int AS linked,
             (SELECT count(*) FROM history)::int AS history,
             (SELECT count(*) FROM current)::int AS current`);
    const counts = result.rows[0];
    // An email or contact another transaction created meanwhile is not in this statement's snapshot.
    if (!counts || counts.linked !== counts.wanted)
      throw new RetryableConflict("an email or contact was being created by another transaction");
    return outcomes;
  },
};

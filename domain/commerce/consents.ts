import { sql } from "drizzle-orm";
import { recordset } from "../../db/sql.ts";
import { emailHashes, isNormalisedEmail, normaliseEmail } from "../contacts/email.ts";
import { RetryableConflict } from "../core/transaction.ts";
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
      const email = normaliseEmail(data.email);
      if (!isNormalisedEmail(email)) {
        outcomes.push({ id: event.id, status: "failed", error: `email: not a usable address (${email}).` });
        continue;
      }
      const hashes = emailHashes(email.address);
      for (const consent of data.consents)
        rows.push({
          ord: rows.length,
          event_id: event.id,
          brand_id: event.brandId,
          address: email.address,
          domain: email.domain,
          sha256: hashes.sha256,
          md5: hashes.md5,
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
          "ord integer, event_id bigint, brand_id bigint, address text, domain text, sha256 text, md5 text, channel text, status text, at timestamptz, source text",
        )}
      ),
      em_new AS (
        INSERT INTO emails (address, domain, sha256, md5)
        SELECT DISTINCT ON (sha256) address, domain, sha256, md5 FROM input ORDER BY sha256
        ON CONFLICT (sha256) DO NOTHING
        RETURNING id, sha256
      ),
      em AS (
        SELECT id, sha256 FROM em_new
        UNION ALL
        SELECT e.id, e.sha256 FROM emails e WHERE e.sha256 IN (SELECT sha256 FROM input)
      ),
      ct_new AS (
        INSERT INTO contacts (email_id)
        SELECT id FROM em
        ON CONFLICT (email_id) DO NOTHING
        RETURNING id, email_id
      ),
      ct AS (
        SELECT ct_new.id, em.sha256 FROM ct_new JOIN em ON em.id = ct_new.email_id
        UNION ALL
        SELECT c.id, em.sha256 FROM contacts c JOIN em ON em.id = c.email_id
      ),
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

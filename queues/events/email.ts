import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import { moveRelationships, type RelationshipMoveRequest } from "../../domain/contacts/contacts.ts";
import { isNormalisedEmail, normaliseEmail, sha256Hex } from "../../domain/contacts/email.ts";
import {
  type EmailEventsMessage,
  leavingEventTypes,
  returningEventTypes,
} from "../../domain/contacts/email-event-message.ts";
import { refreshKnowledge } from "../../domain/contacts/knowledge-index.ts";

export {
  type EmailEventsMessage,
  emailEventsMessageSchema,
} from "../../domain/contacts/email-event-message.ts";

/** `contact_brands.unsubscribe_source` and `contact_events.source` of what email events change. */
export const emailEventSource = "email_event";

/** What storing one batch of email events did. */
export interface EmailBatchResult {
  received: number;
  /** New email_events rows. */
  stored: number;
  /** Already stored (same platform and event id, in an earlier batch or earlier in this one). */
  duplicates: number;
  /** Of the new rows, linked to a known email. */
  linked: number;
  /** Emails flagged hard-bounced by this batch. */
  hardBounced: number;
  /** Brand relationships this batch unsubscribed (a relationship left, restored and left again counts twice). */
  unsubscribed: number;
  /** Brand relationships this batch restored (resubscribes reversing the platform's own unsubscribes). */
  restored: number;
  /**
   * Emails whose knowledge index entry to refresh after COMMIT: every email of a leaving or returning
   * event in the batch, new or not, so a redelivery after a failed refresh repairs it.
   */
  refreshEmailIds: number[];
}

/**
 * The hash the event is linked by: SHA-256 of the address normalised as captures normalise it. An
 * address that does not normalise is hashed trimmed and lower-cased; it matches no stored email, and the
 * event is still kept (its platform reported it) without the plaintext.
 */
export function eventEmailHash(raw: string): string {
  const normalised = normaliseEmail(raw);
  return sha256Hex(isNormalisedEmail(normalised) ? normalised.address : raw.trim().toLowerCase());
}

const columns =
  "ord integer, platform text, event_id text, type text, email_sha256 char(64), brand_id bigint, message_id text, bounce_type text, url text, reason text, group_id text, occurred_at timestamptz, raw jsonb";

/**
 * Stores a batch of email events in one statement, whatever its size: each event once
 * (ON CONFLICT (platform, event_id) DO NOTHING), linked to its email and contact by hash and to its
 * brand when that brand exists; hard bounces of new events set emails.hard_bounced_at (the first one
 * stays). Then the unsubscribes, group unsubscribes and spam reports among the new events soft-delete
 * the named brand's relationship, or every relationship of the contact when no existing brand is named,
 * and group resubscribes restore what the platform's own unsubscribes ended, in event time order,
 * through `moveRelationships` (two statements; none when no event moves a relationship).
 * Only new events act: a redelivered batch changes nothing. Run inside the caller's transaction.
 */
export async function storeEmailEvents(
  db: Executor,
  messages: readonly EmailEventsMessage[],
): Promise<EmailBatchResult> {
  const rows = messages.flatMap((message) =>
    message.events.map((event) => ({
      platform: message.platform,
      event_id: event.id,
      type: event.type,
      email_sha256: eventEmailHash(event.email),
      brand_id: event.brandId,
      message_id: event.messageId,
      bounce_type: event.bounceType,
      url: event.url,
      reason: event.reason,
      group_id: event.groupId,
      occurred_at: event.occurredAt,
      raw: event.raw,
    })),
  );
  const result: EmailBatchResult = {
    received: rows.length,
    stored: 0,
    duplicates: 0,
    linked: 0,
    hardBounced: 0,
    unsubscribed: 0,
    restored: 0,
    refreshEmailIds: [],
  };
  if (rows.length === 0) return result;
  const moving = sql.raw(
    [...leavingEventTypes, ...returningEventTypes].map((type) => `'${type}'`).join(", "),
  );
  const stored = await db.execute<{
    stored: number;
    linked: number;
    bounced: number;
    moves: { contactId: number; brandId: number; at: string; type: string }[];
    refresh: number[];
  }>(sql`
    WITH input AS (
      SELECT DISTINCT ON (platform, event_id) *
        FROM ${recordset(
          rows.map((row, ord) => ({ ord, ...row })),
          columns,
        )}
       ORDER BY platform, event_id, ord
    ),
    linked AS (
      SELECT i.*, e.id AS email_id, c.id AS contact_id, b.id AS known_brand_id
        FROM input i
        LEFT JOIN emails e ON e.sha256 = i.email_sha256
        LEFT JOIN contacts c ON c.email_id = e.id
        LEFT JOIN brands b ON b.id = i.brand_id
    ),
    inserted AS (
      INSERT INTO email_events (platform, event_id, type, email_sha256, email_id, contact_id, brand_id,
                                message_id, bounce_type, url, reason, group_id, occurred_at, raw)
      SELECT platform, event_id, type::email_event_type, email_sha256, email_id, contact_id, known_brand_id,
             message_id, bounce_type, url, reason, group_id, occurred_at, raw
        FROM linked
       ORDER BY ord
      ON CONFLICT (platform, event_id) DO NOTHING
      RETURNING platform, event_id, type::text AS type, email_id, contact_id, brand_id, bounce_type, occurred_at
    ),
    bounced AS (
      UPDATE emails e
         SET hard_bounced_at = h.at
        FROM (SELECT email_id, min(occurred_at) AS at FROM inserted
               WHERE type = 'bounce' AND bounce_type = 'hard' AND email_id IS NOT NULL
               GROUP BY email_id) h
       WHERE e.id = h.email_id AND e.hard_bounced_at IS NULL
      RETURNING e.id
    ),
    moves AS (
      SELECT i.contact_id, cb.brand_id, i.occurred_at, i.type, n.ord
        FROM inserted i
        JOIN input n ON n.platform = i.platform AND n.event_id = i.event_id
        JOIN contact_brands cb
          ON cb.contact_id = i.contact_id AND (i.brand_id IS NULL OR cb.brand_id = i.brand_id)
       WHERE i.type IN (${moving})
    )
    SELECT (SELECT count(*) FROM inserted)::int AS stored,
           (SELECT count(email_id) FROM inserted)::int AS linked,
           (SELECT count(*) FROM bounced)::int AS bounced,
           (SELECT coalesce(jsonb_agg(jsonb_build_object(
               'contactId', contact_id, 'brandId', brand_id, 'at', occurred_at, 'type', type)
               ORDER BY occurred_at, ord), '[]'::jsonb)
              FROM moves) AS moves,
           (SELECT coalesce(jsonb_agg(DISTINCT email_id), '[]'::jsonb)
              FROM linked WHERE type IN (${moving}) AND contact_id IS NOT NULL) AS refresh`);
  const row = stored.rows[0];
  if (!row) throw new Error("the email events statement returned no row");
  result.stored = row.stored;
  result.duplicates = rows.length - row.stored;
  result.linked = row.linked;
  result.hardBounced = row.bounced;
  result.refreshEmailIds = row.refresh.map(Number);
  const leavingTypes = new Set<string>(leavingEventTypes);
  const moves: RelationshipMoveRequest[] = row.moves.map((move) => ({
    contactId: Number(move.contactId),
    brandId: Number(move.brandId),
    kind: leavingTypes.has(move.type) ? "leave" : "return",
    at: new Date(move.at),
    source: emailEventSource,
    reason: move.type,
  }));
  for (const { transitions } of await moveRelationships(db, moves)) {
    for (const transition of transitions) {
      if (transition.type === "unsubscribed") result.unsubscribed += 1;
      else result.restored += 1;
    }
  }
  return result;
}

/** After COMMIT: the knowledge index entries of the emails that left a brand, so the edge routes them accordingly. */
export async function refreshEmailKnowledge(
  db: Executor,
  kv: KVNamespace,
  result: Pick<EmailBatchResult, "refreshEmailIds">,
): Promise<number> {
  if (result.refreshEmailIds.length === 0) return 0;
  await refreshKnowledge(db, kv, result.refreshEmailIds);
  return result.refreshEmailIds.length;
}

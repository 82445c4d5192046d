import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import type { RelationshipState } from "../../../domain/capture/outcome.ts";
import type { DecidedCapture } from "../types.ts";

/**
 * Stage 7, contacts: one contact per global email, and per brand a relationship that is
 * `active`, `unsubscribed` (soft-deleted, history kept) or `restored`.
 *
 * In the identity statement, `co` upserts the contacts of the captures that want one and
 * `rel` upserts their brand relationships. `ON CONFLICT DO UPDATE` takes the row lock
 * (what `SELECT … FOR UPDATE` would) on the newest committed version and returns it, so
 * the state read here is exact and stays so until COMMIT: a concurrent batch touching the
 * same relationship waits. Rows go in key order so concurrent batches lock in one order.
 * A row whose `first_capture_id` is one of this batch's captures was created by it.
 */
export const contactsUpsert: Cte = {
  name: "co",
  body: sql`INSERT INTO contacts AS c (email_id, first_capture_id)
    SELECT DISTINCT ON (em.id) em.id, f.capture_id
      FROM fresh f JOIN em ON em.sha256 = f.sha256
     WHERE f.contact
     ORDER BY em.id, f.ord
    ON CONFLICT (email_id) DO UPDATE SET updated_at = now()
    RETURNING c.id, c.email_id, c.first_capture_id`,
};

export const relationshipsUpsert: Cte = {
  name: "rel",
  body: sql`INSERT INTO contact_brands AS cb
      (contact_id, brand_id, state, first_capture_id, last_capture_id, capture_count)
    SELECT DISTINCT ON (co.id, f.brand_id) co.id, f.brand_id, 'active', f.capture_id, f.capture_id, 0
      FROM fresh f JOIN em ON em.sha256 = f.sha256 JOIN co ON co.email_id = em.id
     WHERE f.contact
     ORDER BY co.id, f.brand_id, f.ord
    ON CONFLICT (contact_id, brand_id) DO UPDATE SET updated_at = now()
    RETURNING cb.id, cb.contact_id, cb.brand_id, cb.state, cb.first_capture_id, cb.restore_count`,
};

/** A locked relationship row as the identity statement returned it. */
export interface LockedRelationship {
  id: number;
  contactId: number;
  brandId: number;
  /** `null` when this batch created the row. */
  stateBefore: RelationshipState | null;
  restoreCountBefore: number;
}

interface RelationshipUpdate {
  id: number;
  state: RelationshipState;
  last_capture_id: string;
  captures: number;
  duplicates: number;
  restores: number;
  restored_at: string | null;
}

/**
 * What the batch's captures did to each relationship, in capture order: counts added,
 * the last capture, the state after the last one, and when it was restored.
 */
export function relationshipUpdates(
  captures: readonly DecidedCapture[],
  relationshipOf: (capture: DecidedCapture) => LockedRelationship | undefined,
): RelationshipUpdate[] {
  const updates = new Map<number, RelationshipUpdate>();
  for (const capture of captures) {
    if (capture.outcome === "bot" || capture.outcome === "invalid" || capture.stateAfter === null) continue;
    const relationship = relationshipOf(capture);
    if (!relationship) throw new Error("a valid capture has no locked relationship");
    const update = updates.get(relationship.id) ?? {
      id: relationship.id,
      state: capture.stateAfter,
      last_capture_id: capture.message.captureId,
      captures: 0,
      duplicates: 0,
      restores: 0,
      restored_at: null,
    };
    update.state = capture.stateAfter;
    update.last_capture_id = capture.message.captureId;
    update.captures += 1;
    if (capture.outcome === "duplicate") update.duplicates += 1;
    if (capture.outcome === "restored") {
      update.restores += 1;
      update.restored_at = capture.receivedAt.toISOString();
    }
    updates.set(relationship.id, update);
  }
  return [...updates.values()];
}

export function relationshipsUpdate(rows: readonly RelationshipUpdate[]): Cte | null {
  if (rows.length === 0) return null;
  return {
    name: "rel_update",
    body: sql`UPDATE contact_brands AS cb SET
        state = r.state,
        last_capture_id = r.last_capture_id,
        capture_count = cb.capture_count + r.captures,
        duplicate_count = cb.duplicate_count + r.duplicates,
        restore_count = cb.restore_count + r.restores,
        restored_at = coalesce(r.restored_at, cb.restored_at),
        deleted_at = CASE WHEN r.restores > 0 THEN NULL ELSE cb.deleted_at END,
        updated_at = now()
      FROM ${recordset(
        rows,
        "id bigint, state relationship_state, last_capture_id uuid, captures integer, duplicates integer, restores integer, restored_at timestamptz",
      )}
      WHERE cb.id = r.id`,
  };
}

interface ContactEventRow {
  contact_id: number;
  brand_id: number | null;
  type: "created" | "captured" | "duplicate" | "restored";
  capture_id: string;
  detail: Record<string, unknown>;
  occurred_at: string;
}

/** The contact's history: `created` for a new contact, then one event per accepted capture. */
export function contactEventRows(
  captures: readonly DecidedCapture[],
  createdContacts: ReadonlySet<number>,
  relationshipOf: (capture: DecidedCapture) => LockedRelationship | undefined,
): ContactEventRow[] {
  const rows: ContactEventRow[] = [];
  const announced = new Set<number>();
  const restores = new Map<number, number>();
  for (const capture of captures) {
    const { contactId } = capture;
    if (contactId === null) continue;
    const base = {
      contact_id: contactId,
      brand_id: capture.refs.brandId,
      capture_id: capture.message.captureId,
      occurred_at: capture.receivedAt.toISOString(),
    };
    const detail = {
      outcome: capture.outcome,
      landingId: capture.refs.id,
      partnerId: capture.refs.partnerId,
    };
    if (createdContacts.has(contactId) && !announced.has(contactId)) {
      announced.add(contactId);
      rows.push({ ...base, type: "created", detail });
    }
    if (capture.outcome === "new") rows.push({ ...base, type: "captured", detail });
    else if (capture.outcome === "duplicate") rows.push({ ...base, type: "duplicate", detail });
    else if (capture.outcome === "restored") {
      const relationship = relationshipOf(capture);
      const before = relationship ? (restores.get(relationship.id) ?? relationship.restoreCountBefore) : 0;
      if (relationship) restores.set(relationship.id, before + 1);
      rows.push({ ...base, type: "restored", detail: { ...detail, restoreCount: before + 1 } });
    }
  }
  return rows;
}

export function contactEventsInsert(rows: readonly ContactEventRow[]): Cte | null {
  if (rows.length === 0) return null;
  return {
    name: "contact_event",
    body: sql`INSERT INTO contact_events (contact_id, brand_id, type, capture_id, source, detail, occurred_at)
      SELECT contact_id, brand_id, type, capture_id, 'capture', detail, occurred_at
      FROM ${recordset(
        rows,
        "contact_id bigint, brand_id bigint, type contact_event_type, capture_id uuid, detail jsonb, occurred_at timestamptz",
      )}`,
  };
}

import { sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.ts";
import { pgArray, recordset } from "../../db/sql.ts";
import type { RelationshipState } from "../capture/outcome.ts";
import { resolveRefs } from "../catalog/catalog.ts";
import { NotFound, Unavailable, ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { isNormalisedEmail, normaliseEmail, sha256Hex } from "./email.ts";
import { refreshKnowledge } from "./knowledge-index.ts";
import {
  applyRelationshipMoves,
  type RelationshipMove,
  type RelationshipTransition,
} from "./relationship-moves.ts";

/** A contact's relationship with one brand. */
export interface Relationship {
  contactId: number;
  brandId: number;
  state: RelationshipState;
  firstCaptureId: string | null;
  lastCaptureId: string | null;
  captureCount: number;
  duplicateCount: number;
  unsubscribedAt: Date | null;
  unsubscribeSource: string | null;
  restoredAt: Date | null;
  restoreCount: number;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ContactEvent {
  type: string;
  brandId: number | null;
  captureId: string | null;
  source: string;
  detail: unknown;
  occurredAt: Date;
}

export interface ContactDetail {
  id: number;
  emailId: number;
  email: { address: string; domain: string; sha256: string; md5: string; hardBouncedAt: Date | null };
  firstCaptureId: string | null;
  createdAt: Date;
  updatedAt: Date;
  relationships: Relationship[];
  /** Most recent first. */
  events: ContactEvent[];
}

/** How many events the lookup returns; the full history stays in the database. */
export const recentEventLimit = 50;

type Timestamp = string | Date;
const toDate = (value: Timestamp): Date => (value instanceof Date ? value : new Date(value));
const toDateOrNull = (value: Timestamp | null): Date | null => (value === null ? null : toDate(value));

type RelationshipRow = {
  contact_id: string | number;
  brand_id: string | number;
  state: RelationshipState;
  first_capture_id: string | null;
  last_capture_id: string | null;
  capture_count: number;
  duplicate_count: number;
  unsubscribed_at: Timestamp | null;
  unsubscribe_source: string | null;
  restored_at: Timestamp | null;
  restore_count: number;
  deleted_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
};

function toRelationship(row: RelationshipRow): Relationship {
  return {
    contactId: Number(row.contact_id),
    brandId: Number(row.brand_id),
    state: row.state,
    firstCaptureId: row.first_capture_id,
    lastCaptureId: row.last_capture_id,
    captureCount: row.capture_count,
    duplicateCount: row.duplicate_count,
    unsubscribedAt: toDateOrNull(row.unsubscribed_at),
    unsubscribeSource: row.unsubscribe_source,
    restoredAt: toDateOrNull(row.restored_at),
    restoreCount: row.restore_count,
    deletedAt: toDateOrNull(row.deleted_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Normalises an address as captures do, or throws ValidationFailed naming `field`. */
export function normalisedAddress(raw: string, field = "email"): string {
  const normalised = normaliseEmail(raw);
  if (isNormalisedEmail(normalised)) return normalised.address;
  const messages = {
    missing: "An email address is required.",
    too_long: "The email address is longer than 254 characters.",
    malformed: "Not an email address.",
  } as const;
  throw new ValidationFailed([{ field, category: normalised, message: messages[normalised] }]);
}

/**
 * Finds a contact by email, however it was spelled (the address is normalised and looked up
 * by its SHA-256), with its brand relationships and recent history. A brand-scoped caller sees
 * only its brands' relationships and events, and a contact with none of them is not found.
 * One query.
 */
export async function findContactByEmail({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { email: string };
}): Promise<ContactDetail> {
  const sha256 = sha256Hex(normalisedAddress(input.email));
  const scope = ctx.principal.brandIds;
  const inScope = (column: string) =>
    scope === null ? sql`TRUE` : sql`${sql.identifier(column)} = ANY(${pgArray([...scope])}::bigint[])`;
  const result = await ctx.db.execute<{
    id: string | number;
    email_id: string | number;
    address: string;
    domain: string;
    sha256: string;
    md5: string;
    hard_bounced_at: Timestamp | null;
    first_capture_id: string | null;
    created_at: Timestamp;
    updated_at: Timestamp;
    relationships: RelationshipRow[];
    events: {
      type: string;
      brand_id: string | number | null;
      capture_id: string | null;
      source: string;
      detail: unknown;
      occurred_at: Timestamp;
    }[];
  }>(sql`
    SELECT c.id, c.email_id, e.address, e.domain, e.sha256, e.md5, e.hard_bounced_at,
           c.first_capture_id, c.created_at, c.updated_at,
           (SELECT coalesce(json_agg(cb ORDER BY cb.brand_id), '[]'::json)
              FROM contact_brands cb
             WHERE cb.contact_id = c.id AND ${inScope("brand_id")}) AS relationships,
           (SELECT coalesce(json_agg(ev ORDER BY ev.occurred_at DESC, ev.id DESC), '[]'::json)
              FROM (SELECT id, type, brand_id, capture_id, source, detail, occurred_at
                      FROM contact_events
                     WHERE contact_id = c.id AND ${inScope("brand_id")}
                     ORDER BY occurred_at DESC, id DESC
                     LIMIT ${recentEventLimit}) ev) AS events
      FROM emails e
      JOIN contacts c ON c.email_id = e.id
     WHERE e.sha256 = ${sha256}`);
  const row = result.rows[0];
  if (!row || (scope !== null && row.relationships.length === 0)) throw new NotFound("contact");
  return {
    id: Number(row.id),
    emailId: Number(row.email_id),
    email: {
      address: row.address,
      domain: row.domain,
      sha256: row.sha256,
      md5: row.md5,
      hardBouncedAt: toDateOrNull(row.hard_bounced_at),
    },
    firstCaptureId: row.first_capture_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    relationships: row.relationships.map(toRelationship),
    events: row.events.map((event) => ({
      type: event.type,
      brandId: event.brand_id === null ? null : Number(event.brand_id),
      captureId: event.capture_id,
      source: event.source,
      detail: event.detail,
      occurredAt: toDate(event.occurred_at),
    })),
  };
}

export interface UnsubscribeRequest {
  contactId: number;
  brandId: number;
  /** When the unsubscribe happened (the email platform's event time, or now). */
  at: Date;
  reason?: string | null | undefined;
}

export interface UnsubscribeResult {
  /** The relationship after the call, whether or not it changed; absent when there is none. */
  relationship: Relationship;
  /** Whether this call unsubscribed it (false: it already was). */
  changed: boolean;
  /** The contact's email id, for refreshing the knowledge index after commit. */
  emailId: number;
}

/** A move of one brand relationship (see {@link applyRelationshipMoves}). */
export interface RelationshipMoveRequest extends RelationshipMove {
  contactId: number;
  brandId: number;
}

export interface MovedRelationship {
  /** The relationship after the moves. */
  relationship: Relationship;
  /** The changes made, in order; empty when every move was stale or already in effect. */
  transitions: RelationshipTransition[];
  /** The contact's email id, for refreshing the knowledge index after commit. */
  emailId: number;
}

const standingColumns =
  "id bigint, state relationship_state, unsubscribed_at timestamptz, unsubscribe_source text, restored_at timestamptz, restore_count integer, deleted_at timestamptz";
const transitionColumns =
  "contact_id bigint, brand_id bigint, type contact_event_type, source text, detail jsonb, occurred_at timestamptz";

/**
 * Unsubscribes and restores brand relationships: locks the named relationships, applies each one's
 * moves in time order (domain/contacts/relationship-moves.ts), and writes the new states with one
 * `unsubscribed` / `restored` contact event per change. Two statements for any number of moves (one
 * when nothing changes); a redelivered move finds its change made and does nothing. Moves of a
 * relationship that does not exist are dropped. Refresh the knowledge index of the returned email ids
 * after the transaction commits.
 */
export async function moveRelationships(
  db: Executor,
  moves: readonly RelationshipMoveRequest[],
): Promise<MovedRelationship[]> {
  if (moves.length === 0) return [];
  return withTransaction(db, async (tx) => {
    const locked = await tx.execute<RelationshipRow & { id: string | number; email_id: string | number }>(sql`
      SELECT cb.*, c.email_id
        FROM contact_brands cb
        JOIN contacts c ON c.id = cb.contact_id
       WHERE (cb.contact_id, cb.brand_id) IN (
               SELECT * FROM unnest(${pgArray(moves.map((m) => m.contactId))}::bigint[],
                                    ${pgArray(moves.map((m) => m.brandId))}::bigint[]))
       ORDER BY cb.id
         FOR UPDATE OF cb`);
    const movesOf = new Map<string, RelationshipMoveRequest[]>();
    for (const move of moves) {
      const key = `${move.contactId}:${move.brandId}`;
      movesOf.set(key, [...(movesOf.get(key) ?? []), move]);
    }
    const moved: (MovedRelationship & { id: number })[] = [];
    for (const row of locked.rows) {
      const relationship = toRelationship(row);
      const { next, transitions } = applyRelationshipMoves(
        relationship,
        movesOf.get(`${relationship.contactId}:${relationship.brandId}`) ?? [],
      );
      moved.push({
        id: Number(row.id),
        relationship: { ...relationship, ...next },
        transitions,
        emailId: Number(row.email_id),
      });
    }
    const changed = moved.filter((entry) => entry.transitions.length > 0);
    if (changed.length === 0) return moved.map(({ id: _id, ...entry }) => entry);
    const written = await tx.execute<{ id: string | number; updated_at: string | Date }>(sql`
      WITH updated AS (
        UPDATE contact_brands cb
           SET state = r.state, unsubscribed_at = r.unsubscribed_at, unsubscribe_source = r.unsubscribe_source,
               restored_at = r.restored_at, restore_count = r.restore_count, deleted_at = r.deleted_at,
               updated_at = now()
          FROM ${recordset(
            changed.map(({ id, relationship: r }) => ({
              id,
              state: r.state,
              unsubscribed_at: r.unsubscribedAt,
              unsubscribe_source: r.unsubscribeSource,
              restored_at: r.restoredAt,
              restore_count: r.restoreCount,
              deleted_at: r.deletedAt,
            })),
            standingColumns,
          )}
         WHERE cb.id = r.id
        RETURNING cb.id, cb.updated_at
      ),
      events AS (
        INSERT INTO contact_events (contact_id, brand_id, type, source, detail, occurred_at)
        SELECT contact_id, brand_id, type, source, detail, occurred_at
          FROM ${recordset(
            changed.flatMap(({ relationship, transitions }) =>
              transitions.map((t) => ({
                contact_id: relationship.contactId,
                brand_id: relationship.brandId,
                type: t.type,
                source: t.source,
                detail: t.detail,
                occurred_at: t.at,
              })),
            ),
            transitionColumns,
          )}
        RETURNING 1
      )
      SELECT id, updated_at FROM updated`);
    const updatedAt = new Map(written.rows.map((row) => [Number(row.id), toDate(row.updated_at)]));
    return moved.map(({ id, relationship, ...entry }) => ({
      ...entry,
      relationship: { ...relationship, updatedAt: updatedAt.get(id) ?? relationship.updatedAt },
    }));
  });
}

/**
 * Soft-deletes brand relationships (state `unsubscribed`, `deleted_at` and `unsubscribed_at` set, the
 * source recorded, an `unsubscribed` contact event per change): {@link moveRelationships} with one
 * leave per request. Idempotent, also under concurrent calls (the relationships are locked first).
 * Requests without a relationship are absent from the result.
 */
export async function unsubscribeRelationships(
  db: Executor,
  source: string,
  requests: readonly UnsubscribeRequest[],
): Promise<UnsubscribeResult[]> {
  const moved = await moveRelationships(
    db,
    requests.map((r) => ({
      contactId: r.contactId,
      brandId: r.brandId,
      kind: "leave" as const,
      at: r.at,
      source,
      reason: r.reason ?? null,
    })),
  );
  return moved.map(({ relationship, transitions, emailId }) => ({
    relationship,
    changed: transitions.length > 0,
    emailId,
  }));
}

/**
 * The API's unsubscribe of one contact from one brand (source `api`), then, after commit, the
 * knowledge index entry of the contact's email, so the edge routes the visitor accordingly.
 * The index is refreshed on a repeated call too: retrying repairs a failed refresh.
 * Throws NotFound when there is no such relationship.
 */
export async function unsubscribeContact({
  ctx,
  input,
}: {
  ctx: VerbContext & { db: Database; knowledge: KVNamespace };
  /** `brand` is the brand's hash id. */
  input: { contactId: number; brand: string; reason?: string | undefined; at?: Date | undefined };
}): Promise<UnsubscribeResult> {
  const refs = await resolveRefs(ctx, { brand: { kind: "brand", value: input.brand } });
  assertBrand(ctx.principal, refs.brand.id);
  const [result] = await unsubscribeRelationships(ctx.db, "api", [
    { contactId: input.contactId, brandId: refs.brand.id, at: input.at ?? new Date(), reason: input.reason },
  ]);
  if (!result) throw new NotFound("relationship", "This contact has no relationship with that brand.");
  try {
    await refreshKnowledge(ctx.db, ctx.knowledge, [result.emailId]);
  } catch (error) {
    throw new Unavailable(
      "The unsubscribe is saved, but updating the edge's knowledge index failed; repeat the call to retry.",
      { cause: error },
    );
  }
  return result;
}

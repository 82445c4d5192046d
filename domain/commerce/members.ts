import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { MemberEventKind } from "../../db/schema/members.ts";
import { recordset } from "../../db/sql.ts";
import { moveRelationships, type RelationshipMoveRequest } from "../contacts/contacts.ts";
import { personalInfo } from "../contacts/identity.ts";
import { RetryableConflict } from "../core/transaction.ts";
import { contactsByHash, type EmailRow, emailColumns, emailRowOf } from "./contacts-by-hash.ts";
import { commerceEventData } from "./event-message.ts";
import type { CommerceEventType } from "./event-types.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf, type StoredCommerceEvent } from "./stored-event.ts";

/** The member event types and the history kind each one is. */
export const memberKindOf = {
  "member.joined": "joined",
  "member.updated": "updated",
  "member.withdrawn": "withdrawn",
} as const satisfies Partial<Record<CommerceEventType, MemberEventKind>>;
export type MemberEventType = keyof typeof memberKindOf;

const isMemberType = (type: CommerceEventType): type is MemberEventType => type in memberKindOf;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

type MemberData = z.infer<(typeof commerceEventData)[MemberEventType]>;

/**
 * `contact_brands.unsubscribe_source` of a withdrawal, per platform (`cafe24:member_withdrawn`). A join
 * restores only what this source unsubscribed (relationship-moves.ts): becoming a member again is not
 * consent to mail a person who unsubscribed themselves.
 */
export const memberWithdrawnSource = (platform: string): string => `${platform}:member_withdrawn`;

/** The fields a member event carried, in a fixed order: what its history row says it changed by default. */
const carriedFields = ["email", "first_name", "last_name", "phone", "group"] as const;

/** What the history row records as changed: the platform's list when it sent one, else what was carried. */
export function changedFields(data: MemberData): string[] {
  if ("changed" in data && data.changed !== undefined) return data.changed;
  const carried: Record<string, unknown> = data;
  return carriedFields.filter((field) => carried[field] !== undefined);
}

const columns = `ord integer, event_id bigint, store_id bigint, brand_id bigint, platform text, external_id text, kind text, occurred_at timestamptz, ${emailColumns}, first_name text, last_name text, phone text, pi_sha256 char(64), pi_md5 char(32), member_group text, changed text[]`;

type MemberRow = {
  ord: number;
  event_id: number;
  store_id: number;
  brand_id: number;
  platform: string;
  external_id: string;
  kind: MemberEventKind;
  occurred_at: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  pi_sha256: string | null;
  pi_md5: string | null;
  member_group: string | null;
  changed: string[];
} & { [K in keyof EmailRow]: EmailRow[K] | null };

function memberRow(event: StoredCommerceEvent, ord: number): { row: MemberRow } | { outcome: ApplyOutcome } {
  if (!isMemberType(event.type)) throw new Error(`not a member event: ${event.type}`);
  // Re-run from what was stored (applyStoredEvents), the email is only its hash: it links a known email.
  const { email_sha256: storedHash, ...received } = isRecord(event.data) ? event.data : {};
  const parsed = dataOf<MemberData>(commerceEventData[event.type], { ...event, data: received });
  if (parsed.outcome) return { outcome: parsed.outcome };
  const data = parsed.data;
  let email: { [K in keyof EmailRow]: EmailRow[K] | null } | null =
    typeof storedHash === "string" ? { address: null, domain: null, sha256: storedHash, md5: null } : null;
  if (data.email !== undefined) {
    const normalised = emailRowOf(data.email);
    if (normalised.error !== undefined)
      return { outcome: { id: event.id, status: "failed", error: normalised.error } };
    email = normalised.row;
  }
  const person = personalInfo({
    first_name: "first_name" in data ? data.first_name : undefined,
    last_name: "last_name" in data ? data.last_name : undefined,
    phone: "phone" in data ? data.phone : undefined,
  });
  return {
    row: {
      ord,
      event_id: event.id,
      store_id: event.storeId,
      brand_id: event.brandId,
      platform: event.platform,
      external_id: data.member_id,
      kind: memberKindOf[event.type],
      occurred_at: event.occurredAt,
      address: email?.address ?? null,
      domain: email?.domain ?? null,
      sha256: email?.sha256 ?? null,
      md5: email?.md5 ?? null,
      first_name: person?.parts.firstName ?? null,
      last_name: person?.parts.lastName ?? null,
      phone: person?.parts.phone ?? null,
      pi_sha256: person?.sha256 ?? null,
      pi_md5: person?.md5 ?? null,
      member_group: ("group" in data && data.group) || null,
      changed:
        typeof storedHash === "string" && !("changed" in data && data.changed)
          ? ["email", ...changedFields(data)]
          : changedFields(data),
    },
  };
}

type Statement = {
  wanted: number;
  linked: number;
  persons_wanted: number;
  persons_linked: number;
  /** Withdrawn members with a contact: the relationship to soft-delete, at the withdrawal. */
  leaves: { contact_id: number; brand_id: number; platform: string; at: string }[];
  /** This batch's joins of members that are not withdrawn: a relationship their withdrawal ended returns. */
  returns: { contact_id: number; brand_id: number; platform: string; at: string }[];
  /** Emails whose relationship with the brand this statement created. */
  related: number[];
};

/**
 * `member.joined`, `member.updated`, `member.withdrawn` → the store's member row, its history and the
 * contact's brand relationship. Statement 1 creates or locks the batch's member rows (in key order), so a
 * concurrent batch of the same member waits and statement 2 sees its history. Statement 2, for every
 * event at once: the email and contact found or created by hash (as consents.ts) and the name and phone
 * in personal_info, a history row per event (once: keyed by the event), and every member row recomputed
 * from its whole history (members.ts in db/schema says how), so delivery order does not matter; a join or
 * an update naming an email creates the contact's relationship with the brand when it has none (`active`,
 * counting no capture). Then the withdrawn members' relationships are soft-deleted through
 * `moveRelationships` (source `<platform>:member_withdrawn`, a stale leave ignored there), and a later
 * join restores what such a withdrawal ended.
 *
 * An event re-run from its stored payload (applyStoredEvents: events stored before this applier existed)
 * has its email's hash only, and its name and phone not at all: the hash links the email when it is
 * known, and creates nothing.
 *
 * An update or withdrawal before its join is not held back: the member row starts from the member id
 * alone, without a contact until an event names an email; the join fills it in when it comes. Every
 * event is `applied`, but for data that does not parse or an email that does not normalise (`failed`).
 */
export const memberApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: MemberRow[] = [];
    for (const event of events) {
      const made = memberRow(event, rows.length);
      if ("outcome" in made) {
        outcomes.push(made.outcome);
        continue;
      }
      rows.push(made.row);
      outcomes.push({ id: event.id, status: "applied" });
    }
    if (rows.length === 0) return outcomes;
    const input = recordset(rows, columns);
    await ctx.tx.execute(sql`
      INSERT INTO members AS m (store_id, brand_id, external_id, updated_at)
      SELECT DISTINCT ON (store_id, external_id) store_id, brand_id, external_id, occurred_at
        FROM ${input}
       ORDER BY store_id, external_id, occurred_at
      ON CONFLICT (store_id, external_id) DO UPDATE SET external_id = m.external_id`);
    const result = await ctx.tx.execute<Statement>(sql`
      WITH input AS (SELECT * FROM ${input}),
      ${contactsByHash("input")},
      pi_new AS (
        INSERT INTO personal_info (first_name, last_name, phone, sha256, md5)
        SELECT DISTINCT ON (pi_sha256) first_name, last_name, phone, pi_sha256, pi_md5 FROM input
         WHERE pi_sha256 IS NOT NULL ORDER BY pi_sha256
        ON CONFLICT DO NOTHING
        RETURNING id, sha256
      ),
      pi AS (
        SELECT id, sha256 FROM pi_new
        UNION ALL
        SELECT p.id, p.sha256 FROM personal_info p WHERE p.sha256 IN (SELECT pi_sha256 FROM input)
      ),
      linked AS (
        SELECT i.*, m.id AS member_id, ct.id AS contact_id, pi.id AS personal_info_id
          FROM input i
          JOIN members m ON m.store_id = i.store_id AND m.external_id = i.external_id
          LEFT JOIN ct ON ct.sha256 = i.sha256
          LEFT JOIN pi ON pi.sha256 = i.pi_sha256
      ),
      history AS (
        INSERT INTO member_history (member_id, event_id, kind, occurred_at, changed, contact_id,
                                    personal_info_id, member_group)
        SELECT member_id, event_id, kind::member_event_kind, occurred_at, changed, contact_id,
               personal_info_id, member_group
          FROM linked ORDER BY ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      ),
      every AS (
        SELECT h.member_id, h.kind::text AS kind, h.occurred_at, h.event_id, h.contact_id, h.personal_info_id,
               h.member_group
          FROM member_history h WHERE h.member_id IN (SELECT member_id FROM linked)
        UNION ALL
        SELECT member_id, kind, occurred_at, event_id, contact_id, personal_info_id, member_group FROM linked
      ),
      derived AS (
        SELECT member_id,
               max(occurred_at) FILTER (WHERE kind = 'joined') AS joined_at,
               max(occurred_at) FILTER (WHERE kind = 'withdrawn') AS withdrawal_at,
               max(occurred_at) AS updated_at,
               (array_agg(contact_id ORDER BY occurred_at DESC, event_id DESC)
                  FILTER (WHERE contact_id IS NOT NULL))[1] AS contact_id,
               (array_agg(personal_info_id ORDER BY occurred_at DESC, event_id DESC)
                  FILTER (WHERE personal_info_id IS NOT NULL))[1] AS personal_info_id,
               (array_agg(member_group ORDER BY occurred_at DESC, event_id DESC)
                  FILTER (WHERE kind = 'joined' AND member_group IS NOT NULL))[1] AS member_group
          FROM every GROUP BY member_id
      ),
      standing AS (
        SELECT d.*,
               CASE WHEN d.withdrawal_at >= coalesce(d.joined_at, '-infinity') THEN d.withdrawal_at END
                 AS withdrawn_at
          FROM derived d
      ),
      moved AS (
        UPDATE members m
           SET joined_at = s.joined_at, withdrawn_at = s.withdrawn_at, updated_at = s.updated_at,
               state = CASE WHEN s.withdrawn_at IS NULL THEN 'active' ELSE 'withdrawn' END::member_state,
               contact_id = s.contact_id, personal_info_id = s.personal_info_id, member_group = s.member_group
          FROM standing s
         WHERE m.id = s.member_id
        RETURNING m.id
      ),
      rel AS (
        INSERT INTO contact_brands AS cb (contact_id, brand_id, state, capture_count)
        SELECT DISTINCT contact_id, brand_id, 'active'::relationship_state, 0
          FROM linked WHERE contact_id IS NOT NULL AND kind IN ('joined', 'updated')
         ORDER BY contact_id, brand_id
        ON CONFLICT (contact_id, brand_id) DO NOTHING
        RETURNING cb.contact_id
      )
      SELECT (SELECT count(*) FROM input WHERE address IS NOT NULL)::int AS wanted,
             (SELECT count(contact_id) FROM linked WHERE address IS NOT NULL)::int AS linked,
             (SELECT count(*) FROM input WHERE pi_sha256 IS NOT NULL)::int AS persons_wanted,
             (SELECT count(personal_info_id) FROM linked)::int AS persons_linked,
             (SELECT count(*) FROM history)::int AS history,
             (SELECT count(*) FROM moved)::int AS moved,
             (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('contact_id', s.contact_id,
                 'brand_id', l.brand_id, 'platform', l.platform, 'at', s.withdrawn_at)), '[]'::jsonb)
                FROM standing s JOIN linked l ON l.member_id = s.member_id
               WHERE s.withdrawn_at IS NOT NULL AND s.contact_id IS NOT NULL) AS leaves,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('contact_id', l.contact_id,
                 'brand_id', l.brand_id, 'platform', l.platform, 'at', l.occurred_at) ORDER BY l.ord), '[]'::jsonb)
                FROM linked l JOIN standing s ON s.member_id = l.member_id
               WHERE l.kind = 'joined' AND l.contact_id IS NOT NULL AND s.withdrawn_at IS NULL) AS returns,
             (SELECT coalesce(jsonb_agg(DISTINCT ct.email_id), '[]'::jsonb)
                FROM rel JOIN ct ON ct.id = rel.contact_id) AS related`);
    const counts = result.rows[0];
    if (!counts) throw new Error("the members statement returned no row");
    // An email, contact or person another transaction created meanwhile is not in this statement's snapshot.
    if (counts.linked !== counts.wanted || counts.persons_linked !== counts.persons_wanted)
      throw new RetryableConflict(
        "an email, contact or personal info was being created by another transaction",
      );
    const move = (kind: "leave" | "return", reason: string) => (m: Statement["leaves"][number]) =>
      ({
        contactId: Number(m.contact_id),
        brandId: Number(m.brand_id),
        kind,
        at: new Date(m.at),
        source: memberWithdrawnSource(m.platform),
        reason,
      }) satisfies RelationshipMoveRequest;
    const moved = await moveRelationships(ctx.tx, [
      ...counts.leaves.map(move("leave", "member.withdrawn")),
      ...counts.returns.map(move("return", "member.joined")),
    ]);
    ctx.refreshEmailIds.push(
      ...counts.related.map(Number),
      ...moved.filter((m) => m.transitions.length > 0).map((m) => m.emailId),
    );
    return outcomes;
  },
};

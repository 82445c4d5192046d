import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import type { ConsentChannel } from "../commerce/event-types.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";

/**
 * Opt-outs (Article 50(2)): a refusal by 080 call or reply, brand-wide, effective at `at` — the gate reads
 * `message_opt_outs` on the next batch, before any consent row changes. Stored once per (brand, source id).
 */

export const optOutVias = ["080", "reply"] as const;
export type OptOutVia = (typeof optOutVias)[number];

export interface OptOutRow {
  brandId: number;
  /** National digits (`normalizeRecipient`). */
  phone: string;
  via: OptOutVia;
  at: string;
  sourceId: string;
}

export interface StoredOptOut {
  id: number;
  brandId: number;
  phone: string;
  contactId: number | null;
  via: OptOutVia;
  at: string;
  sourceId: string;
  /** False when (brand, source id) was stored before: the earlier row is returned. */
  created: boolean;
}

/**
 * A phone as personal_info stores it, in national digits (`+82 10-…` and `010-…` both `010…`), the form
 * opt-outs are stored and matched in.
 */
export function nationalPhoneSql(column: SQL): SQL {
  const digits = sql`regexp_replace(${column}, '[[:space:]().-]', '', 'g')`;
  return sql`(CASE
    WHEN ${digits} LIKE '+82%' THEN '0' || substr(${digits}, 4)
    WHEN ${digits} LIKE '0082%' THEN '0' || substr(${digits}, 5)
    WHEN ${digits} LIKE '82%' AND length(${digits}) >= 11 AND ${digits} NOT LIKE '820%' THEN '0' || substr(${digits}, 3)
    ELSE ${digits} END)`;
}

const columns = "ord integer, brand_id bigint, phone text, via text, at timestamptz, source_id text";

/**
 * Stores opt-outs in one statement: ON CONFLICT (brand, source id) DO NOTHING, the contact resolved from the
 * brand's accounts whose personal_info phone is that number when exactly one contact has it. Opt-outs of a
 * brand that does not exist are dropped and counted. Returns every row named, new or stored before.
 */
export async function storeOptOuts(
  db: Executor,
  optOuts: readonly OptOutRow[],
): Promise<{ rows: StoredOptOut[]; unknownBrands: number }> {
  if (optOuts.length === 0) return { rows: [], unknownBrands: 0 };
  const input = optOuts.map((o, ord) => ({
    ord,
    brand_id: o.brandId,
    phone: o.phone,
    via: o.via,
    at: o.at,
    source_id: o.sourceId,
  }));
  const phone = nationalPhoneSql(sql`pi.phone`);
  const result = await db.execute<{ rows: StoredOptOut[] | null; unknown: number }>(sql`
    WITH given AS (SELECT * FROM ${recordset(input, columns)}),
    input AS (
      SELECT DISTINCT ON (r.brand_id, r.source_id) r.* FROM given r
       WHERE EXISTS (SELECT 1 FROM brands b WHERE b.id = r.brand_id)
       ORDER BY r.brand_id, r.source_id, r.ord
    ),
    resolved AS (
      SELECT i.*, (
        SELECT CASE WHEN count(DISTINCT a.contact_id) = 1 THEN min(a.contact_id) END
          FROM brand_client_accounts a JOIN personal_info pi ON pi.id = a.personal_info_id
         WHERE a.brand_id = i.brand_id AND ${phone} = i.phone
      ) AS contact_id
      FROM input i
    ),
    inserted AS (
      INSERT INTO message_opt_outs (brand_id, phone, contact_id, via, at, source_id)
      SELECT brand_id, phone, contact_id, via, at, source_id FROM resolved ORDER BY ord
      ON CONFLICT (brand_id, source_id) DO NOTHING
      RETURNING id, brand_id, phone, contact_id, via, at, source_id
    ),
    named AS (
      SELECT id, brand_id, phone, contact_id, via, at, source_id, true AS created FROM inserted
      UNION ALL
      SELECT o.id, o.brand_id, o.phone, o.contact_id, o.via, o.at, o.source_id, false
        FROM message_opt_outs o JOIN input i ON i.brand_id = o.brand_id AND i.source_id = o.source_id
       WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.brand_id = o.brand_id AND n.source_id = o.source_id)
    )
    SELECT (SELECT json_agg(json_build_object('id', id, 'brandId', brand_id, 'phone', phone,
        'contactId', contact_id, 'via', via, 'at', at, 'sourceId', source_id, 'created', created) ORDER BY id)
        FROM named) AS rows,
      (SELECT count(*) FROM given r WHERE NOT EXISTS (SELECT 1 FROM brands b WHERE b.id = r.brand_id))::int
        AS unknown`);
  const row = result.rows[0];
  return {
    rows: (row?.rows ?? []).map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    unknownBrands: row?.unknown ?? 0,
  };
}

/** One opt-out an operator records (`POST /api/v1/brands/{brand}/opt-outs`): the same write, synchronous. */
export async function recordOptOut({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number; phone: string; via: OptOutVia; at: string; sourceId: string };
}): Promise<StoredOptOut> {
  assertBrand(ctx.principal, input.brandId);
  return withTransaction(ctx.db, async (tx) => {
    const { rows } = await storeOptOuts(tx, [input]);
    const [row] = rows;
    if (!row) throw new NotFound("brand");
    return row;
  });
}

/**
 * Marks consents re-confirmed (the answer to the two-yearly notice, Article 50(8)): `reconfirmed_at` of the
 * brand's granted consents of `channel` for the contact, or for every contact of the brand's accounts with
 * that phone. Returns the contacts whose consent changed.
 */
export async function reconfirmConsents({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: {
    brandId: number;
    contactId: number | null;
    phone: string | null;
    channel: ConsentChannel;
    at: string;
  };
}): Promise<{ contactIds: number[] }> {
  assertBrand(ctx.principal, input.brandId);
  const errors = new FieldErrors();
  if (input.contactId === null && input.phone === null)
    errors.add("contact", "missing", "Give the contact or the phone.");
  errors.throwIfAny();
  return withTransaction(ctx.db, async (tx) => {
    const found = await tx.execute<{ brand: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM brands WHERE id = ${input.brandId}) AS brand`,
    );
    if (!found.rows[0]?.brand) throw new NotFound("brand");
    const phone = nationalPhoneSql(sql`pi.phone`);
    const byContact =
      input.contactId !== null
        ? sql`k.contact_id = ${input.contactId}`
        : sql`k.contact_id IN (SELECT a.contact_id FROM brand_client_accounts a
            JOIN personal_info pi ON pi.id = a.personal_info_id
            WHERE a.brand_id = ${input.brandId} AND ${phone} = ${input.phone})`;
    const updated = await tx.execute<{ contact_id: number | string }>(sql`
      UPDATE consents k SET reconfirmed_at = ${input.at}::timestamptz, updated_at = now()
      WHERE k.brand_id = ${input.brandId} AND k.channel = ${input.channel}::consent_channel
        AND k.status = 'granted' AND ${byContact}
      RETURNING k.contact_id`);
    return { contactIds: updated.rows.map((r) => Number(r.contact_id)).sort((a, b) => a - b) };
  });
}

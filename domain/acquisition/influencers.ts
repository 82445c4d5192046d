import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { jsonRow, pgArray, recordset } from "../../db/sql.ts";
import { resolveRefs } from "../catalog/catalog.ts";
import { Conflict, type FieldError, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";

/**
 * Influencers of a brand and their coupon and referral codes. A code belongs to one influencer of the
 * brand per kind, whatever its case (a unique index on lower(code) holds it), so the classifier can never
 * find two owners. Changing codes or `active` does not reclassify anyone by itself: the classification
 * job does, and records the change.
 */

export interface Influencer {
  id: number;
  brandId: number;
  name: string;
  handle: string | null;
  active: boolean;
  /** As entered; matched case-insensitively. In code order. */
  couponCodes: string[];
  referralCodes: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface InfluencerSettings {
  name: string;
  handle: string | null;
  active: boolean;
  couponCodes: string[];
  referralCodes: string[];
}

type Json = Record<string, unknown>;

const codes = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((code): code is string => typeof code === "string") : [];

function toInfluencer(row: Json): Influencer {
  return {
    id: Number(row.id),
    brandId: Number(row.brand_id),
    name: String(row.name),
    handle: typeof row.handle === "string" ? row.handle : null,
    active: row.active === true,
    couponCodes: codes(row.coupon_codes),
    referralCodes: codes(row.referral_codes),
    createdAt: new Date(String(row.created_at)),
    updatedAt: new Date(String(row.updated_at)),
  };
}

/** An influencer row (alias `i`) with its codes, as one jsonb value. */
const influencerJson = sql`to_jsonb(i) || jsonb_build_object(
  'coupon_codes', (SELECT coalesce(jsonb_agg(c.code ORDER BY lower(c.code), c.code), '[]'::jsonb)
                     FROM influencer_codes c WHERE c.influencer_id = i.id AND c.kind = 'coupon'),
  'referral_codes', (SELECT coalesce(jsonb_agg(c.code ORDER BY lower(c.code), c.code), '[]'::jsonb)
                       FROM influencer_codes c WHERE c.influencer_id = i.id AND c.kind = 'referral'))`;

async function readInfluencer(
  db: Pick<Executor, "execute">,
  id: number,
  lock = false,
): Promise<Influencer | null> {
  const row = await jsonRow(
    db,
    lock
      ? sql`SELECT to_jsonb(i) FROM influencers i WHERE i.id = ${id} FOR UPDATE`
      : sql`SELECT ${influencerJson} FROM influencers i WHERE i.id = ${id}`,
  );
  return row ? toInfluencer({ coupon_codes: [], referral_codes: [], ...row }) : null;
}

const taken = (field: string, value: string): FieldError => ({
  field,
  category: "conflict",
  message: `"${value}" is already another influencer's code in this brand.`,
});

/**
 * Replaces the influencer's codes of the kinds given (`undefined` leaves a kind as it is), in one
 * statement. A code another influencer of the brand holds is a 409 naming its place in the list.
 */
async function writeCodes(
  tx: Pick<Executor, "execute">,
  influencer: { id: number; brandId: number },
  given: { couponCodes?: string[] | undefined; referralCodes?: string[] | undefined },
): Promise<void> {
  const kinds = [
    ["coupon", "coupon_codes", given.couponCodes],
    ["referral", "referral_codes", given.referralCodes],
  ] as const;
  const replaced = kinds.filter(([, , list]) => list !== undefined).map(([kind]) => kind);
  if (replaced.length === 0) return;
  const wanted = kinds.flatMap(([kind, field, list]) =>
    (list ?? []).map((code, index) => ({ kind, code, field: `${field}.${index}` })),
  );
  // Two statements: an insert in the same statement as the delete could meet the very rows it replaces.
  await tx.execute(sql`DELETE FROM influencer_codes WHERE influencer_id = ${influencer.id}
                         AND kind::text = ANY(${pgArray(replaced)}::text[])`);
  const result = await tx.execute<{ field: string; code: string }>(sql`
    WITH clash AS (
      SELECT r.field, r.code FROM ${recordset(wanted, "kind text, code text, field text")}
       WHERE EXISTS (SELECT 1 FROM influencer_codes c WHERE c.brand_id = ${influencer.brandId}
                        AND c.kind::text = r.kind AND lower(c.code) = lower(r.code))),
    added AS (
      INSERT INTO influencer_codes (brand_id, influencer_id, kind, code)
      SELECT ${influencer.brandId}, ${influencer.id}, r.kind::influencer_code_kind, r.code
        FROM ${recordset(wanted, "kind text, code text, field text")}
       WHERE NOT EXISTS (SELECT 1 FROM clash)
       ORDER BY r.kind, r.code
      ON CONFLICT DO NOTHING
      RETURNING id)
    SELECT field, code FROM clash
    UNION ALL
    -- A code another transaction took meanwhile: the insert skipped it.
    SELECT 'codes', '' WHERE NOT EXISTS (SELECT 1 FROM clash)
       AND (SELECT count(*) FROM added) < ${wanted.length}`);
  if (result.rows.length > 0)
    throw new Conflict(
      "A code is already another influencer's in this brand.",
      result.rows.map((row) => taken(row.field, row.code)),
    );
}

export interface CreateInfluencerInput extends InfluencerSettings {
  /** Brand hash id. */
  brand: string;
}

const handleTaken = (handle: string) =>
  new Conflict(`The handle "${handle}" is already another influencer's in this brand.`, [
    { field: "handle", category: "conflict", message: `"${handle}" is already taken.` },
  ]);

export async function createInfluencer({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateInfluencerInput;
}): Promise<Influencer> {
  return withTransaction(ctx.db, async (tx) => {
    const refs = await resolveRefs({ ...ctx, db: tx }, { brand: { kind: "brand", value: input.brand } });
    const brandId = refs.brand.id;
    assertBrand(ctx.principal, brandId);
    const inserted = await jsonRow(
      tx,
      sql`INSERT INTO influencers (brand_id, name, handle, active)
          VALUES (${brandId}, ${input.name}, ${input.handle}, ${input.active})
          ON CONFLICT DO NOTHING RETURNING to_jsonb(influencers)`,
    );
    if (!inserted) throw handleTaken(input.handle ?? "");
    const id = Number(inserted.id);
    await writeCodes(tx, { id, brandId }, input);
    const influencer = await readInfluencer(tx, id);
    if (!influencer) throw new Error("influencer insert returned no row");
    return influencer;
  });
}

export async function getInfluencer({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Influencer> {
  const influencer = await readInfluencer(ctx.db, input.id);
  if (!influencer) throw new NotFound("influencer");
  assertBrand(ctx.principal, influencer.brandId);
  return influencer;
}

export async function listInfluencers({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined; active?: boolean | undefined };
}): Promise<Page<Influencer>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const where: SQL[] = [sql`true`];
  if (input.after !== null) where.push(sql`i.id > ${input.after}`);
  if (input.brandId !== undefined) where.push(sql`i.brand_id = ${input.brandId}`);
  if (input.active !== undefined) where.push(sql`i.active = ${input.active}`);
  if (scope !== null) where.push(sql`i.brand_id = ANY(${pgArray([...scope])}::bigint[])`);
  const result = await ctx.db.execute<{ influencer: Json }>(sql`
    SELECT ${influencerJson} AS influencer FROM influencers i
     WHERE ${sql.join(where, sql` AND `)}
     ORDER BY i.id LIMIT ${input.limit + 1}`);
  return toPage(
    result.rows.map((row) => toInfluencer(row.influencer)),
    input.limit,
  );
}

/** Fields to change; `undefined` leaves one as it is. A code list given replaces that kind's codes. */
export type UpdateInfluencerInput = { id: number } & Partial<InfluencerSettings>;

export async function updateInfluencer({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateInfluencerInput;
}): Promise<Influencer> {
  return withTransaction(ctx.db, async (tx) => {
    const current = await readInfluencer(tx, input.id, true);
    if (!current) throw new NotFound("influencer");
    assertBrand(ctx.principal, current.brandId);
    const { id, couponCodes, referralCodes, ...fields } = input;
    const sets: SQL[] = [];
    if (fields.name !== undefined) sets.push(sql`name = ${fields.name}`);
    if (fields.handle !== undefined) sets.push(sql`handle = ${fields.handle}`);
    if (fields.active !== undefined) sets.push(sql`active = ${fields.active}`);
    if (sets.length > 0 || couponCodes !== undefined || referralCodes !== undefined) {
      sets.push(sql`updated_at = now()`);
      const updated = await tx.execute(sql`
        UPDATE influencers SET ${sql.join(sets, sql`, `)}
         WHERE id = ${id}
           AND NOT EXISTS (SELECT 1 FROM influencers o WHERE o.brand_id = ${current.brandId} AND o.id <> ${id}
                             AND ${fields.handle ?? null}::text IS NOT NULL AND lower(o.handle) = lower(${fields.handle ?? null}::text))
        RETURNING id`);
      if (updated.rows.length === 0) throw handleTaken(fields.handle ?? "");
    }
    await writeCodes(tx, current, { couponCodes, referralCodes });
    const influencer = await readInfluencer(tx, id);
    if (!influencer) throw new NotFound("influencer");
    return influencer;
  });
}

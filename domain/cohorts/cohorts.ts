import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { jsonParam, jsonRow, pgArray } from "../../db/sql.ts";
import { resolveRefs } from "../catalog/catalog.ts";
import { NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import { cohortPredicate } from "./compile.ts";
import type { Definition } from "./definition.ts";
import { type CohortMember, memberPage, memberPages } from "./members.ts";
import { resolveDefinition } from "./resolve.ts";

/**
 * Saved cohorts: a name, a definition and whether the nightly job snapshots it. A cohort belongs to one
 * brand and selects only that brand's accounts, whatever its definition says; a key limited to other
 * brands gets a 403 for it everywhere. Its members are never stored: they are the compiled definition's
 * answer at the moment they are asked for (snapshots.ts freezes them).
 */

export const cohortRefreshes = ["none", "daily"] as const;
export type CohortRefresh = (typeof cohortRefreshes)[number];

export interface Cohort {
  id: number;
  brandId: number;
  name: string;
  /** As the API received it: public ids. */
  definition: Definition<string>;
  /** Internal ids, resolved and checked when it was saved. */
  resolvedDefinition: Definition;
  refresh: CohortRefresh;
  createdAt: Date;
  updatedAt: Date;
}

export interface CohortWithCount extends Cohort {
  /** How many accounts the definition selects now. */
  memberCount: number;
}

type Json = Record<string, unknown>;

export function toCohort(row: Json): Cohort {
  return {
    id: Number(row.id),
    brandId: Number(row.brand_id),
    name: String(row.name),
    definition: row.definition as Definition<string>,
    resolvedDefinition: row.resolved_definition as Definition,
    refresh: row.refresh as CohortRefresh,
    createdAt: new Date(String(row.created_at)),
    updatedAt: new Date(String(row.updated_at)),
  };
}

/** The account ids of `cohort` at `now` (`SELECT a.id …`), optionally only those after `after`, in id order. */
export function cohortMemberIds(
  cohort: Pick<Cohort, "brandId" | "resolvedDefinition">,
  now: Date,
  page?: { after: number; limit: number },
): SQL {
  const { joins, where } = cohortPredicate(cohort.resolvedDefinition, { brandIds: [cohort.brandId], now });
  if (!page) return sql`SELECT a.id FROM brand_client_accounts a${joins} WHERE ${where}`;
  return sql`SELECT a.id FROM brand_client_accounts a${joins} WHERE ${where} AND a.id > ${page.after}
             ORDER BY a.id LIMIT ${page.limit}`;
}

const countOf = (cohort: Cohort, now: Date): SQL =>
  sql`(SELECT count(*) FROM (${cohortMemberIds(cohort, now)}) members)`;

async function withCount(db: Pick<Executor, "execute">, cohort: Cohort, now: Date): Promise<CohortWithCount> {
  const result = await db.execute<{ n: string | number }>(sql`SELECT ${countOf(cohort, now)} AS n`);
  return { ...cohort, memberCount: Number(result.rows[0]?.n ?? 0) };
}

async function readCohort(db: Pick<Executor, "execute">, id: number, lock = false): Promise<Cohort | null> {
  const row = await jsonRow(
    db,
    sql`SELECT to_jsonb(c) FROM cohorts c WHERE c.id = ${id} AND c.deleted_at IS NULL
        ${lock ? sql`FOR UPDATE` : sql``}`,
  );
  return row ? toCohort(row) : null;
}

/** A cohort the caller may see: 404 when there is none (or it was deleted), 403 when it is another brand's. */
export async function visibleCohort(ctx: VerbContext, id: number, lock = false): Promise<Cohort> {
  const cohort = await readCohort(ctx.db, id, lock);
  if (!cohort) throw new NotFound("cohort");
  assertBrand(ctx.principal, cohort.brandId);
  return cohort;
}

export interface CreateCohortInput {
  /** Brand hash id. */
  brand: string;
  name: string;
  /** Public ids, as the API received it. */
  definition: Definition<string>;
  refresh: CohortRefresh;
  /** Where the definition sits in the request, for error paths (`definition.`). */
  path?: string;
  now?: Date;
}

/**
 * Saves a cohort of one brand: the brand must be the caller's (403), every id of the definition must
 * decode, exist and be the caller's to use (422 by path, 403), then it is stored and counted.
 */
export async function createCohort({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateCohortInput;
}): Promise<CohortWithCount> {
  const refs = await resolveRefs(ctx, { brand: { kind: "brand", value: input.brand } });
  const brandId = refs.brand.id;
  assertBrand(ctx.principal, brandId);
  const resolved = await resolveDefinition(ctx, input.definition, input.path ?? "definition.");
  const row = await jsonRow(
    ctx.db,
    sql`INSERT INTO cohorts (brand_id, name, definition, resolved_definition, refresh)
        VALUES (${brandId}, ${input.name}, ${jsonParam(input.definition)}::jsonb, ${jsonParam(resolved)}::jsonb,
                ${input.refresh})
        RETURNING to_jsonb(cohorts)`,
  );
  if (!row) throw new Error("cohort insert returned no row");
  return withCount(ctx.db, toCohort(row), input.now ?? new Date());
}

/** Cohorts not deleted, by id, within the caller's brands (or one of them). */
export async function listCohorts({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined };
}): Promise<Page<Cohort>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const where: SQL[] = [sql`c.deleted_at IS NULL`];
  if (input.after !== null) where.push(sql`c.id > ${input.after}`);
  if (input.brandId !== undefined) where.push(sql`c.brand_id = ${input.brandId}`);
  if (scope !== null) where.push(sql`c.brand_id = ANY(${pgArray([...scope])}::bigint[])`);
  const result = await ctx.db.execute<{ cohort: Json }>(sql`
    SELECT to_jsonb(c) AS cohort FROM cohorts c WHERE ${sql.join(where, sql` AND `)}
     ORDER BY c.id LIMIT ${input.limit + 1}`);
  return toPage(
    result.rows.map((row) => toCohort(row.cohort)),
    input.limit,
  );
}

/** A cohort with how many accounts it selects now. */
export async function getCohort({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number; now?: Date };
}): Promise<CohortWithCount> {
  const cohort = await visibleCohort(ctx, input.id);
  return withCount(ctx.db, cohort, input.now ?? new Date());
}

export interface UpdateCohortInput {
  id: number;
  name?: string | undefined;
  definition?: Definition<string> | undefined;
  refresh?: CohortRefresh | undefined;
  path?: string;
  now?: Date;
}

/**
 * Changes the name, the definition (checked as on create) or the refresh; the brand stays. Snapshots
 * already taken keep the members they froze.
 */
export async function updateCohort({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateCohortInput;
}): Promise<CohortWithCount> {
  const now = input.now ?? new Date();
  const updated = await withTransaction(ctx.db, async (tx) => {
    const inner = { ...ctx, db: tx };
    const current = await visibleCohort(inner, input.id, true);
    if (input.name === undefined && input.definition === undefined && input.refresh === undefined)
      return current;
    const definition = input.definition ?? current.definition;
    const resolved =
      input.definition === undefined
        ? current.resolvedDefinition
        : await resolveDefinition(inner, input.definition, input.path ?? "definition.");
    const row = await jsonRow(
      tx,
      sql`UPDATE cohorts SET name = ${input.name ?? current.name},
            definition = ${jsonParam(definition)}::jsonb, resolved_definition = ${jsonParam(resolved)}::jsonb,
            refresh = ${input.refresh ?? current.refresh}, updated_at = now()
          WHERE id = ${input.id} RETURNING to_jsonb(cohorts)`,
    );
    if (!row) throw new NotFound("cohort");
    return toCohort(row);
  });
  return withCount(ctx.db, updated, now);
}

/** Marks the cohort deleted: gone from the API and from the nightly snapshots; its snapshots stay stored. */
export async function deleteCohort({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Cohort> {
  return withTransaction(ctx.db, async (tx) => {
    const current = await visibleCohort({ ...ctx, db: tx }, input.id, true);
    await tx.execute(sql`UPDATE cohorts SET deleted_at = now() WHERE id = ${input.id}`);
    return current;
  });
}

/** One page of the cohort's members now, by account id (the compiled definition, keyset on `a.id`). */
export async function cohortMembers({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number; page: PageInput; now?: Date };
}): Promise<Page<CohortMember>> {
  const cohort = await visibleCohort(ctx, input.id);
  const now = input.now ?? new Date();
  return memberPage(ctx.db, input.page, (after, limit) => cohortMemberIds(cohort, now, { after, limit }));
}

/**
 * Every member of the cohort now (after `after`), `pageSize` at a time, for an export: the cohort is
 * checked before the first page is read, so a 404 or 403 is still an error response, not a broken body.
 */
export async function cohortMemberExport({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number; after: number | null; pageSize: number; now?: Date };
}): Promise<AsyncGenerator<CohortMember[]>> {
  const cohort = await visibleCohort(ctx, input.id);
  const now = input.now ?? new Date();
  return memberPages(ctx.db, input.pageSize, input.after, (after, limit) =>
    cohortMemberIds(cohort, now, { after, limit }),
  );
}

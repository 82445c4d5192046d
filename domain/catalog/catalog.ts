import { and, asc, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import { brands, partners, products, themes } from "../../db/schema/catalog.ts";
import { pgArray } from "../../db/sql.ts";
import { Conflict, FieldErrors, NotFound } from "../core/errors.ts";
import type { EntityKind } from "../core/hash-ids.ts";
import { assertBrand, assertUnscoped } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";

export type Brand = typeof brands.$inferSelect;
export type Theme = typeof themes.$inferSelect;
export type Partner = typeof partners.$inferSelect;
export type Product = typeof products.$inferSelect;

export type PostbackMethod = Partner["postbackMethod"];

const slugTaken = (field: string, value: string) =>
  new Conflict(`The ${field} "${value}" is already taken.`, [
    { field, category: "conflict", message: `"${value}" is already taken.` },
  ]);

/** A scoped caller lists only its brands: `undefined` when it may see all. */
function brandFilter(ctx: VerbContext, column: typeof brands.id | typeof products.brandId): SQL | undefined {
  const scope = ctx.principal.brandIds;
  return scope === null ? undefined : inArray(column, [...scope]);
}

// Brands

export interface CreateBrandInput {
  name: string;
  slug: string;
  domain?: string | null | undefined;
}

export async function createBrand({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateBrandInput;
}): Promise<Brand> {
  assertUnscoped(ctx.principal);
  return withTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .insert(brands)
      .values({ name: input.name, slug: input.slug, domain: input.domain ?? null })
      .onConflictDoNothing({ target: brands.slug })
      .returning();
    if (!row) throw slugTaken("slug", input.slug);
    return row;
  });
}

export async function listBrands({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput;
}): Promise<Page<Brand>> {
  const rows = await ctx.db
    .select()
    .from(brands)
    .where(and(input.after === null ? undefined : gt(brands.id, input.after), brandFilter(ctx, brands.id)))
    .orderBy(asc(brands.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getBrand({ ctx, input }: { ctx: VerbContext; input: { id: number } }): Promise<Brand> {
  const [row] = await ctx.db.select().from(brands).where(eq(brands.id, input.id));
  if (!row) throw new NotFound("brand");
  assertBrand(ctx.principal, row.id);
  return row;
}

// Themes

export interface CreateThemeInput {
  name: string;
  slug: string;
}

export async function createTheme({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateThemeInput;
}): Promise<Theme> {
  assertUnscoped(ctx.principal);
  return withTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .insert(themes)
      .values({ name: input.name, slug: input.slug })
      .onConflictDoNothing({ target: themes.slug })
      .returning();
    if (!row) throw slugTaken("slug", input.slug);
    return row;
  });
}

export async function listThemes({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput;
}): Promise<Page<Theme>> {
  const rows = await ctx.db
    .select()
    .from(themes)
    .where(input.after === null ? undefined : gt(themes.id, input.after))
    .orderBy(asc(themes.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getTheme({ ctx, input }: { ctx: VerbContext; input: { id: number } }): Promise<Theme> {
  const [row] = await ctx.db.select().from(themes).where(eq(themes.id, input.id));
  if (!row) throw new NotFound("theme");
  return row;
}

// Partners

export interface CreatePartnerInput {
  name: string;
  slug: string;
  clickIdParam: string;
  transactionIdParam: string;
  postbackUrl: string | null;
  postbackMethod: PostbackMethod;
  postbackEvents: string[];
  postbackContentType?: "json" | "form";
  postbackHeaders?: Record<string, string>;
  signingSecret?: string | null;
  payout?: number;
  payoutCurrency?: string | null;
  postbackDelaySeconds?: number;
  postbackFailureLimit?: number;
}

/** A payout without a currency cannot fill `{currency}`: refused rather than guessed. */
function checkPayout(errors: FieldErrors, payout: number, currency: string | null): void {
  if (payout > 0 && currency === null)
    errors.add("payout_currency", "missing", "Required when payout is more than 0.");
}

export async function createPartner({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreatePartnerInput;
}): Promise<Partner> {
  assertUnscoped(ctx.principal);
  const errors = new FieldErrors();
  checkPayout(errors, input.payout ?? 0, input.payoutCurrency ?? null);
  errors.throwIfAny();
  return withTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .insert(partners)
      // The input's fields are the partner's columns.
      .values(input)
      .onConflictDoNothing({ target: partners.slug })
      .returning();
    if (!row) throw slugTaken("slug", input.slug);
    return row;
  });
}

export async function listPartners({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput;
}): Promise<Page<Partner>> {
  const rows = await ctx.db
    .select()
    .from(partners)
    .where(input.after === null ? undefined : gt(partners.id, input.after))
    .orderBy(asc(partners.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getPartner({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Partner> {
  const [row] = await ctx.db.select().from(partners).where(eq(partners.id, input.id));
  if (!row) throw new NotFound("partner");
  return row;
}

/** Fields to change; `undefined` leaves one as it is (the slug and the pause state are not changed here). */
export type UpdatePartnerInput = { id: number } & Partial<Omit<CreatePartnerInput, "slug">>;

/**
 * Changes a partner's parameters and postback settings (unscoped keys only). The signing secret is
 * write-only; `null` removes it. A payout needs a currency, checked against the row as it will be.
 */
export async function updatePartner({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdatePartnerInput;
}): Promise<Partner> {
  assertUnscoped(ctx.principal);
  return withTransaction(ctx.db, async (tx) => {
    const [current] = await tx.select().from(partners).where(eq(partners.id, input.id)).for("update");
    if (!current) throw new NotFound("partner");
    const errors = new FieldErrors();
    checkPayout(
      errors,
      input.payout ?? current.payout,
      input.payoutCurrency === undefined ? current.payoutCurrency : input.payoutCurrency,
    );
    errors.throwIfAny();
    const { id: _, ...changes } = input;
    if (Object.values(changes).every((value) => value === undefined)) return current;
    const [row] = await tx.update(partners).set(changes).where(eq(partners.id, input.id)).returning();
    if (!row) throw new NotFound("partner");
    return row;
  });
}

// Products

export interface CreateProductInput {
  /** Brand hash id. */
  brand: string;
  name: string;
  sku: string;
}

export async function createProduct({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateProductInput;
}): Promise<Product> {
  return withTransaction(ctx.db, async (tx) => {
    const refs = await resolveRefs({ ...ctx, db: tx }, { brand: { kind: "brand", value: input.brand } });
    const brandId = refs.brand.id;
    assertBrand(ctx.principal, brandId);
    const [row] = await tx
      .insert(products)
      .values({ brandId, name: input.name, sku: input.sku })
      .onConflictDoNothing({ target: [products.brandId, products.sku] })
      .returning();
    if (!row) throw slugTaken("sku", input.sku);
    return row;
  });
}

export async function listProducts({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined };
}): Promise<Page<Product>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const rows = await ctx.db
    .select()
    .from(products)
    .where(
      and(
        input.after === null ? undefined : gt(products.id, input.after),
        input.brandId === undefined ? undefined : eq(products.brandId, input.brandId),
        brandFilter(ctx, products.brandId),
      ),
    )
    .orderBy(asc(products.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getProduct({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Product> {
  const [row] = await ctx.db.select().from(products).where(eq(products.id, input.id));
  if (!row) throw new NotFound("product");
  assertBrand(ctx.principal, row.brandId);
  return row;
}

// References

const refTables = {
  brand: { table: "brands", owner: "id" },
  theme: { table: "themes", owner: "NULL::bigint" },
  partner: { table: "partners", owner: "NULL::bigint" },
  product: { table: "products", owner: "brand_id" },
} as const;
export type RefKind = keyof typeof refTables & EntityKind;

export interface RefSpec {
  kind: RefKind;
  /** The hash id as the caller sent it. */
  value: string;
}

export interface ResolvedRef {
  id: number;
  /** The brand the row belongs to: itself for a brand, its brand for a product, `null` for shared rows. */
  brandId: number | null;
}

/**
 * Decodes hash-id references and checks that each exists, adding every bad one to `errors`
 * (`malformed`: not a hash id of that kind; `not_found`: no such row) in the order the fields
 * were given, and returns the ones that resolved. One query for all of them.
 */
export async function lookupRefs<F extends string>(
  ctx: VerbContext,
  specs: Record<F, RefSpec | undefined>,
  errors: FieldErrors,
): Promise<Partial<Record<F, ResolvedRef>>> {
  const problems = new FieldErrors();
  const decoded: [F, RefKind, number][] = [];
  for (const [field, spec] of Object.entries(specs) as [F, RefSpec | undefined][]) {
    if (spec === undefined) continue;
    const id = ctx.ids.decode(spec.kind, spec.value);
    if (id === null) problems.add(field, "malformed", `Not a ${spec.kind} id.`);
    else decoded.push([field, spec.kind, id]);
  }
  const found = new Map<string, number | null>();
  if (decoded.length > 0) {
    const kinds = [...new Set(decoded.map(([, kind]) => kind))];
    const selects = kinds.map((kind) => {
      const { table, owner } = refTables[kind];
      const ids = decoded.filter(([, k]) => k === kind).map(([, , id]) => id);
      return sql`SELECT ${kind}::text AS kind, id, ${sql.raw(owner)} AS brand_id
                   FROM ${sql.identifier(table)} WHERE id = ANY(${pgArray(ids)}::bigint[])`;
    });
    const rows = await ctx.db.execute<{
      kind: string;
      id: string | number;
      brand_id: string | number | null;
    }>(sql.join(selects, sql` UNION ALL `));
    for (const row of rows.rows)
      found.set(`${row.kind}:${Number(row.id)}`, row.brand_id === null ? null : Number(row.brand_id));
  }
  const resolved: Partial<Record<F, ResolvedRef>> = {};
  for (const [field, kind, id] of decoded) {
    const key = `${kind}:${id}`;
    if (!found.has(key)) problems.add(field, "not_found", `No such ${kind}.`);
    else resolved[field] = { id, brandId: found.get(key) ?? null };
  }
  const order: string[] = Object.keys(specs);
  problems.errors.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
  errors.errors.push(...problems.errors);
  return resolved;
}

/** {@link lookupRefs}, throwing ValidationFailed when any reference is bad. */
export async function resolveRefs<S extends Record<string, RefSpec | undefined>>(
  ctx: VerbContext,
  specs: S,
): Promise<{ [K in keyof S]: undefined extends S[K] ? ResolvedRef | undefined : ResolvedRef }> {
  const errors = new FieldErrors();
  const resolved = await lookupRefs(ctx, specs, errors);
  errors.throwIfAny();
  return resolved as { [K in keyof S]: undefined extends S[K] ? ResolvedRef | undefined : ResolvedRef };
}

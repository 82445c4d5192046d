import { and, asc, eq, gt, inArray } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { landings } from "../../db/schema/catalog.ts";
import { lookupRefs, type RefSpec } from "../catalog/catalog.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import { publishLandings } from "./edge-publish.ts";

export type Landing = typeof landings.$inferSelect;

/** Verbs that publish to KV after commit own their transaction: they get the database, never an open transaction. */
export interface PublishingContext extends VerbContext {
  db: Database;
  edgeConfig: KVNamespace;
}

export interface CreateLandingInput {
  name: string;
  /** Hash ids. */
  brand: string;
  theme: string;
  partner: string;
  product: string;
  fallbackUrl: string;
  active: boolean;
}

function checkProductBrand(errors: FieldErrors, productBrandId: number | null, brandId: number): void {
  if (productBrandId !== brandId)
    errors.add("product", "not_allowed", "The product belongs to another brand than the landing.");
}

/** Creates a landing and publishes its LandingDoc once the row is committed. */
export async function createLanding({
  ctx,
  input,
}: {
  ctx: PublishingContext;
  input: CreateLandingInput;
}): Promise<Landing> {
  const landing = await ctx.db.transaction(async (tx) => {
    const errors = new FieldErrors();
    const refs = await lookupRefs(
      { ...ctx, db: tx },
      {
        brand: { kind: "brand", value: input.brand },
        theme: { kind: "theme", value: input.theme },
        partner: { kind: "partner", value: input.partner },
        product: { kind: "product", value: input.product },
      },
      errors,
    );
    if (refs.brand && refs.product) checkProductBrand(errors, refs.product.brandId, refs.brand.id);
    errors.throwIfAny();
    const { brand, theme, partner, product } = refs;
    if (!brand || !theme || !partner || !product)
      throw new Error("references resolved without errors but missing");
    assertBrand(ctx.principal, brand.id);
    const [row] = await tx
      .insert(landings)
      .values({
        name: input.name,
        brandId: brand.id,
        themeId: theme.id,
        partnerId: partner.id,
        productId: product.id,
        fallbackUrl: input.fallbackUrl,
        active: input.active,
      })
      .returning();
    if (!row) throw new Error("landing insert returned no row");
    return row;
  });
  await publishLandings(ctx.db, ctx.edgeConfig, [landing.id]);
  return landing;
}

export interface UpdateLandingInput {
  id: number;
  name?: string | undefined;
  theme?: string | undefined;
  partner?: string | undefined;
  product?: string | undefined;
  fallbackUrl?: string | undefined;
  active?: boolean | undefined;
}

/** Changes a landing (its brand stays) and republishes its LandingDoc after commit. */
export async function updateLanding({
  ctx,
  input,
}: {
  ctx: PublishingContext;
  input: UpdateLandingInput;
}): Promise<Landing> {
  const landing = await ctx.db.transaction(async (tx) => {
    const [current] = await tx.select().from(landings).where(eq(landings.id, input.id)).for("update");
    if (!current) throw new NotFound("landing");
    assertBrand(ctx.principal, current.brandId);
    const specs: Record<"theme" | "partner" | "product", RefSpec | undefined> = {
      theme: input.theme === undefined ? undefined : { kind: "theme", value: input.theme },
      partner: input.partner === undefined ? undefined : { kind: "partner", value: input.partner },
      product: input.product === undefined ? undefined : { kind: "product", value: input.product },
    };
    const errors = new FieldErrors();
    const refs = await lookupRefs({ ...ctx, db: tx }, specs, errors);
    if (refs.product) checkProductBrand(errors, refs.product.brandId, current.brandId);
    errors.throwIfAny();
    const [row] = await tx
      .update(landings)
      .set({
        name: input.name,
        themeId: refs.theme?.id,
        partnerId: refs.partner?.id,
        productId: refs.product?.id,
        fallbackUrl: input.fallbackUrl,
        active: input.active,
        updatedAt: new Date(),
      })
      .where(eq(landings.id, input.id))
      .returning();
    if (!row) throw new NotFound("landing");
    return row;
  });
  await publishLandings(ctx.db, ctx.edgeConfig, [landing.id]);
  return landing;
}

export async function listLandings({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined };
}): Promise<Page<Landing>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const rows = await ctx.db
    .select()
    .from(landings)
    .where(
      and(
        input.after === null ? undefined : gt(landings.id, input.after),
        input.brandId === undefined ? undefined : eq(landings.brandId, input.brandId),
        scope === null ? undefined : inArray(landings.brandId, [...scope]),
      ),
    )
    .orderBy(asc(landings.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getLanding({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Landing> {
  const [row] = await ctx.db.select().from(landings).where(eq(landings.id, input.id));
  if (!row) throw new NotFound("landing");
  assertBrand(ctx.principal, row.brandId);
  return row;
}

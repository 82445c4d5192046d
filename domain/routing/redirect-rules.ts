import { and, asc, eq, gt, inArray, isNull, or } from "drizzle-orm";
import { redirectRules } from "../../db/schema/catalog.ts";
import { lookupRefs, type RefSpec } from "../catalog/catalog.ts";
import { type FieldError, type FieldErrorCategory, FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import type { RuleKnowledge } from "./edge-config.ts";
import { publishRules } from "./edge-publish.ts";
import type { PublishingContext } from "./landings.ts";
import { type TemplateProblemCode, validateTargetTemplate } from "./target-url.ts";

export type RedirectRule = typeof redirectRules.$inferSelect;

/** A rule dimension as the caller writes it: a hash id, or `*` for any. */
export const wildcard = "*";

const templateCategories: Record<TemplateProblemCode, FieldErrorCategory> = {
  empty: "missing",
  too_long: "too_long",
  forbidden_character: "malformed",
  unbalanced_brace: "malformed",
  unknown_placeholder: "not_allowed",
  not_absolute_http: "malformed",
  placeholder_in_origin: "not_allowed",
  credentials_in_url: "not_allowed",
  malformed_url: "malformed",
};

/** Every problem of a target URL template as field errors (none when it is valid). */
export function targetUrlErrors(field: string, template: string): FieldError[] {
  const validation = validateTargetTemplate(template);
  if (validation.ok) return [];
  return validation.problems.map((problem) => ({
    field,
    category: templateCategories[problem.code],
    message: problem.message,
  }));
}

type Dimension = "brand" | "theme" | "partner" | "product";

export interface RuleFields {
  /** Hash ids or `*`. */
  brand: string;
  theme: string;
  partner: string;
  product: string;
  knowledge: RuleKnowledge;
  priority: number;
  targetUrl: string;
  active: boolean;
}

interface ResolvedDimensions {
  brandId: number | null;
  themeId: number | null;
  partnerId: number | null;
  productId: number | null;
}

/** Decodes the given dimensions (`*` → null), checks targets and brand scope, and reports every bad field. */
async function resolveDimensions(
  ctx: VerbContext,
  input: Partial<Pick<RuleFields, Dimension | "targetUrl">>,
  current: ResolvedDimensions | null,
): Promise<ResolvedDimensions> {
  const spec = (kind: Dimension, value: string | undefined): RefSpec | undefined =>
    value === undefined || value === wildcard ? undefined : { kind, value };
  const errors = new FieldErrors();
  if (input.targetUrl !== undefined) errors.errors.push(...targetUrlErrors("target_url", input.targetUrl));
  const refs = await lookupRefs(
    ctx,
    {
      brand: spec("brand", input.brand),
      theme: spec("theme", input.theme),
      partner: spec("partner", input.partner),
      product: spec("product", input.product),
      // A new brand must still own the rule's product when the product stays.
      keptProduct:
        input.product === undefined && input.brand !== undefined && current?.productId
          ? { kind: "product", value: ctx.ids.encode("product", current.productId) }
          : undefined,
    },
    errors,
  );
  const pick = (dimension: Dimension, key: keyof ResolvedDimensions): number | null => {
    const value = input[dimension];
    if (value === undefined) return current ? current[key] : null;
    return value === wildcard ? null : (refs[dimension]?.id ?? null);
  };
  const resolved: ResolvedDimensions = {
    brandId: pick("brand", "brandId"),
    themeId: pick("theme", "themeId"),
    partnerId: pick("partner", "partnerId"),
    productId: pick("product", "productId"),
  };
  if (refs.product && resolved.brandId !== null && refs.product.brandId !== resolved.brandId) {
    errors.add("product", "not_allowed", "The product belongs to another brand than the rule.");
  }
  if (refs.keptProduct && resolved.brandId !== null && refs.keptProduct.brandId !== resolved.brandId) {
    errors.add(
      "brand",
      "not_allowed",
      "The rule's product belongs to another brand; change the product too.",
    );
  }
  errors.throwIfAny();
  return resolved;
}

export async function createRule({
  ctx,
  input,
}: {
  ctx: PublishingContext;
  input: RuleFields;
}): Promise<RedirectRule> {
  const rule = await ctx.db.transaction(async (tx) => {
    const dims = await resolveDimensions({ ...ctx, db: tx }, input, null);
    assertBrand(ctx.principal, dims.brandId);
    const [row] = await tx
      .insert(redirectRules)
      .values({
        ...dims,
        knowledge: input.knowledge,
        priority: input.priority,
        targetUrl: input.targetUrl,
        active: input.active,
      })
      .returning();
    if (!row) throw new Error("rule insert returned no row");
    return row;
  });
  await publishRules(ctx.db, ctx.edgeConfig);
  return rule;
}

export async function updateRule({
  ctx,
  input,
}: {
  ctx: PublishingContext;
  input: { id: number } & Partial<RuleFields>;
}): Promise<RedirectRule> {
  const rule = await ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(redirectRules)
      .where(eq(redirectRules.id, input.id))
      .for("update");
    if (!current) throw new NotFound("rule");
    assertBrand(ctx.principal, current.brandId);
    const dims = await resolveDimensions({ ...ctx, db: tx }, input, current);
    assertBrand(ctx.principal, dims.brandId);
    const [row] = await tx
      .update(redirectRules)
      .set({
        ...dims,
        knowledge: input.knowledge,
        priority: input.priority,
        targetUrl: input.targetUrl,
        active: input.active,
        updatedAt: new Date(),
      })
      .where(eq(redirectRules.id, input.id))
      .returning();
    if (!row) throw new NotFound("rule");
    return row;
  });
  await publishRules(ctx.db, ctx.edgeConfig);
  return rule;
}

/** Deletes a rule (captures that used it keep their history; their rule reference becomes null). */
export async function deleteRule({
  ctx,
  input,
}: {
  ctx: PublishingContext;
  input: { id: number };
}): Promise<RedirectRule> {
  const rule = await ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(redirectRules)
      .where(eq(redirectRules.id, input.id))
      .for("update");
    if (!current) throw new NotFound("rule");
    assertBrand(ctx.principal, current.brandId);
    await tx.delete(redirectRules).where(eq(redirectRules.id, input.id));
    return current;
  });
  await publishRules(ctx.db, ctx.edgeConfig);
  return rule;
}

/** A scoped caller sees its brands' rules and the rules for every brand (which apply to its landings too). */
export async function listRules({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined };
}): Promise<Page<RedirectRule>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const rows = await ctx.db
    .select()
    .from(redirectRules)
    .where(
      and(
        input.after === null ? undefined : gt(redirectRules.id, input.after),
        input.brandId === undefined ? undefined : eq(redirectRules.brandId, input.brandId),
        scope === null
          ? undefined
          : or(isNull(redirectRules.brandId), inArray(redirectRules.brandId, [...scope])),
      ),
    )
    .orderBy(asc(redirectRules.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getRule({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<RedirectRule> {
  const [row] = await ctx.db.select().from(redirectRules).where(eq(redirectRules.id, input.id));
  if (!row) throw new NotFound("rule");
  // Rules for every brand are visible to every key; changing them needs an unscoped key.
  if (row.brandId !== null) assertBrand(ctx.principal, row.brandId);
  return row;
}

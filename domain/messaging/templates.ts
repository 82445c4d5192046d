import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { messageTemplates } from "../../db/schema/messaging.ts";
import { Conflict, NotFound, ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import type { MessageClass } from "./channels.ts";
import type { TemplateStatus } from "./compliance.ts";

/**
 * Kakao templates (AlimTalk, templated brand messages) as registered with the provider, with Kakao's review
 * state: the gate sends an AlimTalk only on an `approved` informational template.
 */
export type MessageTemplateRow = typeof messageTemplates.$inferSelect;
export const templateChannels = ["alimtalk", "brand_message"] as const;
export type TemplateChannel = (typeof templateChannels)[number];

export interface CreateTemplateInput {
  brandId: number;
  channel: TemplateChannel;
  code: string;
  name: string;
  class: MessageClass;
  status: TemplateStatus;
  text: string;
  variables: string[];
}

const taken = (code: string) =>
  new Conflict(`The brand already has a template "${code}".`, [
    { field: "code", category: "conflict", message: `"${code}" is already a template of this brand.` },
  ]);

/** Every `#{name}` of the text must be a declared variable, so a template never goes out half filled. */
function variableErrors(text: string, variables: readonly string[]): ValidationFailed | null {
  const declared = new Set(variables);
  const missing = [...text.matchAll(/#\{([^}]+)\}/g)]
    .map((m) => m[1] ?? "")
    .filter((name) => !declared.has(name));
  return missing.length === 0
    ? null
    : new ValidationFailed([
        {
          field: "variables",
          category: "missing",
          message: `The text uses ${[...new Set(missing)].map((name) => `#{${name}}`).join(", ")}, not declared.`,
        },
      ]);
}

export async function createTemplate({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateTemplateInput;
}): Promise<MessageTemplateRow> {
  assertBrand(ctx.principal, input.brandId);
  const invalid = variableErrors(input.text, input.variables);
  if (invalid) throw invalid;
  return withTransaction(ctx.db, async (tx) => {
    const found = await tx.execute<{ brand: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM brands WHERE id = ${input.brandId}) AS brand`,
    );
    if (!found.rows[0]?.brand)
      throw new ValidationFailed([{ field: "brand", category: "not_found", message: "No such brand." }]);
    const [row] = await tx
      .insert(messageTemplates)
      .values({ ...input })
      .onConflictDoNothing({ target: [messageTemplates.brandId, messageTemplates.code] })
      .returning();
    if (!row) throw taken(input.code);
    return row;
  });
}

export async function getTemplate({ ctx, input }: { ctx: VerbContext; input: { id: number } }) {
  const [row] = await ctx.db.select().from(messageTemplates).where(eq(messageTemplates.id, input.id));
  if (!row) throw new NotFound("message template");
  assertBrand(ctx.principal, row.brandId);
  return row;
}

export async function listTemplates({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId: number | null };
}): Promise<Page<MessageTemplateRow>> {
  if (input.brandId !== null) assertBrand(ctx.principal, input.brandId);
  const brands = input.brandId !== null ? [input.brandId] : ctx.principal.brandIds;
  const rows = await ctx.db
    .select()
    .from(messageTemplates)
    .where(
      and(
        brands === null
          ? undefined
          : inArray(messageTemplates.brandId, brands.length > 0 ? [...brands] : [-1]),
        input.after === null ? undefined : gt(messageTemplates.id, input.after),
      ),
    )
    .orderBy(asc(messageTemplates.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export interface UpdateTemplateInput {
  id: number;
  name?: string | undefined;
  class?: MessageClass | undefined;
  status?: TemplateStatus | undefined;
  text?: string | undefined;
  variables?: string[] | undefined;
}

/** Changes a template's name, class, review state, text or variables; brand, channel and code stay. */
export async function updateTemplate({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateTemplateInput;
}): Promise<MessageTemplateRow> {
  return withTransaction(ctx.db, async (tx) => {
    const [current] = await tx
      .select()
      .from(messageTemplates)
      .where(eq(messageTemplates.id, input.id))
      .for("update");
    if (!current) throw new NotFound("message template");
    assertBrand(ctx.principal, current.brandId);
    const text = input.text ?? current.text;
    const variables =
      input.variables ?? (Array.isArray(current.variables) ? current.variables.map(String) : []);
    const invalid = variableErrors(text, variables);
    if (invalid) throw invalid;
    const [row] = await tx
      .update(messageTemplates)
      .set({
        name: input.name,
        class: input.class,
        status: input.status,
        text: input.text,
        variables: input.variables,
        updatedAt: sql`now()`,
      })
      .where(eq(messageTemplates.id, input.id))
      .returning();
    if (!row) throw new NotFound("message template");
    return row;
  });
}

import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { relayJobs, relayTargets } from "../../db/schema/relay.ts";
import { resolveRefs } from "../catalog/catalog.ts";
import { Conflict, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";

export type RelayTarget = typeof relayTargets.$inferSelect;

/**
 * Lead values a buyer's field mapping may name: what stage 10 resolves for every capture
 * (queues/capture/stages/10-relay-dispatch.ts `leadValues`) — the form fields the pipeline
 * validates, the computed identity and request values, and the marketing parameters.
 */
export const leadValueNames = [
  "email",
  "email_normalised",
  "email_sha256",
  "email_md5",
  "first_name",
  "last_name",
  "name",
  "phone",
  "birth_year",
  "age",
  "country",
  "capture_id",
  "received_at",
  "ip",
  "user_agent",
  "geo_country",
  "geo_region",
  "geo_city",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "fbclid",
  "ttclid",
  "msclkid",
  "click_id",
  "transaction_id",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
  "referrer",
] as const;

/** Events a lead buyer can receive: sales and refunds are the partners' (postbacks), not the buyers'. */
export const relayTargetEvents = ["lead_accepted", "lead_restored"] as const;
export type RelayTargetEvent = (typeof relayTargetEvents)[number];

export interface RelayTargetSettings {
  name: string;
  url: string;
  method: "get" | "post";
  contentType: "json" | "form";
  headers: Record<string, string>;
  signingSecret: string | null;
  fieldMapping: Record<string, string>;
  events: RelayTargetEvent[];
  delaySeconds: number;
  active: boolean;
}

export interface CreateRelayTargetInput extends RelayTargetSettings {
  /** Brand hash id. */
  brand: string;
}

export async function createRelayTarget({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateRelayTargetInput;
}): Promise<RelayTarget> {
  return withTransaction(ctx.db, async (tx) => {
    const refs = await resolveRefs({ ...ctx, db: tx }, { brand: { kind: "brand", value: input.brand } });
    assertBrand(ctx.principal, refs.brand.id);
    const { brand: _, ...settings } = input;
    const [row] = await tx
      .insert(relayTargets)
      .values({ ...settings, brandId: refs.brand.id })
      .returning();
    if (!row) throw new Error("relay target insert returned no row");
    return row;
  });
}

export async function listRelayTargets({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined };
}): Promise<Page<RelayTarget>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const rows = await ctx.db
    .select()
    .from(relayTargets)
    .where(
      and(
        input.after === null ? undefined : gt(relayTargets.id, input.after),
        input.brandId === undefined ? undefined : eq(relayTargets.brandId, input.brandId),
        scope === null ? undefined : inArray(relayTargets.brandId, [...scope]),
      ),
    )
    .orderBy(asc(relayTargets.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getRelayTarget({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<RelayTarget> {
  const [row] = await ctx.db.select().from(relayTargets).where(eq(relayTargets.id, input.id));
  if (!row) throw new NotFound("relay target");
  assertBrand(ctx.principal, row.brandId);
  return row;
}

/** Fields to change; `undefined` leaves one as it is (the brand stays). */
export type UpdateRelayTargetInput = { id: number } & Partial<RelayTargetSettings>;

export async function updateRelayTarget({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateRelayTargetInput;
}): Promise<RelayTarget> {
  return withTransaction(ctx.db, async (tx) => {
    const [current] = await tx.select().from(relayTargets).where(eq(relayTargets.id, input.id)).for("update");
    if (!current) throw new NotFound("relay target");
    assertBrand(ctx.principal, current.brandId);
    const { id, ...changes } = input;
    if (Object.values(changes).every((value) => value === undefined)) return current;
    const [row] = await tx.update(relayTargets).set(changes).where(eq(relayTargets.id, id)).returning();
    if (!row) throw new NotFound("relay target");
    return row;
  });
}

/**
 * Deletes a buyer that never had a relay job. One with jobs keeps them as history (their attempts
 * name it), so it is refused with 409: deactivate it instead (`active: false` stops new relays).
 */
export async function deleteRelayTarget({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<RelayTarget> {
  return withTransaction(ctx.db, async (tx) => {
    const [current] = await tx.select().from(relayTargets).where(eq(relayTargets.id, input.id)).for("update");
    if (!current) throw new NotFound("relay target");
    assertBrand(ctx.principal, current.brandId);
    const [deleted] = await tx
      .delete(relayTargets)
      .where(
        and(
          eq(relayTargets.id, input.id),
          sql`NOT EXISTS (SELECT 1 FROM ${relayJobs} WHERE ${relayJobs.relayTargetId} = ${input.id})`,
        ),
      )
      .returning();
    if (!deleted)
      throw new Conflict(
        "This relay target has relay jobs, kept as history; set `active: false` to stop relaying to it.",
      );
    return deleted;
  });
}

import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { orders, stores } from "../../db/schema/sales.ts";
import { sqlState, uniqueViolation, violatedConstraint } from "../../db/sql-state.ts";
import { Conflict, FieldErrors, NotFound, ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";

export type Store = typeof stores.$inferSelect;

export interface CreateStoreInput {
  /** Brand hash id. */
  brand: string;
  /** Market hash id. */
  market: string;
  platform: string;
  externalRef: string;
  name: string;
}

/**
 * Registers a platform shop for a brand and market, so that the shop's webhooks and orders land in
 * them. The brand's scope is checked as soon as its id decodes, before any lookup: a key for other
 * brands learns nothing about this one. (platform, external_ref) is unique across brands.
 */
export async function createStore({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateStoreInput;
}): Promise<Store> {
  const errors = new FieldErrors();
  const brandId = ctx.ids.decode("brand", input.brand);
  const marketId = ctx.ids.decode("market", input.market);
  if (brandId === null) errors.add("brand", "malformed", "Not a brand id.");
  if (marketId === null) errors.add("market", "malformed", "Not a market id.");
  if (brandId !== null) assertBrand(ctx.principal, brandId);
  if (brandId === null || marketId === null) throw new ValidationFailed(errors.errors);

  return withTransaction(ctx.db, async (tx) => {
    const found = await tx.execute<{ brand: boolean; market: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM brands WHERE id = ${brandId}) AS brand,
                 EXISTS (SELECT 1 FROM markets WHERE id = ${marketId}) AS market`,
    );
    const exists = found.rows[0];
    if (!exists?.brand) errors.add("brand", "not_found", "No such brand.");
    if (!exists?.market) errors.add("market", "not_found", "No such market.");
    errors.throwIfAny();

    const [row] = await tx
      .insert(stores)
      .values({
        brandId,
        marketId,
        platform: input.platform,
        externalRef: input.externalRef,
        name: input.name,
      })
      .onConflictDoNothing({ target: [stores.platform, stores.externalRef] })
      .returning();
    if (!row) throw registered(input.platform, input.externalRef);
    return row;
  });
}

/** 409 naming `external_ref`: (platform, external_ref) belongs to another store. */
function registered(platform: string, externalRef: string): Conflict {
  return new Conflict(`A ${platform} store "${externalRef}" is already registered.`, [
    {
      field: "external_ref",
      category: "conflict",
      message: `"${externalRef}" is already registered on ${platform}.`,
    },
  ]);
}

export interface UpdateStoreInput {
  id: number;
  /** Market hash id: where the shop's orders go from now on (stored orders stay where they are). */
  market?: string | undefined;
  externalRef?: string | undefined;
  name?: string | undefined;
}

/**
 * Changes a store's market, shop id or name (brand and platform stay: another brand's shop is another
 * store). Orders already ingested keep their market and account; the next webhook uses the new values.
 */
export async function updateStore({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateStoreInput;
}): Promise<Store> {
  const marketId = input.market === undefined ? undefined : ctx.ids.decode("market", input.market);
  if (marketId === null)
    throw new ValidationFailed([{ field: "market", category: "malformed", message: "Not a market id." }]);
  let current: Store | undefined;
  try {
    return await withTransaction(ctx.db, async (tx) => {
      current = await lockStore(tx, ctx, input.id);
      if (marketId !== undefined) {
        const found = await tx.execute<{ market: boolean }>(
          sql`SELECT EXISTS (SELECT 1 FROM markets WHERE id = ${marketId}) AS market`,
        );
        if (!found.rows[0]?.market)
          throw new ValidationFailed([
            { field: "market", category: "not_found", message: "No such market." },
          ]);
      }
      const [row] = await tx
        .update(stores)
        .set({ marketId, externalRef: input.externalRef, name: input.name })
        .where(eq(stores.id, input.id))
        .returning();
      if (!row) throw new NotFound("store");
      return row;
    });
  } catch (error) {
    if (
      current &&
      input.externalRef !== undefined &&
      sqlState(error) === uniqueViolation &&
      violatedConstraint(error) === "stores_platform_ref_key"
    )
      throw registered(current.platform, input.externalRef);
    throw error;
  }
}

/** The store, locked for the transaction: 404 when there is none, 403 for another brand's. */
async function lockStore(tx: Executor, ctx: VerbContext, id: number): Promise<Store> {
  const [row] = await tx.select().from(stores).where(eq(stores.id, id)).for("update");
  if (!row) throw new NotFound("store");
  assertBrand(ctx.principal, row.brandId);
  return row;
}

/**
 * Deletes a store no order came through. One with orders stays (they name it): 409. Its shop's webhooks
 * are answered 404 once it is gone, as for a shop never registered.
 */
export async function deleteStore({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Store> {
  return withTransaction(ctx.db, async (tx) => {
    await lockStore(tx, ctx, input.id);
    const [deleted] = await tx
      .delete(stores)
      .where(
        and(
          eq(stores.id, input.id),
          sql`NOT EXISTS (SELECT 1 FROM ${orders} WHERE ${orders.storeId} = ${input.id})`,
          // Its stored commerce events name it too (db/schema/commerce.ts).
          sql`NOT EXISTS (SELECT 1 FROM commerce_events WHERE store_id = ${input.id})`,
          // And the abandoned carts the seed writes without an event (db/schema/catalog-events.ts).
          sql`NOT EXISTS (SELECT 1 FROM abandoned_carts WHERE store_id = ${input.id})`,
        ),
      )
      .returning();
    if (!deleted)
      throw new Conflict(
        "Orders or commerce events came through this store and name it; it cannot be deleted. Change its shop id or market instead.",
      );
    return deleted;
  });
}

export interface ListStoresInput extends PageInput {
  brandId?: number | undefined;
  marketId?: number | undefined;
  platform?: string | undefined;
}

/** A scoped key sees only its brands' stores; asking for another brand's is a 403. */
export async function listStores({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ListStoresInput;
}): Promise<Page<Store>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const rows = await ctx.db
    .select()
    .from(stores)
    .where(
      and(
        input.after === null ? undefined : gt(stores.id, input.after),
        input.brandId === undefined ? undefined : eq(stores.brandId, input.brandId),
        input.marketId === undefined ? undefined : eq(stores.marketId, input.marketId),
        input.platform === undefined ? undefined : eq(stores.platform, input.platform),
        scope === null ? undefined : inArray(stores.brandId, [...scope]),
      ),
    )
    .orderBy(asc(stores.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getStore({ ctx, input }: { ctx: VerbContext; input: { id: number } }): Promise<Store> {
  const [row] = await ctx.db.select().from(stores).where(eq(stores.id, input.id));
  if (!row) throw new NotFound("store");
  assertBrand(ctx.principal, row.brandId);
  return row;
}

/**
 * The store a platform's shop id names, or `null`: how webhooks and adapters find the brand and market
 * of an order. No caller scope: the webhook's signature is its authentication.
 */
export async function findStoreByRef(
  db: Executor,
  platform: string,
  externalRef: string,
): Promise<Store | null> {
  const [row] = await db
    .select()
    .from(stores)
    .where(and(eq(stores.platform, platform), eq(stores.externalRef, externalRef)));
  return row ?? null;
}

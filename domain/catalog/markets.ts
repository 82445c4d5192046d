import { and, asc, eq, gt } from "drizzle-orm";
import { markets } from "../../db/schema/sales.ts";
import { foreignKeyViolation, sqlState } from "../../db/sql-state.ts";
import { iso3166Alpha2 } from "../core/countries.ts";
import { Conflict, NotFound } from "../core/errors.ts";
import { assertUnscoped } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";

export type Market = typeof markets.$inferSelect;

// An IANA zone name (`Asia/Seoul`, `America/Argentina/Buenos_Aires`, `UTC`, `Etc/GMT+9`): Intl also
// accepts offsets such as `+09:00`, which have no daylight-saving rules and are not a market's zone.
const zoneName = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;

/**
 * The zone as it should be stored, or `null` when the runtime does not know it. The runtime's spelling
 * is used only to fix letter case (`asia/seoul` → `Asia/Seoul`): its canonical name differs between ICU
 * versions (`Asia/Kolkata` may come back as `Asia/Calcutta`), so a valid name is otherwise kept as sent.
 */
export function normaliseTimeZone(value: string): string | null {
  if (!zoneName.test(value)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
}

let currencies: ReadonlySet<string> | undefined;

/** An ISO 4217 code the runtime knows (current currencies; not `XXX` or withdrawn codes). */
export function isKnownCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf("currency"));
  return currencies.has(code);
}

export const isKnownCountry = (code: string): boolean => iso3166Alpha2.has(code);

export interface CreateMarketInput {
  code: string;
  name: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** ISO 4217, upper case. */
  currency: string;
  /** IANA zone, already normalised ({@link normaliseTimeZone}). */
  timeZone: string;
}

/** Markets are shared by every brand, so only a key for all brands may add one. */
export async function createMarket({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateMarketInput;
}): Promise<Market> {
  assertUnscoped(ctx.principal);
  return withTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .insert(markets)
      .values({
        code: input.code,
        name: input.name,
        country: input.country,
        currency: input.currency,
        timeZone: input.timeZone,
      })
      .onConflictDoNothing({ target: markets.code })
      .returning();
    if (!row)
      throw new Conflict(`The market code "${input.code}" is already taken.`, [
        { field: "code", category: "conflict", message: `"${input.code}" is already taken.` },
      ]);
    return row;
  });
}

/** Every key may read markets: a brand's key needs them to register its stores. */
export async function listMarkets({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { code?: string | undefined };
}): Promise<Page<Market>> {
  const rows = await ctx.db
    .select()
    .from(markets)
    .where(
      and(
        input.after === null ? undefined : gt(markets.id, input.after),
        input.code === undefined ? undefined : eq(markets.code, input.code),
      ),
    )
    .orderBy(asc(markets.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

export async function getMarket({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Market> {
  const [row] = await ctx.db.select().from(markets).where(eq(markets.id, input.id));
  if (!row) throw new NotFound("market");
  return row;
}

export interface UpdateMarketInput {
  id: number;
  name?: string | undefined;
  /** IANA zone, already normalised ({@link normaliseTimeZone}). */
  timeZone?: string | undefined;
}

/**
 * Renames a market or corrects its time zone (a key for all brands only). Code, country and currency
 * stay: orders name the market by its code, and its accounts hold money in its currency.
 */
export async function updateMarket({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateMarketInput;
}): Promise<Market> {
  assertUnscoped(ctx.principal);
  if (input.name === undefined && input.timeZone === undefined) return getMarket({ ctx, input });
  const [row] = await ctx.db
    .update(markets)
    .set({ name: input.name, timeZone: input.timeZone })
    .where(eq(markets.id, input.id))
    .returning();
  if (!row) throw new NotFound("market");
  return row;
}

/**
 * Deletes a market nothing names yet (a key for all brands only): one made by mistake. A market a store,
 * an account, an order or a product offer names stays, and so does everything recorded in its currency:
 * 409. The database's foreign keys decide, so a store registered at the same moment cannot slip past.
 */
export async function deleteMarket({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<Market> {
  assertUnscoped(ctx.principal);
  let row: Market | undefined;
  try {
    [row] = await ctx.db.delete(markets).where(eq(markets.id, input.id)).returning();
  } catch (error) {
    if (sqlState(error) === foreignKeyViolation)
      throw new Conflict(
        "Stores, accounts or orders name this market; it cannot be deleted. Rename it instead.",
      );
    throw error;
  }
  if (!row) throw new NotFound("market");
  return row;
}

import { sql } from "drizzle-orm";
import { pgArray } from "../../db/sql.ts";
import type { Principal } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";

export interface DashboardBrand {
  id: number;
  name: string;
  slug: string;
}

/** The most brands the picker lists: an operator's key is for a handful, an admin's for the whole catalog. */
const maxBrands = 500;

/** The brands a key may see, by name: its own brands, or every brand for a key without a brand list. */
export async function visibleBrands(ctx: Pick<VerbContext, "db" | "principal">): Promise<DashboardBrand[]> {
  const scope = ctx.principal.brandIds;
  const where = scope === null ? sql`TRUE` : sql`b.id = ANY(${pgArray([...scope])}::bigint[])`;
  const result = await ctx.db.execute<{ id: number | string; name: string; slug: string }>(sql`
    SELECT b.id, b.name, b.slug FROM brands b WHERE ${where} ORDER BY b.name, b.id LIMIT ${maxBrands}`);
  return result.rows.map((row) => ({ id: Number(row.id), name: row.name, slug: row.slug }));
}

/** The principal of a key by its id (what a dashboard session holds), or null when unknown or revoked. */
export async function activePrincipal(
  ctx: Pick<VerbContext, "db">,
  apiKeyId: number,
): Promise<Principal | null> {
  const result = await ctx.db.execute<{
    id: number | string;
    brand_ids: (number | string)[] | null;
    is_admin: boolean;
  }>(sql`SELECT id, brand_ids, is_admin FROM api_keys WHERE id = ${apiKeyId} AND revoked_at IS NULL`);
  const row = result.rows[0];
  if (!row) return null;
  return {
    apiKeyId: Number(row.id),
    brandIds: row.brand_ids === null ? null : row.brand_ids.map(Number),
    isAdmin: row.is_admin,
  };
}

import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { Page, PageInput } from "../core/verb.ts";

/** One member as the API shows it: who, where, and the totals a definition looks at. */
export interface CohortMember {
  accountId: number;
  brandId: number;
  marketId: number;
  marketCode: string;
  country: string;
  email: string;
  currency: string;
  /** invoiced − credited, minor units of `currency`. */
  totalSpent: number;
  orderCount: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
}

/**
 * A jsonb array of the members whose account ids `ids` selects (a relation with one column `id`, at most
 * one page of it), in account order: a scalar expression to put in a statement's select list.
 */
export function memberJsonArray(ids: SQL): SQL {
  return sql`COALESCE((
    SELECT jsonb_agg(jsonb_build_object(
             'id', a.id, 'brand_id', a.brand_id, 'market_id', a.market_id, 'market_code', m.code,
             'country', m.country, 'email', e.address, 'currency', a.currency,
             'total_spent', a.invoiced - a.credited, 'order_count', a.order_count,
             'first_order_at', a.first_order_at, 'last_order_at', a.last_order_at) ORDER BY a.id)
      FROM (${ids}) page
      JOIN brand_client_accounts a ON a.id = page.id
      JOIN markets m ON m.id = a.market_id
      JOIN emails e ON e.id = a.email_id), '[]'::jsonb)`;
}

const dateOrNull = (value: unknown): Date | null => (typeof value === "string" ? new Date(value) : null);

/** The members of a {@link memberJsonArray}. */
export function toMembers(value: unknown): CohortMember[] {
  const rows = (Array.isArray(value) ? value : []) as Record<string, unknown>[];
  return rows.map((member) => ({
    accountId: Number(member.id),
    brandId: Number(member.brand_id),
    marketId: Number(member.market_id),
    marketCode: String(member.market_code),
    country: String(member.country),
    email: String(member.email),
    currency: String(member.currency),
    totalSpent: Number(member.total_spent),
    orderCount: Number(member.order_count),
    firstOrderAt: dateOrNull(member.first_order_at),
    lastOrderAt: dateOrNull(member.last_order_at),
  }));
}

/**
 * One keyset page of members. `ids(after, limit)` selects the account ids of the page (`id` column, in id
 * order, after `after`, at most `limit`); one more than the page is fetched to know whether there is more.
 */
export async function memberPage(
  db: Pick<Executor, "execute">,
  page: PageInput,
  ids: (after: number, limit: number) => SQL,
): Promise<Page<CohortMember>> {
  const result = await db.execute<{ members: unknown }>(
    sql`SELECT ${memberJsonArray(ids(page.after ?? 0, page.limit + 1))} AS members`,
  );
  const rows = toMembers(result.rows[0]?.members);
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > page.limit && last ? last.accountId : null };
}

/** Every page of members from `after` on, `pageSize` at a time: an export that never holds more than a page. */
export async function* memberPages(
  db: Pick<Executor, "execute">,
  pageSize: number,
  after: number | null,
  ids: (after: number, limit: number) => SQL,
): AsyncGenerator<CohortMember[]> {
  let next = after;
  for (;;) {
    const page = await memberPage(db, { limit: pageSize, after: next }, ids);
    if (page.items.length > 0) yield page.items;
    if (page.nextAfter === null) return;
    next = page.nextAfter;
  }
}

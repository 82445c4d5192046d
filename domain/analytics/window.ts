import { type SQL, sql } from "drizzle-orm";
import { FieldErrors } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";

/**
 * What every analysis is asked for: one brand, an optional half-open range [from, to), and the instant
 * the figures are as of. What the range bounds depends on the analysis (the orders counted, or the
 * customers acquired); `asOf` always bounds the orders seen (placed before it).
 */
export interface AnalyticsWindow {
  brandId: number;
  from?: Date | undefined;
  to?: Date | undefined;
  asOf: Date;
}

/**
 * The caller may read this brand (403 otherwise) and the range is a range (422 `to` otherwise). Nothing
 * is read: a brand that does not exist has no orders, so its figures are empty.
 */
export function checkWindow(ctx: VerbContext, window: AnalyticsWindow): void {
  assertBrand(ctx.principal, window.brandId);
  if (window.from !== undefined && window.to !== undefined && window.to <= window.from) {
    const errors = new FieldErrors();
    errors.add("to", "out_of_range", "Must be after `from`.");
    errors.throwIfAny();
  }
}

const iso = (instant: Date): string => instant.toISOString();

/** `expr` (a timestamptz) within [from, to); `true` without a range. */
export function inRange(expr: string, window: AnalyticsWindow): SQL {
  const parts: SQL[] = [];
  if (window.from !== undefined) parts.push(sql`${sql.raw(expr)} >= ${iso(window.from)}::timestamptz`);
  if (window.to !== undefined) parts.push(sql`${sql.raw(expr)} < ${iso(window.to)}::timestamptz`);
  return parts.length === 0 ? sql`true` : sql.join(parts, sql` AND `);
}

/** The UTC calendar month of a timestamptz `expr` as year × 12 + month − 1 (figures.ts utcMonthIndex). */
export const monthIndexSql = (expr: string): SQL =>
  sql.raw(
    `(extract(year FROM ${expr} AT TIME ZONE 'UTC')::int * 12 + extract(month FROM ${expr} AT TIME ZONE 'UTC')::int - 1)`,
  );

/**
 * The counted orders of the window's brand, as the `o` relation of a statement: every order placed
 * before `asOf` that was never cancelled (a cancellation credits the whole order), with
 * - `net`: total − credited_total, what it was invoiced net of its credit notes (refunds are counted on
 *   the order they credited, whenever they were made);
 * - `first_at`: the placed time of the account's first counted order (its acquisition);
 * - `seq`: the order's place among the account's counted orders (placed time, then id), 1 for the first;
 * - with `months`, `month` (the UTC month index of its placed time, {@link monthIndexSql}) and
 *   `first_month` (that of the account's first order), computed once per order.
 * One index range scan of `orders_brand_placed_idx` and one sort by account; the range (`from`, `to`)
 * is applied by the caller, after the window, since an account's first order may lie before it.
 */
export function countedOrders(window: AnalyticsWindow, options: { months?: boolean } = {}): SQL {
  const months = options.months === true;
  return sql`
    SELECT x.*, first_value(x.placed_at) OVER w AS first_at, row_number() OVER w AS seq
           ${months ? sql`, first_value(x.month) OVER w AS first_month` : sql``}
      FROM (
        SELECT o.id, o.account_id, o.currency, o.placed_at, o.total, o.credited_total, o.discount_total,
               o.campaign_id, o.total - o.credited_total AS net
               ${months ? sql`, ${monthIndexSql("o.placed_at")} AS month` : sql``}
          FROM orders o
         WHERE o.brand_id = ${window.brandId}
           AND o.placed_at < ${iso(window.asOf)}::timestamptz
           AND o.cancelled_at IS NULL
      ) x
    WINDOW w AS (PARTITION BY x.account_id ORDER BY x.placed_at, x.id)`;
}

/** A result row as the driver returns it. */
export type Row = Record<string, unknown>;

export async function rowsOf(ctx: VerbContext, statement: SQL): Promise<Row[]> {
  const result = await ctx.db.execute<Row>(statement);
  return result.rows;
}

export const text = (value: unknown): string => String(value);
export const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

import { sql } from "drizzle-orm";
import type { RfmSegment } from "../../db/schema/rfm.ts";
import { ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { rfmCells } from "./scores.ts";

export interface HeatmapCell {
  r: number;
  f: number;
  segment: RfmSegment;
  /** Scored accounts in the cell. */
  count: number;
  /** `count` / the grid's scored accounts (0 when there are none). */
  share: number;
  /** Σ of the cell's monetary values, minor units. */
  monetary: number;
  /** `monetary` / `count` in minor units, rounded half away from zero; null for an empty cell. */
  avgMonetary: number | null;
}

export interface Heatmap {
  brandId: number;
  /** The grid's currency; null when the brand has no scored account (and none was asked for). */
  currency: string | null;
  /** The run date of the scores; null when nothing is scored. */
  asOf: string | null;
  /** When the newest of its cells was written. */
  computedAt: Date | null;
  /** Scored accounts of the brand in `currency`. */
  accounts: number;
  /** All 25 cells, R then F ascending. */
  cells: HeatmapCell[];
}

/** The brand's scored accounts are in several currencies and none was named: money is never mixed. */
export interface CurrencyRequired {
  currencyRequired: string[];
}

type CellRow = {
  currency: string;
  r: number;
  f: number;
  as_of: string;
  accounts: number | string;
  monetary: number | string;
  avg_monetary: number | string;
  computed_at: string | Date;
};
type NullableCells = { [K in keyof CellRow]: CellRow[K] | null };

/**
 * The R×F heatmap of a brand (SPEC §11) from the stored aggregate `rfm_cells` (at most 25 rows read, whatever
 * the number of accounts): every cell, empty ones too, with its segment, count, share of the brand's scored
 * accounts in the currency, and average monetary. Scores are per currency, so a brand with scored accounts
 * in more than one needs `currency`; without it the answer says which currencies there are.
 */
export async function rfmHeatmap({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number; currency?: string | undefined };
}): Promise<Heatmap | CurrencyRequired> {
  assertBrand(ctx.principal, input.brandId);
  // One row per stored cell, or one row of nulls (but the brand) when none; no row's brand: no such brand.
  const result = await ctx.db.execute<NullableCells & { brand: number | null }>(sql`
    SELECT b.id AS brand, c.currency, c.r, c.f, c.as_of::text AS as_of, c.accounts, c.monetary,
           -- numeric round(): half away from zero, in minor units.
           round(c.monetary::numeric / c.accounts) AS avg_monetary, c.computed_at
      FROM (SELECT ${input.brandId}::bigint AS id) q
      LEFT JOIN brands b ON b.id = q.id
      LEFT JOIN rfm_cells c ON c.brand_id = b.id
             AND (${input.currency ?? null}::char(3) IS NULL OR c.currency = ${input.currency ?? null}::char(3))`);
  if (result.rows[0]?.brand === null || result.rows[0]?.brand === undefined)
    throw new ValidationFailed([{ field: "brand", category: "not_found", message: "No such brand." }]);
  const rows = result.rows.filter((row): row is CellRow & { brand: number } => row.currency !== null);
  const currencies = [...new Set(rows.map((row) => row.currency))].sort();
  if (input.currency === undefined && currencies.length > 1) return { currencyRequired: currencies };
  const accounts = rows.reduce((sum, row) => sum + Number(row.accounts), 0);
  const byCell = new Map(rows.map((row) => [`${row.r}:${row.f}`, row]));
  const newest = rows.reduce<Date | null>((latest, row) => {
    const at = new Date(row.computed_at);
    return latest === null || at > latest ? at : latest;
  }, null);
  return {
    brandId: input.brandId,
    currency: input.currency ?? currencies[0] ?? null,
    asOf: rows.reduce<string | null>(
      (latest, row) => (latest === null || row.as_of > latest ? row.as_of : latest),
      null,
    ),
    computedAt: newest,
    accounts,
    cells: rfmCells.map(({ r, f, segment }) => {
      const row = byCell.get(`${r}:${f}`);
      const count = row ? Number(row.accounts) : 0;
      return {
        r,
        f,
        segment,
        count,
        share: accounts === 0 ? 0 : count / accounts,
        monetary: row ? Number(row.monetary) : 0,
        avgMonetary: row ? Number(row.avg_monetary) : null,
      };
    }),
  };
}

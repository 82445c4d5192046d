import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { pgArray } from "../../db/sql.ts";
import { ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { frequencyBounds, monetaryBounds } from "./scatter.ts";
import { rfmSegmentGrid } from "./scores.ts";

/**
 * The RFM recompute (SPEC §11), set-based: one statement scores every account of the given brands as of a
 * run date and replaces those brands' rows of `account_rfm`, of the heatmap aggregate `rfm_cells` and of the
 * dashboard scatter's aggregate `rfm_scatter_bins`.
 *
 * Inputs, per account (a brand client account: brand, market and email, one currency):
 * - the orders counted are the account's orders placed before the end of the run date (UTC) that are not
 *   cancelled (`cancelled_at` null when the recompute runs);
 * - `frequency` is their number; `monetary` is Σ (total − credited_total), net of what has been credited
 *   when the recompute runs; `recency_days` is the run date minus the UTC date of the latest of them
 *   (0: it was placed on the run date);
 * - an account with no counted order has no row.
 * Scores are quintiles within (brand, currency) by the rule of scores.ts (`rank()` ordered by the value,
 * `1 + 5·(rank − 1) / n` in integer arithmetic), and the segment is the R×F map of scores.ts, compiled
 * into the statement from the same table, so the SQL and the reference functions cannot drift apart.
 *
 * Idempotent: only rows whose values differ are written (and their `computed_at` set), rows of accounts
 * no longer scored are deleted, and a re-run over the same data writes nothing and leaves every row as
 * it was. A per-brand transaction lock keeps two recomputes of one brand (the nightly job and an
 * on-demand one) from interleaving; the statement runs after it, so it reads what the other committed.
 */

// Any constant: the first key of the per-brand advisory lock every RFM writer takes.
const rfmLockClass = 7_304_114;

/** `CASE r WHEN 1 THEN CASE f … END … END::rfm_segment` from {@link rfmSegmentGrid}. */
function segmentCase(r: string, f: string): SQL {
  const rows = rfmSegmentGrid.map((row, ri) => {
    const cells = row.map((segment, fi) => `WHEN ${fi + 1} THEN '${segment}'`).join(" ");
    return `WHEN ${ri + 1} THEN CASE ${f} ${cells} END`;
  });
  return sql.raw(`(CASE ${r} ${rows.join(" ")} END)::rfm_segment`);
}

/** `1 + 5·(rank − 1) / n` over the (brand, currency) partition ordered by `order`: bigint division floors. */
const quintile = (order: string): SQL =>
  sql.raw(
    `(1 + 5 * (rank() OVER (PARTITION BY brand_id, currency ORDER BY ${order}) - 1)` +
      ` / count(*) OVER (PARTITION BY brand_id, currency))::smallint`,
  );

export interface RecomputeResult {
  /** Accounts scored (rows of `account_rfm` for these brands after the recompute). */
  accounts: number;
  /** Rows of `account_rfm`, `rfm_cells` and `rfm_scatter_bins` written (new or changed) or deleted. */
  changed: number;
}

/**
 * Scores every account of `brandIds` as of `asOf` (`YYYY-MM-DD`) and replaces their stored scores,
 * heatmap cells and scatter bins. Runs in `tx` (a transaction: the lock is held to its end).
 */
export async function recomputeRfm(
  tx: Executor,
  brandIds: readonly number[],
  asOf: string,
): Promise<RecomputeResult> {
  if (brandIds.length === 0) return { accounts: 0, changed: 0 };
  const brands = pgArray([...brandIds].sort((a, b) => a - b));
  // Its own statement, in brand order (no deadlock between two multi-brand runs): a statement that waited
  // for the lock would still read the snapshot from before it.
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(${rfmLockClass}, (b % 2147483648)::int) FROM unnest(${brands}::bigint[]) AS b ORDER BY b`,
  );
  const result = await tx.execute<{ accounts: string | number; changed: string | number }>(sql`
    WITH counted AS (
      SELECT o.account_id, count(*) AS frequency, sum(o.total - o.credited_total) AS monetary,
             max(o.placed_at) AS last_order_at
        FROM orders o
       WHERE o.brand_id = ANY(${brands}::bigint[])
         AND o.placed_at < (${asOf}::date + 1)::timestamp AT TIME ZONE 'UTC'
         AND o.cancelled_at IS NULL
       GROUP BY o.account_id
    ), inputs AS (
      SELECT c.account_id, a.brand_id, a.currency,
             ${asOf}::date - (c.last_order_at AT TIME ZONE 'UTC')::date AS recency_days,
             c.frequency::int AS frequency, c.monetary::bigint AS monetary
        FROM counted c JOIN brand_client_accounts a ON a.id = c.account_id
    ), scored AS (
      SELECT i.*,
             ${quintile("recency_days DESC")} AS r,
             ${quintile("frequency")} AS f,
             ${quintile("monetary")} AS m
        FROM inputs i
    ), segmented AS (
      SELECT s.*, ${segmentCase("s.r", "s.f")} AS segment FROM scored s
    ), written AS (
      INSERT INTO account_rfm AS x (account_id, brand_id, currency, as_of, recency_days, frequency, monetary,
                                    r, f, m, segment, computed_at)
      SELECT s.account_id, s.brand_id, s.currency, ${asOf}::date, s.recency_days, s.frequency, s.monetary,
             s.r, s.f, s.m, s.segment, now()
        FROM segmented s
        -- Unchanged rows are left out here, by one join, rather than only by the conflict clause: a
        -- conflicting row is locked (its tuple written) even when its update is skipped.
        LEFT JOIN account_rfm y ON y.account_id = s.account_id
       WHERE y.account_id IS NULL
          OR (y.brand_id, y.currency, y.as_of, y.recency_days, y.frequency, y.monetary, y.r, y.f, y.m, y.segment)
             IS DISTINCT FROM
             (s.brand_id, s.currency, ${asOf}::date, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m,
              s.segment)
      ON CONFLICT (account_id) DO UPDATE
         SET brand_id = excluded.brand_id, currency = excluded.currency, as_of = excluded.as_of,
             recency_days = excluded.recency_days, frequency = excluded.frequency,
             monetary = excluded.monetary, r = excluded.r, f = excluded.f, m = excluded.m,
             segment = excluded.segment, computed_at = excluded.computed_at
       WHERE (x.brand_id, x.currency, x.as_of, x.recency_days, x.frequency, x.monetary, x.r, x.f, x.m, x.segment)
             IS DISTINCT FROM
             (excluded.brand_id, excluded.currency, excluded.as_of, excluded.recency_days, excluded.frequency,
              excluded.monetary, excluded.r, excluded.f, excluded.m, excluded.segment)
      RETURNING 1
    ), removed AS (
      DELETE FROM account_rfm x
       WHERE x.brand_id = ANY(${brands}::bigint[])
         AND NOT EXISTS (SELECT 1 FROM segmented s WHERE s.account_id = x.account_id)
      RETURNING 1
    ), cells AS (
      SELECT brand_id, currency, r, f, count(*)::int AS accounts, sum(monetary)::bigint AS monetary
        FROM segmented
       GROUP BY brand_id, currency, r, f
    ), cells_written AS (
      INSERT INTO rfm_cells AS x (brand_id, currency, r, f, as_of, accounts, monetary, computed_at)
      SELECT brand_id, currency, r, f, ${asOf}::date, accounts, monetary, now() FROM cells
      ON CONFLICT (brand_id, currency, r, f) DO UPDATE
         SET as_of = excluded.as_of, accounts = excluded.accounts, monetary = excluded.monetary,
             computed_at = excluded.computed_at
       WHERE (x.as_of, x.accounts, x.monetary) IS DISTINCT FROM (excluded.as_of, excluded.accounts, excluded.monetary)
      RETURNING 1
    ), cells_removed AS (
      DELETE FROM rfm_cells x
       WHERE x.brand_id = ANY(${brands}::bigint[])
         AND NOT EXISTS (SELECT 1 FROM cells c
                          WHERE c.brand_id = x.brand_id AND c.currency = x.currency AND c.r = x.r AND c.f = x.f)
      RETURNING 1
    ), bins AS (
      -- From the fresh scores, like the cells: the bins are exact and agree with account_rfm.
      SELECT brand_id, currency,
             width_bucket(frequency, ${pgArray(frequencyBounds)}::int[])::smallint AS f_bin,
             width_bucket(monetary, ${pgArray(monetaryBounds)}::bigint[])::smallint AS m_bin,
             count(*)::int AS accounts, sum(monetary)::bigint AS monetary
        FROM segmented
       GROUP BY 1, 2, 3, 4
    ), bins_written AS (
      INSERT INTO rfm_scatter_bins AS x (brand_id, currency, f_bin, m_bin, as_of, accounts, monetary, computed_at)
      SELECT brand_id, currency, f_bin, m_bin, ${asOf}::date, accounts, monetary, now() FROM bins
      ON CONFLICT (brand_id, currency, f_bin, m_bin) DO UPDATE
         SET as_of = excluded.as_of, accounts = excluded.accounts, monetary = excluded.monetary,
             computed_at = excluded.computed_at
       WHERE (x.as_of, x.accounts, x.monetary) IS DISTINCT FROM (excluded.as_of, excluded.accounts, excluded.monetary)
      RETURNING 1
    ), bins_removed AS (
      DELETE FROM rfm_scatter_bins x
       WHERE x.brand_id = ANY(${brands}::bigint[])
         AND NOT EXISTS (SELECT 1 FROM bins b
                          WHERE b.brand_id = x.brand_id AND b.currency = x.currency AND b.f_bin = x.f_bin
                            AND b.m_bin = x.m_bin)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM segmented) AS accounts,
           (SELECT count(*) FROM written) + (SELECT count(*) FROM removed)
             + (SELECT count(*) FROM cells_written) + (SELECT count(*) FROM cells_removed)
             + (SELECT count(*) FROM bins_written) + (SELECT count(*) FROM bins_removed) AS changed`);
  const row = result.rows[0];
  return { accounts: Number(row?.accounts ?? 0), changed: Number(row?.changed ?? 0) };
}

export interface RecomputeBrandInput {
  brandId: number;
  /** The run date `YYYY-MM-DD` (UTC); today in UTC when absent. Not after today. */
  asOf?: string | undefined;
}

/** The UTC date of `instant`, `YYYY-MM-DD`. */
export const utcDate = (instant: Date): string => instant.toISOString().slice(0, 10);

/**
 * The on-demand recompute of one brand (`POST /api/v1/rfm/recompute`): the same statement as the nightly
 * `rfm-scores` job, in one transaction. A key limited to other brands is refused (Forbidden) before the
 * brand is looked up; an unknown brand or a run date after today is a validation error.
 */
export async function recomputeBrandRfm({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: RecomputeBrandInput;
}): Promise<RecomputeResult & { asOf: string }> {
  assertBrand(ctx.principal, input.brandId);
  const today = utcDate(new Date());
  const asOf = input.asOf ?? today;
  if (asOf > today)
    throw new ValidationFailed([
      { field: "as_of", category: "out_of_range", message: `Must not be after today (${today}, UTC).` },
    ]);
  return withTransaction(ctx.db, async (tx) => {
    const found = await tx.execute(sql`SELECT 1 FROM brands WHERE id = ${input.brandId}`);
    if (found.rows.length === 0)
      throw new ValidationFailed([{ field: "brand", category: "not_found", message: "No such brand." }]);
    return { ...(await recomputeRfm(tx, [input.brandId], asOf)), asOf };
  });
}

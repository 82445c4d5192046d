import { type SQL, sql } from "drizzle-orm";

/**
 * The SQL the analytics jobs share. Each takes an account's acquisition source as it is when the job runs:
 * the statement joins `account_acquisition` as `aa` ({@link joinAcquisition}) and reads {@link sourceOfAccount}.
 */

/** `LEFT JOIN account_acquisition aa` on the account `accountId` names (a column of the statement). */
export const joinAcquisition = (accountId: string): SQL =>
  sql.raw(`LEFT JOIN account_acquisition aa ON aa.account_id = ${accountId}`);

/** The joined account's source, `unclassified` for one the classification has not reached yet. */
export const sourceOfAccount: SQL = sql.raw(`COALESCE(aa.source::text, 'unclassified')`);

/** The `rows` column of a rebuild's one result row (rows deleted + rows inserted). */
export function rebuiltRows(result: { rows: unknown[] }): number {
  const row = result.rows[0] as { rows?: number | string } | undefined;
  return Number(row?.rows ?? 0);
}

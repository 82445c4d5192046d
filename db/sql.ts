import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { Executor } from "./client.ts";

/**
 * A Postgres array literal for one bind parameter (`= ANY($1::bigint[])`, `unnest($1::text[])`):
 * a set-based statement keeps one parameter per column, whatever the number of rows.
 */
export function pgArray(values: readonly (string | number | boolean | null)[]): string {
  const items = values.map((value) => {
    if (value === null) return "NULL";
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new TypeError("pgArray: not a finite number");
      return String(value);
    }
    if (typeof value === "boolean") return value ? "t" : "f";
    return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

/**
 * In JSON text from `JSON.stringify`, the escapes Postgres jsonb rejects: `\u0000`, and any escaped
 * surrogate (well-formed stringify escapes only lone surrogates; pairs stay raw characters). The
 * leading group keeps escaped backslashes (`\\u0000` is the text "\u0000", not a NUL) as they are.
 */
const rejectedEscape = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * Serialises rows for one `jsonb` bind parameter, with every NUL and lone surrogate (in values and
 * in keys) replaced by U+FFFD: a whole table's rows travel as one parameter, whatever the batch size.
 * One plain `JSON.stringify` and a scan of its text: a replacer function would take the slow path
 * for every value of every row.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes("\\u")) return text;
  return text.replace(rejectedEscape, "$1\\ufffd");
}

/**
 * `jsonb_to_recordset($1::jsonb) AS r(<columns>)`: the rows of one table as a relation. A column compared
 * with a table's column takes that column's type: the stored hashes are `char(64)` / `char(32)`, and a
 * `text` hash would be compared by casting the table's column to text, which no index serves (a scan of
 * every email or address for every batch).
 */
export function recordset(rows: readonly object[], columns: string): SQL {
  return recordsetOf(sql.param(jsonParam(rows)), columns);
}

/** {@link recordset} of rows already serialised by {@link jsonParam}, or of a statement template's value. */
export function recordsetOf(json: SQLWrapper, columns: string): SQL {
  return sql`jsonb_to_recordset(${json}::jsonb) AS r(${sql.raw(columns)})`;
}

/** A named common table expression. */
export interface Cte {
  name: string;
  body: SQL;
}

/** `WITH a AS (...), b AS (...) <final>`: data-modifying CTEs make one round trip of many writes. */
export function withCtes(ctes: readonly Cte[], final: SQL): SQL {
  if (ctes.length === 0) return final;
  const parts = ctes.map((cte) => sql`${sql.raw(cte.name)} AS (${cte.body})`);
  return sql`WITH ${sql.join(parts, sql`, `)} ${final}`;
}

/** Runs a statement whose single row has one JSON column, and returns that value (or `null` for no row). */
export async function jsonRow(
  db: Pick<Executor, "execute">,
  statement: SQL,
): Promise<Record<string, unknown> | null> {
  const result = await db.execute<Record<string, unknown>>(statement);
  const first = result.rows[0];
  if (!first) return null;
  const value = Object.values(first)[0];
  return value === null || value === undefined ? null : (value as Record<string, unknown>);
}

import { type SQL, sql } from "drizzle-orm";

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Postgres text and jsonb reject NUL and lone surrogates; a visitor can send both. */
export function cleanText(value: string): string {
  return value.replaceAll("\u0000", "\uFFFD").replace(loneSurrogate, "\uFFFD");
}

/**
 * Serialises rows for one `jsonb` bind parameter, cleaning every string and object key on the
 * way: a whole table's rows travel as one parameter, whatever the batch size.
 */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === "string") return cleanText(item);
    if (item !== null && typeof item === "object" && !Array.isArray(item)) {
      let dirty = false;
      for (const key of Object.keys(item)) if (cleanText(key) !== key) dirty = true;
      if (dirty) {
        return Object.fromEntries(Object.entries(item).map(([key, entry]) => [cleanText(key), entry]));
      }
    }
    return item;
  });
}

/** `jsonb_to_recordset($1::jsonb) AS r(<columns>)`: the rows of one table as a relation. */
export function recordset(rows: readonly object[], columns: string): SQL {
  return sql`jsonb_to_recordset(${jsonParam(rows)}::jsonb) AS r(${sql.raw(columns)})`;
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

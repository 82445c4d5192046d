import type { QueryResult } from "@neondatabase/serverless";
import type { SQL } from "drizzle-orm";
import type { PgDialect, PgSession } from "drizzle-orm/pg-core";

/**
 * Statement texts this isolate has named. A text built from a fixed shape has a handful of variants;
 * past this many the builder is not what it seems, and further texts run unnamed.
 */
const maxNamedTexts = 256;
const names = new Map<string, string>();

/**
 * The name a statement's text runs under, the same for the life of the isolate: a connection checks
 * that one name always means one text. `undefined` once {@link maxNamedTexts} texts have names.
 */
export function statementName(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined || names.size >= maxNamedTexts) return known;
  const name = `leadrail_${names.size + 1}`;
  names.set(text, name);
  return name;
}

/** What a drizzle database or transaction is underneath `execute`. */
interface DrizzleInternals {
  session: PgSession;
  dialect: PgDialect;
}

/**
 * `executor.execute(query)` as a named prepared statement (protocol-level, not SQL `PREPARE`), for the
 * big statements of the hot paths: Postgres parses it once per server connection and, after a few
 * runs, plans it once too, instead of for every order or batch. Through Neon's pooled endpoint (or the
 * local bridge) the statement lives on the server connection, not the client's, so it pays off although
 * every request opens a client of its own.
 *
 * Only for statements whose text depends on the shape of the input, never on its values (values are
 * parameters), and that name their result columns: a prepared `SELECT *` or `RETURNING *` fails with
 * "cached plan must not change result type" after a migration adds a column.
 */
export function executePrepared<TRow extends Record<string, unknown>>(
  executor: object,
  query: SQL,
): Promise<QueryResult<TRow>> {
  const { session, dialect } = executor as DrizzleInternals;
  const built = dialect.sqlToQuery(query);
  const prepared = session.prepareQuery(built, undefined, statementName(built.sql), false);
  return prepared.execute() as Promise<QueryResult<TRow>>;
}

import type { QueryResult } from "@neondatabase/serverless";
import { is, Placeholder, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { PgDialect, type PgSession } from "drizzle-orm/pg-core";

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
  return runNamed(session, built, statementName(built.sql));
}

function runNamed<TRow extends Record<string, unknown>>(
  session: PgSession,
  query: { sql: string; params: unknown[] },
  name: string | undefined,
): Promise<QueryResult<TRow>> {
  return session.prepareQuery(query, undefined, name, false).execute() as Promise<QueryResult<TRow>>;
}

/**
 * A statement whose text is fixed and whose values are all parameters, built by drizzle once per isolate:
 * building a statement of some forty parameters and a hundred fragments cost more of a request's CPU than
 * anything else in the Worker, and gave the same text every time. `build` gets one SQL fragment per
 * value and must use them only as values (`${v.name}`), never to choose the statement's shape.
 */
export interface StatementTemplate<V extends Record<string, unknown>> {
  /** The statement with these values bound, as drizzle SQL (for EXPLAIN, or to embed it). */
  bind(values: V): SQL;
  /** The fixed text, the value each `$n` takes, and the statement's name. */
  compiled(): { text: string; keys: readonly (keyof V & string)[]; name: string | undefined };
}

export type TemplateValues<V> = { readonly [K in keyof V]: SQLWrapper };

const templateDialect = new PgDialect();

export function statementTemplate<V extends Record<string, unknown>>(
  build: (values: TemplateValues<V>) => SQL,
): StatementTemplate<V> {
  let compiled: ReturnType<StatementTemplate<V>["compiled"]> | undefined;
  return {
    bind: (values) =>
      build(new Proxy({} as TemplateValues<V>, { get: (_, key) => sql.param(values[key as keyof V]) })),
    compiled: () => {
      if (compiled) return compiled;
      const built = templateDialect.sqlToQuery(
        build(new Proxy({} as TemplateValues<V>, { get: (_, key) => sql.placeholder(String(key)) })),
      );
      const keys = built.params.map((param) => {
        if (!is(param, Placeholder))
          throw new Error("a statement template binds a value that is not one of its own");
        return param.name as keyof V & string;
      });
      compiled = { text: built.sql, keys, name: statementName(built.sql) };
      return compiled;
    },
  };
}

/** {@link executePrepared} of a {@link statementTemplate}: only the values are worked out per call. */
export function executeTemplate<V extends Record<string, unknown>, TRow extends Record<string, unknown>>(
  executor: object,
  template: StatementTemplate<V>,
  values: V,
): Promise<QueryResult<TRow>> {
  const { text, keys, name } = template.compiled();
  const { session } = executor as DrizzleInternals;
  return runNamed(session, { sql: text, params: keys.map((key) => values[key]) }, name);
}

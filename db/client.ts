import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema/index.ts";

/**
 * Without the relational schema: nothing uses `db.query.*`, and building its table map for every
 * request's instance cost about half a millisecond of CPU per request with 40 tables.
 */
export type Database = NeonDatabase;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either the database or an open transaction: verbs accept both and reuse an outer transaction. */
export type Executor = Database | Transaction;

export interface DbHandle {
  db: Database;
  pool: Pool;
  /** Ends the pool; call it when the request or batch that made the handle is done. */
  close(): Promise<void>;
}

let configuredProxy: string | undefined;

/**
 * Points the Neon driver at a WebSocket-to-TCP bridge, for a Postgres that is not Neon
 * (local server or PGlite). With no proxy the driver talks to Neon's own WebSocket endpoint.
 */
function configureDriver(wsProxy: string | undefined): void {
  if (!wsProxy || configuredProxy === wsProxy) return;
  neonConfig.wsProxy = (host, port) => `${wsProxy}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
  configuredProxy = wsProxy;
}

/** A pool for one request or one queue batch; never cache it across requests. */
export function openDb(
  config: { DATABASE_URL: string; DB_WS_PROXY?: string | undefined },
  max = 4,
): DbHandle {
  configureDriver(config.DB_WS_PROXY);
  const pool = new Pool({ connectionString: config.DATABASE_URL, max, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its socket must not crash the isolate; the next query reconnects.
  pool.on("error", () => {});
  const db = drizzle({ client: pool });
  let closed = false;
  return {
    db,
    pool,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

export { schema };

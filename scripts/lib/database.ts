import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { serveWire } from "./pglite-wire-server.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const migrationsFolder = path.join(repoRoot, "db/migrations");

export interface RunningDatabase {
  /** Connection string for Node-side tools (pg over TCP). */
  url: string;
  host: string;
  port: number;
  /** `embedded` (PGlite) or `external` (DATABASE_URL). */
  kind: "embedded" | "external";
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * An embedded Postgres (PGlite) served over TCP, so the same wire protocol reaches it
 * as reaches a real server. `dataDir` persists it; omit it for an in-memory database.
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number } = {},
): Promise<RunningDatabase> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ?? "memory://");
  const port = options.port ?? (await freePort());
  const server = await serveWire(db, { host: "127.0.0.1", port });
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    host: "127.0.0.1",
    port,
    kind: "embedded",
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

export function describeUrl(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

export function externalDatabase(url: string): RunningDatabase {
  const { host, port } = describeUrl(url);
  return { url, host, port, kind: "external", stop: async () => {} };
}

/** Creates a fresh database on a real server (for an isolated test or bench run) and returns its URL. */
export async function createScratchDatabase(
  serverUrl: string,
  name: string,
  /** A database to copy (`CREATE DATABASE … TEMPLATE`; nothing may be connected to it). */
  template?: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"${template === undefined ? "" : ` TEMPLATE "${template}"`}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Applies the committed drizzle-kit migrations. Safe to run again: applied ones are skipped. */
export async function applyMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
}

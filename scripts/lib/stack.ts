import { hashIds } from "../../domain/hash-ids.ts";
import { checkApiKey } from "./admin-key.ts";
import { publishEdgeConfig } from "./api.ts";
import {
  applyMigrations,
  createScratchDatabase,
  externalDatabase,
  freePort,
  type RunningDatabase,
  startEmbeddedPostgres,
} from "./database.ts";
import { type DemoSeed, seedDemo } from "./seed.ts";
import { startWranglerDev, type WranglerDev, waitForHttp, wranglerTomlVars } from "./wrangler.ts";
import { type BridgeHandle, startWsBridge } from "./ws-bridge.ts";

export interface StackOptions {
  /** A Postgres server (Neon or any). Unset: an embedded PGlite. */
  databaseUrl?: string | undefined;
  /** With `databaseUrl`: create (and drop on stop) a fresh database on that server instead. */
  scratchDatabase?: boolean;
  /** PGlite data directory (persisted). Unset: in memory. */
  pgliteDir?: string | undefined;
  /** TCP port PGlite is served on; 0 or unset picks a free one. */
  pglitePort?: number | undefined;
  /** WebSocket bridge port; 0 or unset picks a free one. */
  bridgePort?: number | undefined;
  /** `wrangler dev` port; 0 or unset picks a free one. */
  port?: number | undefined;
  /** Local KV and Queues state of `wrangler dev`. */
  persistTo: string;
  /** Extra Worker vars (`--var`), e.g. small retry settings for tests. */
  vars?: Record<string, string>;
  adminKey: string;
  /** Seed the demo catalog (default true). */
  seed?: boolean;
  /** Publish landings and rules to KV once the Worker answers (default true). */
  publish?: boolean;
  /** Fail instead of warning when publishing fails (default false). */
  requirePublish?: boolean;
  /** Progress messages. */
  log?: (message: string) => void;
  /** Every line `wrangler dev` prints. */
  onWranglerLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Aborts a start in progress (Ctrl-C during start-up); whatever started is stopped. */
  signal?: AbortSignal;
}

/** A bridge that can be stopped and started again on the same port (the Worker keeps its address). */
export interface RestartableBridge {
  port: number;
  /** `host:port` for the Worker's DB_WS_PROXY. */
  address: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface Stack {
  /** Where `wrangler dev` answers, e.g. http://127.0.0.1:8787 */
  baseUrl: string;
  database: RunningDatabase;
  bridge: RestartableBridge;
  wrangler: WranglerDev;
  alphabet: string;
  /** The Worker's vars as `wrangler dev` got them (wrangler.toml [vars] and overrides; no secrets). */
  vars: Record<string, string>;
  adminKey: string;
  seed: DemoSeed | null;
  /** The publish endpoint's answer, or the reason it failed. */
  publish: { ok: true; result: unknown } | { ok: false; error: string } | null;
  /** Public hash id of a landing. */
  landingHashId(id: number): string;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {}

/**
 * Starts the whole local system: Postgres (embedded or given), the WebSocket bridge the Neon
 * driver needs for a non-Neon Postgres, migrations, the demo seed, `wrangler dev` (edge, API and
 * all consumers), then publishes the edge configuration to KV. Whatever started is stopped again
 * if a later step fails.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      if (cleanup) await cleanup().catch((error) => log(`cleanup failed: ${String(error)}`));
    }
  };

  try {
    // Before anything starts: a key the API refuses would be seeded, printed, then fail the publish.
    checkApiKey(options.adminKey, "the admin key");
    const vars = wranglerTomlVars();
    const alphabet = options.vars?.SQIDS_ALPHABET ?? vars.SQIDS_ALPHABET;
    if (!alphabet) throw new Error("SQIDS_ALPHABET is missing from wrangler.toml [vars]");

    const signal = options.signal;
    // Fixed ports are checked first, so a second `npm start` fails before touching the database.
    if (options.port) await ensurePortFree(options.port, "wrangler dev");
    if (options.bridgePort) await ensurePortFree(options.bridgePort, "the WebSocket bridge");
    const database = await openDatabase(options, log, cleanups);
    signal?.throwIfAborted();

    log("applying migrations");
    await applyMigrations(database.url);
    signal?.throwIfAborted();

    const seed = options.seed === false ? null : await seedDemo(database.url, options.adminKey);
    if (seed) log("demo seed in place");
    signal?.throwIfAborted();

    const bridge = await startRestartableBridge(database, options.bridgePort ?? 0);
    cleanups.push(() => bridge.stop());
    log(`WebSocket bridge on ${bridge.address} → ${database.host}:${database.port}`);
    signal?.throwIfAborted();

    const port = options.port || (await freePort());
    await ensurePortFree(port, "wrangler dev");
    const inspectorPort = await freePort();
    const wrangler = startWranglerDev({
      port,
      inspectorPort,
      persistTo: options.persistTo,
      vars: {
        ...(options.vars ?? {}),
        DATABASE_URL: database.url,
        DB_WS_PROXY: bridge.address,
      },
      onLine: options.onWranglerLine ?? (() => {}),
    });
    cleanups.push(() => wrangler.stop());
    const baseUrl = `http://127.0.0.1:${port}`;
    log(`waiting for wrangler dev on ${baseUrl}`);
    await waitForHttp(`${baseUrl}/openapi.json`, options.readyTimeoutMs ?? 90_000, {
      exited: wrangler.exited,
      signal: options.signal,
    });

    let publish: Stack["publish"] = null;
    if (options.publish !== false) {
      try {
        publish = { ok: true, result: await publishEdgeConfig(baseUrl, options.adminKey) };
        log("landings and rules published to KV");
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (options.requirePublish) throw new Error(`publishing the edge configuration failed: ${message}`);
        publish = { ok: false, error: message };
      }
    }

    const codec = hashIds(alphabet);
    return {
      baseUrl,
      database,
      bridge,
      wrangler,
      alphabet,
      vars: { ...vars, ...(options.vars ?? {}) },
      adminKey: options.adminKey,
      seed,
      publish,
      landingHashId: (id) => codec.encode("landing", id),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function openDatabase(
  options: StackOptions,
  log: (message: string) => void,
  cleanups: (() => Promise<void>)[],
): Promise<RunningDatabase> {
  if (!options.databaseUrl) {
    const port = options.pglitePort || (await freePort());
    await ensurePortFree(port, "the embedded Postgres");
    const database = await startEmbeddedPostgres({
      port,
      ...(options.pgliteDir ? { dataDir: options.pgliteDir } : {}),
    });
    cleanups.push(() => database.stop());
    log(
      `embedded Postgres (PGlite${options.pgliteDir ? ` in ${options.pgliteDir}` : ", in memory"}) on ${database.url}`,
    );
    return database;
  }
  if (options.scratchDatabase) {
    const name = `leadrail_e2e_${process.pid}_${Date.now()}`;
    const scratch = await createScratchDatabase(options.databaseUrl, name);
    cleanups.push(() => scratch.drop());
    log(`scratch database ${name}`);
    return externalDatabase(scratch.url);
  }
  log(`using DATABASE_URL (${redact(options.databaseUrl)})`);
  return externalDatabase(options.databaseUrl);
}

/** Transaction pooling, as Neon's pooled endpoint: no server process forked per request. */
const bridgeOptions = { pool: {} };

async function startRestartableBridge(
  database: RunningDatabase,
  requestedPort: number,
): Promise<RestartableBridge> {
  const target = { host: database.host, port: database.port };
  if (requestedPort) await ensurePortFree(requestedPort, "the WebSocket bridge");
  let handle: BridgeHandle | null = await startWsBridge(target, requestedPort, bridgeOptions);
  const port = handle.port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    get running() {
      return handle !== null;
    },
    stop: async () => {
      const current = handle;
      handle = null;
      await current?.close();
    },
    start: async () => {
      if (handle) return;
      handle = await startWsBridge(target, port, bridgeOptions);
    },
  };
}

async function ensurePortFree(port: number, what: string): Promise<void> {
  const { createServer } = await import("node:net");
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(new PortInUseError(`port ${port} (for ${what}) is already in use on 127.0.0.1`)),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

/** A connection string without its password, for printing. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

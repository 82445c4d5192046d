import { hashIds } from "../../domain/core/hash-ids.ts";
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
import {
  type MessageSimulator,
  simulatorApiKey,
  simulatorApiSecret,
  startMessageSimulator,
} from "./message-simulator.ts";
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
  /** Aborts a start in progress (Ctrl-C during start-up): whatever started is stopped and the start rejects. */
  signal?: AbortSignal;
  /** Told as each phase of the start begins (see `stackPhases`). */
  onPhase?: (phase: StackPhase) => void;
  /**
   * The messaging provider's local simulator (scripts/lib/message-simulator.ts), started before the Worker,
   * which gets its URL as MESSAGING_PROVIDER_BASE_URL and its credentials. `false`: not started, and the
   * Worker keeps wrangler.toml's provider URL and whatever credentials its env files hold.
   */
  messageSimulator?:
    | false
    | {
        /** 0 or unset picks a free port. */
        port?: number;
        /** Where it posts delivery reports; unset, it only keeps them. */
        callbackUrl?: string | undefined;
        receiptDelayMs?: number;
      };
  /** Env files `wrangler dev` reads its secrets from (`--env-file`, later files win); unset: its defaults. */
  envFiles?: string[];
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
  /** The messaging provider's simulator, unless `messageSimulator: false`. */
  messageSimulator: MessageSimulator | null;
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
  const phase = options.onPhase ?? (() => {});
  const cleanups = new Cleanups(log);
  const signal = options.signal;
  // Each step is raced against the abort, so a signal in any phase stops the start at once (a step that
  // finishes later still registers what it started, and that is stopped as it registers).
  const step = abortableSteps(signal);

  try {
    signal?.throwIfAborted();
    // Before anything starts: a key the API refuses would be seeded, printed, then fail the publish.
    checkApiKey(options.adminKey, "the admin key");
    const vars = wranglerTomlVars();
    const alphabet = options.vars?.SQIDS_ALPHABET ?? vars.SQIDS_ALPHABET;
    if (!alphabet) throw new Error("SQIDS_ALPHABET is missing from wrangler.toml [vars]");

    // Fixed ports are checked first, so a second `npm start` fails before touching the database.
    if (options.port) await ensurePortFree(options.port, "wrangler dev");
    if (options.bridgePort) await ensurePortFree(options.bridgePort, "the WebSocket bridge");
    phase("database");
    const database = await step(openDatabase(options, log, cleanups));

    phase("migrations");
    log("applying migrations");
    await step(applyMigrations(database.url));

    phase("seed");
    const seed = options.seed === false ? null : await step(seedDemo(database.url, options.adminKey));
    if (seed) log("demo seed in place");

    phase("bridge");
    const bridge = await step(
      startRestartableBridge(database, options.bridgePort ?? 0).then((started) => {
        cleanups.add(() => started.stop());
        return started;
      }),
    );
    log(`WebSocket bridge on ${bridge.address} → ${database.host}:${database.port}`);

    let messageSimulator: MessageSimulator | null = null;
    const messagingVars: Record<string, string> = {};
    if (options.messageSimulator !== false) {
      phase("simulator");
      const settings = options.messageSimulator ?? {};
      if (settings.port) await step(ensurePortFree(settings.port, "the message simulator"));
      const simulator = await step(
        startMessageSimulator({
          port: settings.port ?? 0,
          apiKey: simulatorApiKey,
          apiSecret: simulatorApiSecret,
          callbackUrl: settings.callbackUrl,
          ...(settings.receiptDelayMs !== undefined ? { receiptDelayMs: settings.receiptDelayMs } : {}),
        }).then((started) => {
          cleanups.add(() => started.close());
          return started;
        }),
      );
      messageSimulator = simulator;
      log(`message simulator (Solapi's API) on ${simulator.url}`);
      messagingVars.MESSAGING_PROVIDER_BASE_URL = simulator.url;
      messagingVars.MESSAGING_PROVIDER_API_KEY = simulatorApiKey;
      messagingVars.MESSAGING_PROVIDER_API_SECRET = simulatorApiSecret;
    }

    const port = options.port || (await step(freePort()));
    await step(ensurePortFree(port, "wrangler dev"));
    const inspectorPort = await step(freePort());
    signal?.throwIfAborted();
    phase("wrangler");
    const wrangler = startWranglerDev({
      port,
      inspectorPort,
      persistTo: options.persistTo,
      vars: {
        // Tracked links in messages point at this Worker, whatever port it got.
        MESSAGE_LINK_BASE_URL: `http://127.0.0.1:${port}`,
        ...messagingVars,
        ...(options.vars ?? {}),
        DATABASE_URL: database.url,
        DB_WS_PROXY: bridge.address,
      },
      ...(options.envFiles ? { envFiles: options.envFiles } : {}),
      onLine: options.onWranglerLine ?? (() => {}),
    });
    cleanups.add(() => wrangler.stop());
    const baseUrl = `http://127.0.0.1:${port}`;
    log(`waiting for wrangler dev on ${baseUrl}`);
    await step(
      waitForHttp(`${baseUrl}/openapi.json`, options.readyTimeoutMs ?? 90_000, {
        exited: wrangler.exited,
        signal,
      }),
    );

    let publish: Stack["publish"] = null;
    if (options.publish !== false) {
      phase("publish");
      try {
        publish = { ok: true, result: await step(publishEdgeConfig(baseUrl, options.adminKey)) };
        log("landings and rules published to KV");
      } catch (error) {
        if (signal?.aborted) throw error;
        const message = error instanceof Error ? error.message : String(error);
        if (options.requirePublish) throw new Error(`publishing the edge configuration failed: ${message}`);
        publish = { ok: false, error: message };
      }
    }
    // The last chance to see an abort before the caller owns a running stack.
    signal?.throwIfAborted();

    const codec = hashIds(alphabet);
    return {
      baseUrl,
      database,
      bridge,
      wrangler,
      messageSimulator,
      alphabet,
      vars: { ...vars, ...messagingVars, ...(options.vars ?? {}) },
      adminKey: options.adminKey,
      seed,
      publish,
      landingHashId: (id) => codec.encode("landing", id),
      stop: () => cleanups.stopAll(),
    };
  } catch (error) {
    await cleanups.stopAll();
    throw error;
  }
}

/** The phases of a start, in order, as `onPhase` reports them (each as it begins). */
export const stackPhases = [
  "database",
  "migrations",
  "seed",
  "bridge",
  "simulator",
  "wrangler",
  "publish",
] as const;
export type StackPhase = (typeof stackPhases)[number];

/**
 * What a start has started so far, stopped in reverse order. Once stopping has begun, anything still
 * registered (a step that finished after an abort) is stopped as it registers.
 */
class Cleanups {
  private readonly pending: (() => Promise<void>)[] = [];
  private stopping = false;

  constructor(private readonly log: (message: string) => void) {}

  add(cleanup: () => Promise<void>): void {
    if (this.stopping) void this.run(cleanup);
    else this.pending.push(cleanup);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    for (let cleanup = this.pending.pop(); cleanup; cleanup = this.pending.pop()) await this.run(cleanup);
  }

  private run(cleanup: () => Promise<void>): Promise<void> {
    return cleanup().catch((error) => this.log(`cleanup failed: ${String(error)}`));
  }
}

/** `step(work)`: `work`, or a rejection with the abort's reason as soon as `signal` aborts. */
function abortableSteps(signal: AbortSignal | undefined): <T>(work: Promise<T>) => Promise<T> {
  if (!signal) return (work) => work;
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  // Between steps nothing awaits it; its rejection is not an unhandled one.
  aborted.catch(() => {});
  return (work) => Promise.race([work, aborted]);
}

async function openDatabase(
  options: StackOptions,
  log: (message: string) => void,
  cleanups: Cleanups,
): Promise<RunningDatabase> {
  if (!options.databaseUrl) {
    const port = options.pglitePort || (await freePort());
    await ensurePortFree(port, "the embedded Postgres");
    const database = await startEmbeddedPostgres({
      port,
      ...(options.pgliteDir ? { dataDir: options.pgliteDir } : {}),
    });
    cleanups.add(() => database.stop());
    log(
      `embedded Postgres (PGlite${options.pgliteDir ? ` in ${options.pgliteDir}` : ", in memory"}) on ${database.url}`,
    );
    return database;
  }
  if (options.scratchDatabase) {
    const name = `leadrail_e2e_${process.pid}_${Date.now()}`;
    const scratch = await createScratchDatabase(options.databaseUrl, name);
    cleanups.add(() => scratch.drop());
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

import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { freePort, repoRoot } from "../../scripts/lib/database.ts";
import { devSecrets, receiptWebhookUrl } from "../../scripts/lib/dev-secrets.ts";
import type { DemoSeed } from "../../scripts/lib/seed.ts";
import { startStack } from "../../scripts/lib/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}

/** What the e2e tests receive: where the stack answers and what the demo seed created. */
export interface E2eContext {
  baseUrl: string;
  /** Node-side connection string of the stack's database (for checks the API does not expose). */
  databaseUrl: string;
  databaseKind: string;
  adminKey: string;
  seed: DemoSeed;
  /** Public hash id of each seeded landing, by the seed's landing key. */
  landingRefs: Record<string, string>;
  /** Public hash id of each seeded brand, by slug. */
  brandRefs: Record<string, string>;
  /** Hash ids of the seeded stores by shop id. */
  storeRefs: Record<string, string>;
  /** Everything `wrangler dev` printed, appended as it runs. */
  wranglerLog: string;
  /** Small HTTP server in this process that stops and starts the database bridge. */
  controlUrl: string;
  /** Where the webhook secrets were generated, as `npm start` generates them under .data/ (no .dev.vars). */
  devSecretsDir: string;
  /** The message simulator (Solapi's API) the Worker sends to. */
  messageSimulatorUrl: string;
  /** The Worker's sqids alphabet (to decode the public ids the API answers). */
  alphabet: string;
}

const adminKey = "lr_e2e_admin_4f1c9a7d2b6e8035c1a9";

/**
 * One stack for the whole e2e run, as `npm start` runs it: `wrangler dev` (edge, API, consumers)
 * on a free port over an in-memory PGlite, or a scratch database on the server DATABASE_URL
 * names. Retries are made quick so the dead-letter path finishes in seconds.
 */
export default async function setup(project: TestProject) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "leadrail-e2e-"));
  // Per run (other e2e runs may be going on at the same time); copied to .data/ at the end so a
  // failure can be read in full.
  const wranglerLog = path.join(workDir, "wrangler.log");
  const logFd = openSync(wranglerLog, "w");
  const serverUrl = process.env.DATABASE_URL || undefined;
  const keepLog = (): string => {
    closeSync(logFd);
    const kept = path.join(repoRoot, ".data", `e2e-wrangler${serverUrl ? "-postgres" : ""}.log`);
    mkdirSync(path.dirname(kept), { recursive: true });
    copyFileSync(wranglerLog, `${kept}.${process.pid}`);
    renameSync(`${kept}.${process.pid}`, kept);
    rmSync(workDir, { recursive: true, force: true });
    return kept;
  };
  // The webhook secrets as `npm start` makes them, in this run's own directory (the repo's .dev.vars is not read).
  const devSecretsDir = path.join(workDir, "secrets");
  const secrets = devSecrets(devSecretsDir, null);
  // The Worker's port is chosen here so the message simulator can post its delivery reports to the Worker's
  // own webhook, as under `npm start`.
  const port = await freePort();
  const stack = await startStack({
    port,
    messageSimulator: {
      callbackUrl: receiptWebhookUrl(port, secrets.values.MESSAGING_WEBHOOK_TOKEN),
      receiptDelayMs: 200,
    },
    envFiles: secrets.envFiles,
    databaseUrl: serverUrl,
    scratchDatabase: true,
    persistTo: path.join(workDir, "wrangler-state"),
    adminKey,
    vars: {
      CAPTURE_RETRY_BASE_SECONDS: "0.01",
      EDGE_CACHE_TTL_MS: "0",
      // The two cores are shared with Postgres and the test runner: a local KV read may wait well past the
      // deployed deadline without anything being wrong.
      EDGE_KV_DEADLINE_MS: "10000",
      GLOBAL_FALLBACK_URL: "https://fallback.leadrail.test/",
    },
    requirePublish: true,
    onWranglerLine: (line) => {
      writeSync(logFd, `${line}\n`);
    },
    log: (message) => writeSync(logFd, `[stack] ${message}\n`),
  }).catch((error: unknown) => {
    throw new Error(`e2e stack did not start (wrangler log: ${keepLog()}): ${String(error)}`);
  });
  const seed = stack.seed;
  if (!seed) throw new Error("the e2e stack was started without its demo seed");

  const control = await startControlServer({
    "/bridge/stop": async () => {
      await stack.bridge.stop();
      writeSync(logFd, "[stack] database bridge stopped\n");
    },
    "/bridge/start": async () => {
      await stack.bridge.start();
      writeSync(logFd, "[stack] database bridge started\n");
    },
  });

  const landingRefs: Record<string, string> = {};
  for (const [key, landing] of Object.entries(seed.landings))
    landingRefs[key] = stack.landingHashId(landing.id);
  const codec = hashIds(stack.alphabet);
  const brandRefs: Record<string, string> = {};
  for (const [slug, id] of Object.entries(seed.brands)) brandRefs[slug] = codec.encode("brand", id);
  const storeRefs: Record<string, string> = {};
  for (const [shop, id] of Object.entries(seed.stores)) storeRefs[shop] = codec.encode("store", id);

  const context: E2eContext = {
    baseUrl: stack.baseUrl,
    databaseUrl: stack.database.url,
    databaseKind: serverUrl ? "postgres server (scratch database)" : "embedded PGlite",
    adminKey,
    seed,
    landingRefs,
    brandRefs,
    storeRefs,
    wranglerLog,
    controlUrl: control.url,
    devSecretsDir,
    messageSimulatorUrl: stack.messageSimulator?.url ?? "",
    alphabet: stack.alphabet,
  };
  project.provide("e2e", context);

  return async () => {
    await new Promise<void>((resolve) => control.server.close(() => resolve()));
    await stack.stop();
    keepLog();
  };
}

async function startControlServer(
  routes: Record<string, () => Promise<void>>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const route = request.method === "POST" && request.url ? routes[request.url] : undefined;
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    route().then(
      () => response.writeHead(204).end(),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

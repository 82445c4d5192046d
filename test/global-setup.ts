import type { TestProject } from "vitest/node";
import { apiReferenceBundlePath } from "../api/docs-assets.ts";
import { assetDigest, buildAssets } from "../scripts/build-assets.ts";
import {
  applyMigrations,
  createScratchDatabase,
  externalDatabase,
  type RunningDatabase,
  startEmbeddedPostgres,
} from "../scripts/lib/database.ts";
import {
  simulatorApiKey,
  simulatorApiSecret,
  startMessageSimulator,
} from "../scripts/lib/message-simulator.ts";
import { startWsBridge } from "../scripts/lib/ws-bridge.ts";
import { startRelaySink } from "./relay-sink.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    wsProxy: string;
    databaseKind: string;
    /** A loopback HTTP server standing in for partners and lead buyers (test/relay-sink.ts). */
    relaySinkUrl: string;
    /**
     * The messaging provider's simulator (scripts/lib/message-simulator.ts, with its development credentials),
     * posting its delivery reports to the relay sink under the key `message-receipts` after 50 ms.
     */
    messageSimulatorUrl: string;
    /** The installed API reference bundle the Worker serves as a static asset: its size and SHA-256 (hex). */
    apiReferenceBundle: { bytes: number; sha256: string };
  }
}

/**
 * One database per test run: a fresh scratch database on the server named by
 * DATABASE_URL, or an in-memory embedded Postgres when it is unset. The Worker
 * under test reaches it through the pooling WebSocket bridge, as in `npm start`.
 */
export default async function setup(project: TestProject) {
  // The Worker's static assets (wrangler.toml [assets]) are generated; `npx vitest` runs no npm hook.
  buildAssets();
  project.provide("apiReferenceBundle", assetDigest(apiReferenceBundlePath));
  const serverUrl = process.env.DATABASE_URL;
  let database: RunningDatabase;
  let drop = async () => {};
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, `leadrail_test_${process.pid}_${Date.now()}`);
    drop = scratch.drop;
    database = externalDatabase(scratch.url);
  } else {
    database = await startEmbeddedPostgres();
  }
  await applyMigrations(database.url);
  const bridge = await startWsBridge({ host: database.host, port: database.port }, 0, { pool: {} });
  project.provide("databaseUrl", database.url);
  project.provide("wsProxy", `127.0.0.1:${bridge.port}`);
  project.provide("databaseKind", database.kind);
  const sink = await startRelaySink();
  project.provide("relaySinkUrl", sink.url);
  const simulator = await startMessageSimulator({
    apiKey: simulatorApiKey,
    apiSecret: simulatorApiSecret,
    callbackUrl: `${sink.url}/sink/message-receipts/ok`,
    receiptDelayMs: 50,
  });
  project.provide("messageSimulatorUrl", simulator.url);
  process.env.LEADRAIL_TEST_DATABASE_URL = database.url;
  return async () => {
    await simulator.close();
    await sink.close();
    await bridge.close();
    await database.stop();
    await drop();
  };
}

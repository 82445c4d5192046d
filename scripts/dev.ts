/**
 * `npm start`: the whole system on this machine. Embedded Postgres (PGlite, persisted under
 * .data/pglite) unless DATABASE_URL is set, the WebSocket bridge, migrations, the demo seed,
 * `wrangler dev` (edge, API and every consumer) on http://127.0.0.1:8787, then the edge
 * configuration is published to KV. The webhooks get development secrets (generated once under
 * .data/, .dev.vars wins) and the banner prints a signed example per webhook. The messaging provider's
 * local simulator (scripts/lib/message-simulator.ts) runs beside it and is the Worker's provider URL. Ctrl-C, in any phase,
 * stops all of it. LEADRAIL_DATA_DIR moves .data/ (tests run beside a real `npm start`).
 */
import path from "node:path";
import { hashIds } from "../domain/core/hash-ids.ts";
import { adminKeyFromEnv } from "./lib/admin-key.ts";
import { repoRoot } from "./lib/database.ts";
import { type DevSecrets, devSecrets, receiptWebhookUrl, webhookSecretNames } from "./lib/dev-secrets.ts";
import { PortInUseError, redact, type Stack, startStack } from "./lib/stack.ts";
import { writeWebhookExamples } from "./lib/webhook-examples.ts";

const demoUserAgent =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

function edgeCacheSeconds(stack: Stack): number {
  const ms = Number(stack.vars.EDGE_CACHE_TTL_MS ?? 5000);
  return Number.isFinite(ms) ? Math.ceil(ms / 1000) : 5;
}

const noisy = [/Unable to fetch the `Request\.cf` object/, /^\s+at /, /getaddrinfo ENOTFOUND/];

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** How long stopping may take before the process exits anyway (its exit hook still kills wrangler's group). */
const stopDeadlineMs = 15_000;

async function main(): Promise<void> {
  const adminKey = adminKeyFromEnv();
  const port = portFromEnv("LEADRAIL_PORT", 8787);
  const bridgePort = portFromEnv("LEADRAIL_BRIDGE_PORT", 8790);
  const simulatorPort = portFromEnv("LEADRAIL_MESSAGE_SIMULATOR_PORT", 0);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const sqidsAlphabet = process.env.SQIDS_ALPHABET || undefined;
  const dataDir = process.env.LEADRAIL_DATA_DIR || path.join(repoRoot, ".data");
  // A test hook: one line as each phase begins, so a test can deliver a signal in that phase.
  const phaseMarkers = Boolean(process.env.LEADRAIL_PHASE_MARKERS);

  // The one way out, installed before anything starts: a start in progress is aborted (startStack stops
  // what it started, whatever phase it is in, and rejects); a running stack is stopped. Then exit.
  const starting = new AbortController();
  let started: Promise<Stack | null> = Promise.resolve(null);
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping leadrail…");
    setTimeout(() => {
      console.error(`[leadrail] still stopping after ${stopDeadlineMs / 1000} s; exiting anyway.`);
      process.exit(1);
    }, stopDeadlineMs).unref();
    starting.abort();
    const stack = await started;
    await stack?.stop();
    console.log("stopped.");
    process.exit(code);
  };
  let firstSignalAt = 0;
  const onSignal = () => {
    if (!stopping) {
      firstSignalAt = Date.now();
      void shutdown(0);
      return;
    }
    // npm relays the terminal's Ctrl-C to this process, which got it from the terminal too: only a signal
    // well after the first is a second Ctrl-C, which does not wait (the exit hook still kills wrangler).
    if (Date.now() - firstSignalAt > 2000) process.exit(1);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // Generated once under the data directory; .dev.vars wins for any it sets. Given to wrangler in files.
  const secrets = devSecrets(dataDir, path.join(repoRoot, ".dev.vars"));
  // The simulator reports deliveries to the Worker's own webhook, with the token it checks.
  const receiptUrl =
    process.env.LEADRAIL_MESSAGE_RECEIPT_URL ||
    receiptWebhookUrl(port, secrets.values.MESSAGING_WEBHOOK_TOKEN);

  const starts = startStack({
    databaseUrl,
    pgliteDir: databaseUrl ? undefined : path.join(dataDir, "pglite"),
    bridgePort,
    port,
    persistTo: path.join(dataDir, "wrangler"),
    envFiles: secrets.envFiles,
    messageSimulator: { port: simulatorPort, callbackUrl: receiptUrl },
    adminKey,
    ...(sqidsAlphabet ? { vars: { SQIDS_ALPHABET: sqidsAlphabet } } : {}),
    log: (message) => console.log(`[leadrail] ${message}`),
    onWranglerLine: (line) => {
      if (line.trim() === "" || noisy.some((pattern) => pattern.test(line))) return;
      console.log(`[wrangler] ${line}`);
    },
    ...(phaseMarkers ? { onPhase: (phase: string) => console.log(`[leadrail] phase: ${phase}`) } : {}),
    signal: starting.signal,
  });
  // A failed or aborted start has already stopped what it started.
  started = starts.catch(() => null);
  let stack: Stack;
  try {
    stack = await starts;
  } catch (error) {
    if (stopping) return;
    throw error;
  }
  if (stopping) return;

  void stack.wrangler.exited.then((code) => {
    if (stopping) return;
    console.error(`[leadrail] wrangler dev exited unexpectedly (${code}); stopping.`);
    void shutdown(1);
  });

  printBanner(stack, secrets, dataDir);
  if (phaseMarkers) console.log("[leadrail] phase: running");
}

function printBanner(stack: Stack, secrets: DevSecrets, dataDir: string): void {
  const lines: string[] = [];
  const base = stack.baseUrl;
  lines.push("", "leadrail is running", "");
  lines.push(`  Worker (edge, API, consumers)  ${base}`);
  lines.push(`  API reference                  ${base}/docs   (OpenAPI: ${base}/openapi.json)`);
  lines.push(`  Postgres                       ${redact(stack.database.url)} (${stack.database.kind})`);
  lines.push(`  WebSocket bridge               ${stack.bridge.address}`);
  if (stack.messageSimulator) {
    const sim = stack.messageSimulator.url;
    lines.push(`  Message simulator (Solapi API) ${sim}   (the Worker's MESSAGING_PROVIDER_BASE_URL)`);
    lines.push(
      `    received messages: ${sim}/__sent   delivery reports: ${sim}/__receipts   posted to: ${process.env.LEADRAIL_MESSAGE_RECEIPT_URL || (secrets.values.MESSAGING_WEBHOOK_TOKEN ? `${base}/webhooks/messaging/solapi` : "(nowhere: MESSAGING_WEBHOOK_TOKEN is empty)")}`,
    );
    lines.push("    a recipient ending in 0000 is refused at send, one ending in 9999 fails after sending");
  }
  lines.push(`  Admin API key                  ${stack.adminKey}`);
  lines.push(
    `  Webhook secrets (development only, kept in ${secrets.file}; .dev.vars wins for any it sets):`,
  );
  for (const name of webhookSecretNames) {
    const from = secrets.sources[name] === ".dev.vars" ? "   (from .dev.vars)" : "";
    lines.push(
      `    ${name.padEnd(28)} ${secrets.values[name] || "(empty: what it guards answers 503)"}${from}`,
    );
  }
  if (stack.publish && !stack.publish.ok) {
    lines.push("", `  warning: the edge configuration was not published to KV: ${stack.publish.error}`);
    lines.push("  visitors get the fallback URL until it is (POST /api/v1/admin/publish).");
  }
  const landings = Object.values(stack.seed?.landings ?? {});
  if (landings.length > 0) {
    lines.push("", "Demo landings:");
    for (const landing of landings) {
      lines.push(`  ${base}/l/${stack.landingHashId(landing.id)}   ${landing.name}`);
    }
    const first = landings[0];
    if (first) {
      const url = `${base}/l/${stack.landingHashId(first.id)}`;
      const auth = `-H "authorization: Bearer ${stack.adminKey}"`;
      lines.push("", "Try it (curl's own user agent is a crawler, so these send a phone browser's):");
      lines.push(`  UA='${demoUserAgent}'`);
      lines.push("  # a form post: 303 to the matching rule's target, the capture id in X-Capture-Id");
      lines.push(
        `  curl -si -A "$UA" -X POST '${url}?aff_click_id=abc123' -d email=jane.doe@example.com -d first_name=Jane`,
      );
      lines.push(
        "  # the capture as the consumer stored it (outcome, knowledge, geo, marketing, HTTP log, relay jobs)",
      );
      lines.push(`  curl -s ${auth} '${base}/api/v1/captures/<X-Capture-Id>'`);
      lines.push(
        `  # the same email again, after the edge's ${edgeCacheSeconds(stack)} s cache: known_active_same_brand`,
      );
      lines.push(`  curl -si -A "$UA" -X POST '${url}' -d email=jane.doe@example.com`);
      lines.push("  # the contact and its brand relationships");
      lines.push(`  curl -s ${auth} '${base}/api/v1/contacts?email=jane.doe@example.com'`);
    }
  }
  lines.push(...webhookLines(stack, secrets, dataDir));
  lines.push("", "Ctrl-C stops everything.", "");
  console.log(lines.join("\n"));
}

/** One signed example per webhook; the signatures do not expire (the verifiers check no time window). */
function webhookLines(stack: Stack, secrets: DevSecrets, dataDir: string): string[] {
  const codec = hashIds(stack.alphabet);
  const brandRefs: Record<string, string> = {};
  for (const [slug, id] of Object.entries(stack.seed?.brands ?? {}))
    brandRefs[slug] = codec.encode("brand", id);
  const storeRefs: Record<string, string> = {};
  for (const [shop, id] of Object.entries(stack.seed?.stores ?? {}))
    storeRefs[shop] = codec.encode("store", id);
  const dir = path.join(dataDir, "webhook-examples");
  const { examples, notes } = writeWebhookExamples({
    baseUrl: stack.baseUrl,
    dir,
    secrets,
    brandRefs,
    storeRefs,
  });
  const lines = ["", `Try the webhooks (signed with the secrets above; the bodies are in ${dir}):`];
  for (const example of examples) lines.push(`  # ${example.title}`, `  ${example.curl}`);
  for (const note of notes) lines.push(`  # ${note}`);
  return lines;
}

main().catch((error) => {
  console.error(`[leadrail] ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof PortInUseError) {
    console.error(
      "[leadrail] is another `npm start` running? Other ports: LEADRAIL_PORT=8788 LEADRAIL_BRIDGE_PORT=8791 npm start",
    );
  }
  process.exit(1);
});

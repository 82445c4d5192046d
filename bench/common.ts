/**
 * What the benchmarks share: the Worker bundle as `wrangler deploy` builds it, the compatibility date
 * both it and Miniflare accept, and the project's WebSocket-to-TCP bridge with a round-trip counter.
 */
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { supportedCompatibilityDate } from "miniflare";
import { WebSocket } from "ws";
import { applyMigrations, createScratchDatabase } from "../scripts/lib/database.ts";
import { seedHistory } from "../scripts/lib/history-seed.ts";
import { MessageFramer, startupKind } from "../scripts/lib/pg-wire.ts";
import { seedDemo } from "../scripts/lib/seed.ts";
import { wranglerCompatibilityDate } from "../scripts/lib/wrangler.ts";
import { startWsBridge } from "../scripts/lib/ws-bridge.ts";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

/** The benches' sqids alphabet (any valid one: hash ids are only decoded by the same Worker). */
export const benchAlphabet = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt";

/** wrangler.toml's date, or the newest the installed workerd supports when that is older. */
const configuredCompatibilityDate = wranglerCompatibilityDate(path.join(root, "wrangler.toml"));
export const compatibilityDate =
  // biome-ignore lint/complexity/useMathMinMax: YYYY-MM-DD strings, compared as text (Math.min wants numbers)
  supportedCompatibilityDate < configuredCompatibilityDate
    ? supportedCompatibilityDate
    : configuredCompatibilityDate;

/** Builds a Worker exactly as `wrangler deploy` would, without deploying it; returns the script's path. */
export async function bundleWorker(
  outdir: string,
  config = path.join(root, "wrangler.toml"),
): Promise<string> {
  // Through this process's own node: wrangler needs node 22, which the system node may not be.
  const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");
  await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--config", config], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const script = (await readdir(outdir)).find((file) => file.endsWith(".js"));
  if (!script) throw new Error(`wrangler produced no script in ${outdir}`);
  return path.join(outdir, script);
}

export interface RoundTrips {
  roundTrips: number;
  connections: number;
  /** Bytes the client sent (queries and their parameters). */
  bytes: number;
}

export type CountingBridge = RoundTrips & { port: number; close(): Promise<void> };

/**
 * Counts, in what the client sends, every message the client must wait on before it can go
 * on: the startup packet, a simple Query ('Q') and the Sync ('S') that ends an extended query.
 */
function roundTripCounter(counts: RoundTrips) {
  const framer = new MessageFramer(true);
  let broken = false;
  return (chunk: Buffer) => {
    counts.bytes += chunk.length;
    if (broken) return;
    framer.push(chunk);
    try {
      for (let next = framer.next(); next; next = framer.next()) {
        if (!framer.untyped) {
          if (next[0] === 0x51 || next[0] === 0x53) counts.roundTrips += 1; // Q, S
        } else if (startupKind(next) !== "encryption") {
          // SSLRequest and GSSENCRequest are answered before the real startup packet follows.
          framer.untyped = false;
          counts.roundTrips += 1;
        }
      }
    } catch {
      // Not the protocol after all: the bridge refuses it, and nothing more is counted.
      broken = true;
    }
  };
}

/** The project's bridge (scripts/lib/ws-bridge.ts) with every connection's round trips counted. */
export async function startCountingBridge(target: { host: string; port: number }): Promise<CountingBridge> {
  const counts = { roundTrips: 0, connections: 0, bytes: 0 };
  const handle = await startWsBridge(target, 0, {
    pool: {},
    observe: () => {
      counts.connections += 1;
      return roundTripCounter(counts);
    },
  });
  return Object.assign(counts, handle);
}

/** The p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Opens a Chrome DevTools Protocol session on one inspector target. */
export async function devtools(url: string) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      id += 1;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** Milliseconds of JavaScript (not idle, not garbage collection) per function, largest first. */
export function selfTimes(profile: CpuProfile): {
  busy: number;
  gc: number;
  program: number;
  functions: [string, number][];
} {
  const byNode = new Map<number, number>();
  profile.samples.forEach((sample, index) => {
    byNode.set(sample, (byNode.get(sample) ?? 0) + (profile.timeDeltas[index + 1] ?? 0) / 1000);
  });
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").at(-1) ?? ""}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + (byNode.get(node.id) ?? 0));
  }
  const sum = (prefix: string) =>
    [...byFunction].filter(([name]) => name.startsWith(prefix)).reduce((t, [, ms]) => t + ms, 0);
  const total = [...byFunction.values()].reduce((t, ms) => t + ms, 0);
  // "(program)": the isolate is neither idle nor running JavaScript. workerd's isolates share its
  // thread, so this also holds other isolates' turns and is not counted as this one's work.
  const program = sum("(program)");
  return {
    busy: total - sum("(idle)") - program,
    gc: sum("(garbage collector)"),
    program,
    functions: [...byFunction]
      .filter(([name]) => !name.startsWith("(idle)") && !name.startsWith("(program)"))
      .sort((a, b) => b[1] - a[1]),
  };
}

/**
 * `BENCH_PROFILE=<dir>`: JavaScript CPU profiles, through the Chrome DevTools Protocol, of every
 * worker in workerd over the throughput phase: the consumer (`core:user:`) and Miniflare's own
 * simulators (KV namespace object `kv:ns`, queues, the entry worker). Each goes to
 * `<dir>/<worker>.cpuprofile`; the returned function stops them and prints busy time per worker
 * and the consumer's top functions.
 */
export async function startProfiles(
  inspectorPort: number,
  unit = "batch",
): Promise<(units: number) => Promise<void>> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    id: string;
    webSocketDebuggerUrl: string;
  }[];
  const sessions = await Promise.all(
    targets.map(async (target) => ({ id: target.id, session: await devtools(target.webSocketDebuggerUrl) })),
  );
  for (const { session } of sessions) {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 1000 });
    await session.send("Profiler.start");
  }
  return async (units) => {
    const dir = process.env.BENCH_PROFILE ?? os.tmpdir();
    const lines: string[] = [];
    for (const { id, session } of sessions) {
      const { profile } = (await session.send("Profiler.stop")) as { profile: CpuProfile };
      session.close();
      await writeFile(
        path.join(dir, `${id.replaceAll(":", "_") || "worker"}.cpuprofile`),
        JSON.stringify(profile),
      );
      const times = selfTimes(profile);
      if (times.busy < 1) continue;
      lines.push(
        `${id}: ${round(times.busy / units)} ms JS per ${unit} (gc ${round(times.gc / units)}, "(program)" ${round(times.program / units)})`,
      );
      for (const [name, ms] of times.functions.slice(0, id === "core:user:" ? 40 : 8))
        lines.push(`    ${String(round(ms / units, 2)).padStart(7)}  ${name}`);
    }
    console.error(`workerd JavaScript over the throughput phase:\n${lines.join("\n")}`);
  };
}

/**
 * Miniflare options for the Worker bundle as it deploys: its KV namespaces and queue producers, the
 * deployment vars, and the database reached through the bridge. `bindings` adds or overrides vars.
 */
export function deployedWorker(
  script: string,
  database: { url: string; bridgePort: number },
  bindings: Record<string, string> = {},
) {
  return {
    modules: true as const,
    scriptPath: script,
    modulesRoot: path.dirname(script),
    compatibilityDate,
    compatibilityFlags: ["nodejs_compat"],
    kvNamespaces: ["EDGE_CONFIG", "KNOWLEDGE"],
    queueProducers: {
      CAPTURES_QUEUE: "leadrail-captures",
      RELAYS_QUEUE: "leadrail-relays",
      EVENTS_QUEUE: "leadrail-events",
      SENDS_QUEUE: "leadrail-sends",
    },
    bindings: {
      SQIDS_ALPHABET: benchAlphabet,
      GLOBAL_FALLBACK_URL: "https://global-fallback.bench.test/",
      DATABASE_URL: database.url,
      DB_WS_PROXY: `127.0.0.1:${database.bridgePort}`,
      ...bindings,
    },
  };
}

const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds used so far (Linux /proc, user + system) by the workerd processes this benchmark started
 * and by the database server's processes; `null` where /proc cannot be read, and `workerd: null` when
 * this process has no workerd child. A difference over a run is that run's CPU. The server's processes
 * include backends that have already exited: their time is in the postmaster's reaped-children fields.
 */
function isPostmaster(parent: string | undefined): boolean {
  try {
    const stat = readFileSync(`/proc/${parent}/stat`, "utf8");
    const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    return command !== "postgres" && command !== "postmaster";
  } catch {
    return false;
  }
}

export function benchCpuSeconds(): { workerd: number | null; postgres: number } | null {
  let workerd: number | null = null;
  let postgres = 0;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      const command = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      const used = (Number(fields[11]) + Number(fields[12])) / clockTicks;
      if (command === "workerd" && Number(fields[1]) === process.pid) workerd = (workerd ?? 0) + used;
      else if (command === "postgres" || command === "postmaster") {
        // Exited backends: the postmaster (the one whose parent is not a postgres) waited for them.
        const reaped = (Number(fields[13]) + Number(fields[14])) / clockTicks;
        postgres += used + (isPostmaster(fields[1]) ? reaped : 0);
      }
    }
  } catch {
    return null;
  }
  return { workerd, postgres };
}

/**
 * A Miniflare `handleRuntimeStdio` that hands every whole line the runtime writes (stdout and stderr)
 * to `onLine`, a line cut across two chunks included.
 */
export function stdioLines(onLine: (line: string) => void) {
  return (stdout: Readable, stderr: Readable) => {
    for (const stream of [stdout, stderr]) {
      stream.setEncoding("utf8");
      let rest = "";
      stream.on("data", (chunk: string) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) onLine(line);
      });
    }
  };
}

type QueueWorker = {
  queue(
    queue: string,
    messages: { id: string; timestamp: Date; attempts: number; body: unknown }[],
  ): Promise<{ retryMessages: unknown[]; explicitAcks: string[] }>;
};
let queueMessageSequence = 0;

/** Delivers `bodies` to the Worker's `queue` consumer as one batch; throws unless every message was acked. */
export async function deliverQueueBatch(
  worker: QueueWorker,
  queue: string,
  bodies: readonly unknown[],
): Promise<void> {
  const messages = bodies.map((body) => {
    queueMessageSequence += 1;
    return { id: `bench-${queueMessageSequence}`, timestamp: new Date(), attempts: 1, body };
  });
  const result = await worker.queue(queue, messages);
  const acked = new Set(result.explicitAcks);
  if (result.retryMessages.length > 0 || messages.some((message) => !acked.has(message.id)))
    throw new Error(
      `batch not fully acked: ${acked.size}/${messages.length}, ${result.retryMessages.length} retried`,
    );
}

/** A database holding a generated sales history, and how to let go of it. */
export interface HistoryDatabase {
  url: string;
  /** How long the seed took; `null` for a database reused as it was. */
  seedSeconds: number | null;
  /** Drops a scratch database; leaves a reused one alone. */
  drop(): Promise<void>;
}

/**
 * `reuse` (an already seeded database: nothing is written to it here, nothing dropped), or a scratch
 * database on the bench server named after `name`, migrated and seeded with the demo catalog and a
 * two-year history of `customers` customers ending today.
 */
export async function historyDatabase(
  serverUrl: string,
  reuse: string | undefined,
  name: string,
  customers: number,
): Promise<HistoryDatabase> {
  if (reuse) return { url: reuse, seedSeconds: null, drop: async () => {} };
  const scratch = await createScratchDatabase(
    serverUrl,
    `leadrail_bench_${name}_${process.pid}_${Date.now()}`,
  );
  try {
    await applyMigrations(scratch.url);
    await seedDemo(scratch.url, `lr_bench_${name}_admin_key_000000`);
    const to = new Date();
    to.setUTCHours(0, 0, 0, 0);
    const from = new Date(to);
    from.setUTCFullYear(from.getUTCFullYear() - 2);
    const summary = await seedHistory(scratch.url, {
      customers,
      seed: 1,
      brands: null,
      markets: null,
      from,
      to,
      chunkSize: 10_000,
      append: false,
      fkChecks: false,
    });
    return { url: scratch.url, seedSeconds: summary.seconds, drop: () => scratch.drop() };
  } catch (error) {
    await scratch.drop().catch(() => {});
    throw error;
  }
}

/** The fastest of `runs` timings of `work` after one warm-up run. */
export async function fastest(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Runs `work` over the prepared batches (taken from the end), `concurrency` at a time, for `seconds` or until
 * they run out: how many items `work` reported, per second of the time it took, and the batches' p50.
 */
export async function timedBatches<T>(
  batches: T[],
  seconds: number,
  concurrency: number,
  work: (batch: T) => Promise<number>,
): Promise<{ stored: number; elapsed: number; perSecond: number; p50: number }> {
  const latencies: number[] = [];
  let stored = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const batch = batches.pop();
        if (batch === undefined) break;
        const t0 = performance.now();
        // Not `stored += await …`: that reads `stored` before the await and loses the other loops' counts.
        const count = await work(batch);
        stored += count;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { stored, elapsed, perSecond: stored / elapsed, p50: percentile(latencies, 50) };
}

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { repoRoot } from "./database.ts";

export interface WranglerDevOptions {
  port: number;
  inspectorPort: number;
  /** Directory for local KV and Queues state. */
  persistTo: string;
  /** Passed as `--var NAME:value` (they override wrangler.toml [vars] and .dev.vars). */
  vars: Record<string, string>;
  /**
   * `--env-file` for each (later files win over earlier ones, and `vars` over all). Given, wrangler reads
   * these instead of `.dev.vars`; values in files stay out of the process list, unlike `--var`.
   */
  envFiles?: string[];
  /** Every line wrangler prints (stdout and stderr). */
  onLine?: (line: string) => void;
}

export interface WranglerDev {
  pid: number;
  /** Resolves with the exit code (or signal name) when wrangler ends, however it ends. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

/**
 * Runs `wrangler dev` (local mode: workerd with local KV and Queues) in its own process group,
 * so stopping it also stops the workerd processes it spawned and nothing else.
 */
export function startWranglerDev(options: WranglerDevOptions): WranglerDev {
  const cli = path.join(repoRoot, "node_modules/wrangler/bin/wrangler.js");
  const args = [
    cli,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-port",
    String(options.inspectorPort),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    // `log` (not `info`) so the Worker's own console.log lines are shown.
    "--log-level",
    "log",
  ];
  for (const file of options.envFiles ?? []) args.push("--env-file", file);
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      // No network here beyond the npm registry: skip the Request.cf download (the local placeholder
      // is used) and telemetry.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      FORCE_COLOR: "0",
      NO_COLOR: "1",
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start wrangler dev");
  forwardLines(child, options.onLine ?? (() => {}));

  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  // If this process dies without stopping the stack, do not leave workerd running.
  const onExit = () => killGroup(pid, "SIGKILL");
  process.once("exit", onExit);

  return {
    pid,
    exited,
    stop: async () => {
      process.removeListener("exit", onExit);
      if (done) {
        killGroup(pid, "SIGKILL");
        return;
      }
      killGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      // wrangler can exit before its workerd children do.
      killGroup(pid, "SIGKILL");
    },
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function forwardLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let pending = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    stream.on("end", () => {
      if (pending) onLine(pending);
      pending = "";
    });
  }
}

/** Waits until something answers HTTP at `url` (any status), or fails after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  options: { exited?: Promise<unknown>; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void options.exited?.then(() => {
    exited = true;
  });
  let lastError = "";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    if (exited) throw new Error("wrangler dev exited before it answered");
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: "manual" });
      await response.body?.cancel();
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`nothing answered at ${url} within ${timeoutMs} ms (${lastError})`);
}

/** wrangler.toml as TOML: the one reader of it (vars, compatibility date) for the scripts and benches. */
export function readWranglerToml(file = path.join(repoRoot, "wrangler.toml")): Record<string, unknown> {
  try {
    return parseToml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file} is not valid TOML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * `[vars]` of wrangler.toml, each as text: a string as it is, any other TOML value (a number, a boolean,
 * an array or table, which wrangler hands the Worker as JSON) as its JSON.
 */
export function wranglerTomlVars(file = path.join(repoRoot, "wrangler.toml")): Record<string, string> {
  const vars = readWranglerToml(file).vars;
  if (vars === undefined) return {};
  if (typeof vars !== "object" || vars === null || Array.isArray(vars))
    throw new Error(`${file}: [vars] is not a table`);
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars)) {
    text[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return text;
}

/** wrangler.toml's `compatibility_date` (YYYY-MM-DD). */
export function wranglerCompatibilityDate(file = path.join(repoRoot, "wrangler.toml")): string {
  const date = readWranglerToml(file).compatibility_date;
  if (typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new Error(`${file}: compatibility_date is missing or not a "YYYY-MM-DD" string`);
  return date;
}

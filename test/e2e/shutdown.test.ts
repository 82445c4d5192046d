import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/database.ts";
import { stackPhases } from "../../scripts/lib/stack.ts";

/**
 * `npm start` stopped by a signal in every phase of its start and once it runs: the whole process
 * group exits within a few seconds, and nothing it started (PGlite, the bridge, wrangler and its
 * workerd processes) is left running or holding a port. Its own ports and data directory, so it runs
 * beside the e2e stack and any `npm start` on this machine.
 */

const dataDir = mkdtempSync(path.join(os.tmpdir(), "leadrail-shutdown-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

interface Proc {
  pid: number;
  pgid: number;
  cmdline: string;
}

/** Live (not zombie) processes of this machine, from /proc. */
function processes(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      found.push({ pid: Number(entry), pgid: Number(fields[2]), cmdline });
    } catch {
      // Gone while being read.
    }
  }
  return found;
}

/** Process groups of `wrangler dev` runs that keep their state under this test's data directory. */
const wranglerGroups = (): number[] =>
  processes()
    .filter((proc) => proc.cmdline.includes("wrangler.js dev") && proc.cmdline.includes(dataDir))
    .map((proc) => proc.pgid);

const groupAlive = (pgid: number): boolean => processes().some((proc) => proc.pgid === pgid);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startUntil(
  phase: string,
): Promise<{ child: ChildProcess; output: () => string; ports: number[] }> {
  const ports = [await freePort(), await freePort()];
  // `npm start` itself (npm relays signals to the script too), in its own process group as a terminal
  // runs a command: Ctrl-C signals the whole group.
  const child = spawn("npm", ["start"], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DATABASE_URL: "",
      LEADRAIL_ADMIN_KEY: "",
      LEADRAIL_DATA_DIR: dataDir,
      LEADRAIL_PHASE_MARKERS: "1",
      LEADRAIL_PORT: String(ports[0]),
      LEADRAIL_BRIDGE_PORT: String(ports[1]),
    },
  });
  let text = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  const deadline = Date.now() + 90_000;
  while (!text.includes(`[leadrail] phase: ${phase}\n`)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      throw new Error(`npm start never reached phase ${phase}:\n${text}`);
    }
    await sleep(20);
  }
  return { child, output: () => text, ports };
}

const phases = [...stackPhases, "running"];

describe("npm start stopped by a signal", () => {
  it("lists every phase of a start", () => {
    expect(phases).toEqual([
      "database",
      "migrations",
      "seed",
      "bridge",
      "simulator",
      "wrangler",
      "publish",
      "running",
    ]);
  });

  it.each(phases.map((phase, index) => [phase, index % 2 === 0 ? "SIGINT" : "SIGTERM"] as const))(
    "in phase %s (%s): everything stops and the command exits",
    async (phase, signal) => {
      const { child, output, ports } = await startUntil(phase);
      const pid = child.pid ?? 0;
      const exited = new Promise<number | string>((resolve) =>
        child.once("exit", (code, name) => resolve(code ?? name ?? "unknown")),
      );
      const sentAt = Date.now();
      process.kill(-pid, signal);

      const groups = new Set<number>();
      let code: number | string | null = null;
      void exited.then((value) => {
        code = value;
      });
      while (code === null && Date.now() - sentAt < 15_000) {
        for (const group of wranglerGroups()) groups.add(group);
        await sleep(50);
      }
      const seconds = (Date.now() - sentAt) / 1000;
      if (code === null) process.kill(-pid, "SIGKILL");
      expect(code, output()).toBe(0);
      expect(seconds).toBeLessThan(10);
      expect(output()).toContain("stopping leadrail…\nstopped.\n");
      // Nothing of npm start's group and nothing wrangler started is left, and its ports are free again.
      expect(groupAlive(pid)).toBe(false);
      if (phase === "publish" || phase === "running") expect(groups.size).toBeGreaterThan(0);
      for (const group of groups) expect(groupAlive(group)).toBe(false);
      expect(wranglerGroups()).toEqual([]);
      for (const port of ports) expect(await portIsFree(port)).toBe(true);
    },
    120_000,
  );
});

import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/database.ts";
import {
  api,
  databaseBridge,
  e2e,
  randomEmail,
  showWranglerLogOnFailure,
  sleep,
  sql,
  submitForm,
  waitForCapture,
  wranglerLog,
} from "./support.ts";

const run = promisify(execFile);

interface FailedEventList {
  data: { id: string; queue: string; body: { captureId?: string }; replay_count?: number }[];
}

/** Waits until the wrangler log, after `offset`, has a line matching `pattern`; returns the new text. */
async function waitForLog(offset: number, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = wranglerLog().slice(offset);
    if (pattern.test(text)) return text;
    await sleep(100);
  }
  throw new Error(`wrangler dev did not log ${pattern} within ${timeoutMs} ms`);
}

/** `npm run replay` as a user runs it, against the e2e stack. */
async function replayCommand(args: string[]): Promise<string> {
  const tsx = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");
  const { stdout } = await run(
    process.execPath,
    [tsx, "scripts/replay.ts", "--url", e2e.baseUrl, "--key", e2e.adminKey, ...args],
    { cwd: repoRoot, timeout: 30_000 },
  );
  return stdout;
}

describe(`database down → retries → dead letter → replay (${e2e.databaseKind})`, () => {
  afterEach(async () => {
    // Whatever happened, the next test gets its database back.
    await databaseBridge("start");
  });

  it("keeps redirecting, retries, dead-letters, and stores the capture exactly once after a replay", async () => {
    showWranglerLogOnFailure();
    const email = randomEmail("outage");
    const offset = wranglerLog().length;

    await databaseBridge("stop");
    const answer = await submitForm("northwindSampleAffnet", { email }, { aff_click_id: "clk-outage" });
    // The edge never needs the database: the visitor is redirected as usual.
    expect(answer.status).toBe(303);
    expect(answer.location).toMatch(/^https:\/\/northwind\.example\/thanks\?capture=/);

    // max_retries = 5 on the captures queue: six failed deliveries, then the dead-letter queue.
    const log = await waitForLog(offset, /to dead letter queue "leadrail-captures-dlq"/, 40_000);
    await databaseBridge("start");
    const failedDeliveries = log.match(/QUEUE leadrail-captures 0\/\d+/g) ?? [];
    expect(failedDeliveries.length).toBeGreaterThanOrEqual(6);
    expect((await sql("SELECT 1 FROM captures WHERE id = $1", [answer.captureId])).length).toBe(0);

    // The dead-letter consumer stores the message in failed_events.
    let failed: FailedEventList["data"][number] | undefined;
    const deadline = Date.now() + 30_000;
    while (!failed && Date.now() < deadline) {
      const list = await api<FailedEventList>("GET", "/api/v1/failed-events?queue=leadrail-captures");
      failed = list.data.find((event) => event.body.captureId === answer.captureId);
      if (!failed) await sleep(250);
    }
    if (!failed) throw new Error("the dead-lettered capture never reached failed_events");
    expect(failed.queue).toBe("leadrail-captures");

    const replayOffset = wranglerLog().length;
    const output = await replayCommand(["--id", failed.id]);
    expect(output).toContain(failed.id);
    const stored = await waitForCapture(answer.captureId);
    expect(stored.outcome).toBe("new");

    // A second replay of the same event changes nothing: the pipeline is idempotent on capture id.
    await replayCommand(["--id", failed.id]);
    await waitForLog(replayOffset, /QUEUE leadrail-captures 1\/1[\s\S]*QUEUE leadrail-captures 1\/1/, 20_000);
    const rows = await sql<{ captures: string; events: string }>(
      `SELECT (SELECT count(*) FROM captures WHERE id = $1) AS captures,
              (SELECT count(*) FROM contact_events WHERE capture_id = $1) AS events`,
      [answer.captureId],
    );
    expect(rows[0]).toEqual({ captures: "1", events: expect.any(String) });
    const events = await sql<{ type: string }>(
      "SELECT type FROM contact_events WHERE capture_id = $1 ORDER BY id",
      [answer.captureId],
    );
    expect(events.filter((event) => event.type === "captured").length).toBeLessThanOrEqual(1);
    expect(events.length).toBeGreaterThan(0);
  });
});

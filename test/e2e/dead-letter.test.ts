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
  data: { id: string; queue: string; message_id: string; attempts: number; replay_count: number }[];
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

/** Every row one capture left behind, to compare before and after a redelivery. */
async function footprint(captureId: string) {
  const [counts] = await sql<{ captures: number; http_logs: number; relay_jobs: number }>(
    `SELECT (SELECT count(*) FROM captures WHERE id = $1)::int AS captures,
            (SELECT count(*) FROM capture_http_logs WHERE capture_id = $1)::int AS http_logs,
            (SELECT count(*) FROM relay_jobs WHERE capture_id = $1)::int AS relay_jobs`,
    [captureId],
  );
  const events = await sql(
    "SELECT id, contact_id, brand_id, type FROM contact_events WHERE capture_id = $1 ORDER BY id",
    [captureId],
  );
  const relationships = await sql(
    `SELECT cb.id, cb.state, cb.capture_count, cb.duplicate_count
       FROM contact_brands cb JOIN captures c ON c.contact_id = cb.contact_id AND c.brand_id = cb.brand_id
      WHERE c.id = $1`,
    [captureId],
  );
  return { ...counts, events, relationships };
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
    // (The broker logs the move before the line of the batch that caused it.)
    const log = await waitForLog(
      offset,
      /to dead letter queue "leadrail-captures-dlq"[^\n]*\n[\s\S]*QUEUE leadrail-captures 0\/\d+/,
      40_000,
    );
    await databaseBridge("start");
    const failedDeliveries = log.match(/QUEUE leadrail-captures 0\/\d+/g) ?? [];
    expect(failedDeliveries.length).toBeGreaterThanOrEqual(6);
    const messageId = /Moving message "([^"]+)" on queue "leadrail-captures"/.exec(log)?.[1];
    if (!messageId) throw new Error("no message id in the dead-letter log line");
    expect(await sql("SELECT 1 FROM captures WHERE id = $1", [answer.captureId])).toEqual([]);

    // The dead-letter consumer stores the message in failed_events; the API lists it (without its body).
    let failed: FailedEventList["data"][number] | undefined;
    const deadline = Date.now() + 30_000;
    while (!failed && Date.now() < deadline) {
      const list = await api<FailedEventList>("GET", "/api/v1/failed-events?queue=leadrail-captures");
      failed = list.data.find((event) => event.message_id === messageId);
      if (!failed) await sleep(250);
    }
    if (!failed) throw new Error(`message ${messageId} never reached failed_events`);
    expect(failed).toMatchObject({ queue: "leadrail-captures", replay_count: 0 });
    const stored = await sql<{ capture_id: string }>(
      "SELECT body->>'captureId' AS capture_id FROM failed_events WHERE message_id = $1",
      [messageId],
    );
    expect(stored).toEqual([{ capture_id: answer.captureId }]);

    const replayOffset = wranglerLog().length;
    const output = await replayCommand(["--id", failed.id]);
    expect(output).toContain(`replayed 1 failed event: ${failed.id}`);
    expect((await waitForCapture(answer.captureId)).outcome).toBe("new");

    // A second replay of the same event changes nothing: the pipeline is idempotent on capture id.
    const before = await footprint(answer.captureId);
    expect(before.captures).toBe(1);
    expect(before.events.length).toBeGreaterThan(0);
    await replayCommand(["--id", failed.id]);
    await waitForLog(replayOffset, /QUEUE leadrail-captures 1\/1[\s\S]*QUEUE leadrail-captures 1\/1/, 20_000);
    expect(await footprint(answer.captureId)).toEqual(before);
    const [row] = await sql<{ replay_count: number }>(
      "SELECT replay_count FROM failed_events WHERE message_id = $1",
      [messageId],
    );
    expect(row).toEqual({ replay_count: 2 });
  });
});

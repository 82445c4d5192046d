import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { inject, onTestFailed } from "vitest";
import { callApi } from "../../scripts/lib/api.ts";

/** What the e2e global setup started (see global-setup.ts). */
export const e2e = inject("e2e");

/** A fresh address per test: tests share one database and never assume empty tables. */
export const randomEmail = (label = "visitor"): string => `${label}.${randomUUID().slice(0, 12)}@example.com`;

export interface EdgeAnswer {
  status: number;
  location: string;
  captureId: string;
  /** Length of the wrangler log just before the request: what the Worker logged for it comes after. */
  logOffset: number;
}

/** A form post to a seeded landing, as a browser sends it; redirects are not followed. */
export async function submitForm(
  landingKey: string,
  fields: Record<string, string>,
  query: Record<string, string> = {},
): Promise<EdgeAnswer> {
  const logOffset = wranglerLog().length;
  const response = await fetch(landingUrl(landingKey, query), {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": browserUserAgent,
    },
    body: new URLSearchParams(fields).toString(),
  });
  return edgeAnswer(response, logOffset);
}

/** A plain visit (GET) to a seeded landing. */
export async function visit(landingKey: string, query: Record<string, string> = {}): Promise<EdgeAnswer> {
  const logOffset = wranglerLog().length;
  const response = await fetch(landingUrl(landingKey, query), {
    redirect: "manual",
    headers: { "user-agent": browserUserAgent },
  });
  return edgeAnswer(response, logOffset);
}

const browserUserAgent =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

function landingUrl(landingKey: string, query: Record<string, string>): string {
  const ref = e2e.landingRefs[landingKey];
  if (!ref) throw new Error(`no seeded landing ${landingKey}`);
  const url = new URL(`/l/${ref}`, e2e.baseUrl);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

async function edgeAnswer(response: Response, logOffset: number): Promise<EdgeAnswer> {
  await response.body?.cancel();
  return {
    status: response.status,
    location: response.headers.get("location") ?? "",
    captureId: response.headers.get("x-capture-id") ?? "",
    logOffset,
  };
}

/** The seeded rule's target with `{capture_id}` (and any given macros) filled in. */
export function expectedTarget(ruleKey: string, macros: Record<string, string>): string {
  const rule = e2e.seed.rules[ruleKey];
  if (!rule) throw new Error(`no seeded rule ${ruleKey}`);
  return rule.targetUrl.replace(/\{([a-z0-9_]+)\}/g, (_, name: string) =>
    encodeURIComponent(macros[name] ?? ""),
  );
}

/** The admin API, with the e2e admin key. */
export const api = <T = unknown>(method: string, path: string, body?: unknown): Promise<T> =>
  callApi<T>(e2e.baseUrl, e2e.adminKey, method, path, body);

/**
 * Waits until the consumer is done with the capture: stored (the API shows it) and its batch acked,
 * which the consumer does only after its after-commit work (the KV knowledge index) is written. Only
 * then does the next request of the same email see what this one stored. The e2e files run one at a
 * time, so the acked batch after the request is the one that carried it.
 */
export async function waitForProcessed(answer: EdgeAnswer, timeoutMs = 20_000): Promise<CaptureView> {
  const capture = await waitForCapture(answer.captureId, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (!/QUEUE leadrail-captures [1-9]\d*\/\d+/.test(wranglerLog().slice(answer.logOffset))) {
    if (Date.now() > deadline)
      throw new Error(`the batch of capture ${answer.captureId} was not acked in time`);
    await sleep(50);
  }
  return capture;
}

/** Polls `GET /api/v1/captures/:id` until the consumer has stored the capture. */
export async function waitForCapture(captureId: string, timeoutMs = 20_000): Promise<CaptureView> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const response = await fetch(new URL(`/api/v1/captures/${captureId}`, e2e.baseUrl), {
      headers: { authorization: `Bearer ${e2e.adminKey}` },
    });
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as CaptureView;
    if (response.status !== 404) throw new Error(`GET capture ${captureId} → ${response.status}: ${text}`);
    last = text;
    await sleep(200);
  }
  throw new Error(`capture ${captureId} was not stored within ${timeoutMs} ms (${last})`);
}

/** The parts of `GET /api/v1/captures/:id` the e2e tests read. */
export interface CaptureView {
  id: string;
  outcome: string;
  [key: string]: unknown;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Direct SQL against the stack's database, for facts the API does not expose (row counts). */
export async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: e2e.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Stops or starts the WebSocket bridge between the Worker and Postgres: "the database is down". */
export async function databaseBridge(action: "stop" | "start"): Promise<void> {
  const response = await fetch(`${e2e.controlUrl}/bridge/${action}`, { method: "POST" });
  if (response.status !== 204) throw new Error(`bridge ${action} failed: ${await response.text()}`);
}

/** What `wrangler dev` printed so far. */
export const wranglerLog = (): string => readFileSync(e2e.wranglerLog, "utf8");

/** On failure, show the end of the wrangler log: the Worker's own errors are there. */
export function showWranglerLogOnFailure(): void {
  onTestFailed(() => {
    const lines = wranglerLog().split("\n");
    console.error(`--- last lines of wrangler dev (${e2e.wranglerLog}) ---\n${lines.slice(-80).join("\n")}`);
  });
}

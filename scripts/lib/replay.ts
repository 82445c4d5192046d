import { parseArgs } from "node:util";
import { adminKeyFromEnv, BadApiKeyError, checkApiKey } from "./admin-key.ts";
import { callApi } from "./api.ts";
import { readArgs, UsageError } from "./args.ts";

/** Which failed events to replay; every field narrows the selection. */
export interface ReplaySelection {
  /** Failed event ids as the API shows them (hash ids). */
  ids?: string[];
  queue?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface ReplayOptions extends ReplaySelection {
  url: string;
  key: string;
}

/** Asks the API to re-enqueue failed events (`POST /api/v1/failed-events/replay`) and returns its answer. */
export function replayFailedEvents(options: ReplayOptions): Promise<unknown> {
  const body: ReplaySelection = {};
  if (options.ids && options.ids.length > 0) body.ids = options.ids;
  if (options.queue) body.queue = options.queue;
  if (options.since) body.since = options.since;
  if (options.until) body.until = options.until;
  if (options.limit !== undefined) body.limit = options.limit;
  return callApi(options.url, options.key, "POST", "/api/v1/failed-events/replay", body);
}

export const replayUsage = `Usage: npm run replay -- [options]

Re-enqueues messages that landed in failed_events (their queue's dead-letter queue gave up on them).
With no selection, every failed event not yet replayed is replayed (up to the API's limit).

Options:
  --id ID          a failed event id as GET /api/v1/failed-events lists it (repeat for several)
  --queue NAME     only events of this queue (e.g. leadrail-captures)
  --since ISO      only events that failed at or after this time (e.g. 2026-11-22T10:00:00Z)
  --until ISO      only events that failed before this time
  --limit N        at most N events
  --url URL        the Worker (default http://127.0.0.1:$LEADRAIL_PORT, else http://127.0.0.1:8787)
  --key KEY        admin API key (default: LEADRAIL_ADMIN_KEY, else the demo key)
  -h, --help       this text`;

/** Parses the replay command line; throws UsageError with a message naming the bad flag. */
export function parseReplayArgs(argv: string[]): ReplayOptions | "help" {
  const values = readArgs(parse, argv);
  if (values === "help") return "help";

  const ids = (values.id ?? []).map((raw) => failedEventId(raw));
  const limit = values.limit === undefined ? undefined : positiveInt("--limit", values.limit);
  const { since, until } = timeRange(values);
  if (values.queue !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(values.queue)) {
    throw new UsageError(`--queue: not a queue name: ${JSON.stringify(values.queue)}`);
  }
  const { url, key } = apiTarget(values);

  return {
    url,
    key,
    ids,
    ...(values.queue !== undefined ? { queue: values.queue } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/**
 * The local Worker `npm start` runs: on LEADRAIL_PORT when set, as `npm start` reads it, so a second stack on
 * other ports is the one its commands reach (not whichever stack holds 8787).
 */
export function localWorkerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.LEADRAIL_PORT;
  if (raw === undefined || raw === "") return "http://127.0.0.1:8787";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`LEADRAIL_PORT must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  }
  return `http://127.0.0.1:${port}`;
}

/** `--url` (default the local Worker) and `--key` (default LEADRAIL_ADMIN_KEY, else the demo key), checked. */
export function apiTarget(
  values: { url?: string | undefined; key?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): {
  url: string;
  key: string;
} {
  const url = values.url ?? localWorkerUrl(env);
  try {
    const parsedUrl = new URL(url);
    if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new UsageError(`--url: not an http(s) URL: ${JSON.stringify(url)}`);
  }
  if (values.key !== undefined && values.key.trim() === "") throw new UsageError("--key is empty");
  // Refused here, before any request: the API would answer 401 to a key of another form.
  try {
    const key = values.key === undefined ? adminKeyFromEnv() : checkApiKey(values.key.trim(), "--key");
    return { url, key };
  } catch (error) {
    if (error instanceof BadApiKeyError) throw new UsageError(error.message);
    throw error;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      id: { type: "string", multiple: true },
      queue: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string" },
      url: { type: "string" },
      key: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

export function positiveInt(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()))
    throw new UsageError(`${flag}: expected a positive integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${flag}: expected a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function failedEventId(raw: string): string {
  const value = raw.trim();
  if (!/^[A-Za-z0-9]{1,32}$/.test(value)) {
    throw new UsageError(`--id: not a failed event id: ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `--since` and `--until` as ISO times; the range must not be empty. */
export function timeRange(values: { since?: string | undefined; until?: string | undefined }): {
  since: string | undefined;
  until: string | undefined;
} {
  const since = values.since === undefined ? undefined : isoTime("--since", values.since);
  const until = values.until === undefined ? undefined : isoTime("--until", values.until);
  if (since && until && Date.parse(since) >= Date.parse(until)) {
    throw new UsageError("--since must be before --until");
  }
  return { since, until };
}

export function isoTime(flag: string, raw: string): string {
  // A date, or a date-time with an explicit zone: a bare local time would mean different things on different machines.
  const shape = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const time = Date.parse(raw);
  if (!shape.test(raw) || Number.isNaN(time)) {
    throw new UsageError(
      `${flag}: expected an ISO 8601 time such as 2026-11-22T10:00:00Z, got ${JSON.stringify(raw)}`,
    );
  }
  return new Date(time).toISOString();
}

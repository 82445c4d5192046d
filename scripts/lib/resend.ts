import { parseArgs } from "node:util";
import { callApi } from "./api.ts";
import { readArgs, UsageError } from "./args.ts";
import { apiTarget, positiveInt, timeRange } from "./replay.ts";

const statuses = ["failed", "paused", "pending"] as const;
type ResendStatus = (typeof statuses)[number];

/** Which relay jobs to resend; every field narrows the selection. */
export interface ResendSelection {
  /** Relay job ids as the API shows them (hash ids). */
  ids?: string[];
  /** A partner's hash id. */
  partner?: string;
  since?: string;
  until?: string;
  status?: ResendStatus[];
  limit?: number;
}

export interface ResendOptions extends ResendSelection {
  url: string;
  key: string;
}

/** Asks the API to resend relay jobs (`POST /api/v1/relays/resend`) and returns its answer. */
export function resendRelayJobs(options: ResendOptions): Promise<unknown> {
  const body: ResendSelection = {};
  if (options.ids && options.ids.length > 0) body.ids = options.ids;
  if (options.partner) body.partner = options.partner;
  if (options.since) body.since = options.since;
  if (options.until) body.until = options.until;
  if (options.status && options.status.length > 0) body.status = options.status;
  if (options.limit !== undefined) body.limit = options.limit;
  return callApi(options.url, options.key, "POST", "/api/v1/relays/resend", body);
}

export const resendUsage = `Usage: npm run resend -- [options]

Sends relay jobs (partner postbacks and lead relays) again: they are reset to pending and queued.
Idempotent: a job that has succeeded since is never sent again. Choose the jobs with --id, --partner
or a time range; by default only failed jobs are resent (with --id: failed, paused and pending).

Options:
  --id ID          a relay job id as GET /api/v1/relays lists it (repeat for several)
  --partner ID     every job of this partner (a partner id as GET /api/v1/partners lists it)
  --since ISO      only jobs created at or after this time (e.g. 2026-11-22T10:00:00Z)
  --until ISO      only jobs created before this time
  --status S       failed, paused or pending (repeat for several; default failed)
  --limit N        at most N jobs (the API's default is 100)
  --url URL        the Worker (default http://127.0.0.1:$LEADRAIL_PORT, else http://127.0.0.1:8787)
  --key KEY        API key (default: LEADRAIL_ADMIN_KEY, else the demo key)
  -h, --help       this text`;

/** Parses the resend command line; throws UsageError with a message naming the bad flag. */
export function parseResendArgs(argv: string[]): ResendOptions | "help" {
  const values = readArgs(parse, argv);
  if (values === "help") return "help";

  const ids = (values.id ?? []).map((raw) => hashId("--id", "relay job", raw));
  const partner = values.partner === undefined ? undefined : hashId("--partner", "partner", values.partner);
  const { since, until } = timeRange(values);
  if (ids.length === 0 && partner === undefined && since === undefined && until === undefined) {
    throw new UsageError("choose the jobs: --id, --partner, or --since/--until");
  }
  const status = (values.status ?? []).map((raw) => {
    if (!(statuses as readonly string[]).includes(raw))
      throw new UsageError(`--status: expected ${statuses.join(", ")}, got ${JSON.stringify(raw)}`);
    return raw as ResendStatus;
  });
  const limit = values.limit === undefined ? undefined : positiveInt("--limit", values.limit);
  const { url, key } = apiTarget(values);

  return {
    url,
    key,
    ids,
    ...(partner !== undefined ? { partner } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(status.length > 0 ? { status } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      id: { type: "string", multiple: true },
      partner: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      status: { type: "string", multiple: true },
      limit: { type: "string" },
      url: { type: "string" },
      key: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function hashId(flag: string, what: string, raw: string): string {
  const value = raw.trim();
  if (!/^[A-Za-z0-9]{1,64}$/.test(value)) {
    throw new UsageError(`${flag}: not a ${what} id: ${JSON.stringify(raw)}`);
  }
  return value;
}

import { z } from "zod";
import { sqlState } from "../../db/sql-state.ts";
import { exponentialBackoff } from "../../domain/core/backoff.ts";
import type { Env } from "../../domain/platform/env.ts";

/** The longest back-off a message waits between attempts. */
export const maxRetryDelaySeconds = 300;

/** Exponential back-off: base · 2^(attempts − 1), capped at five minutes. */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return exponentialBackoff(attempts, { baseSeconds, capSeconds: maxRetryDelaySeconds });
}

const consumerConfigSchema = z.object({
  CAPTURE_RETRY_BASE_SECONDS: z.preprocess(
    (value) => (value === "" || value === undefined ? undefined : value),
    z.coerce.number().positive().max(maxRetryDelaySeconds).default(2),
  ),
});
export type ConsumerConfig = z.infer<typeof consumerConfigSchema>;

/** Consumer settings from the Worker's vars (`CAPTURE_RETRY_BASE_SECONDS`, default 2). */
export function consumerConfig(env: Env): ConsumerConfig {
  const result = consumerConfigSchema.safeParse(env);
  if (!result.success) {
    throw new Error(
      `invalid Worker configuration: ${result.error.issues.map((i) => i.path.join(".")).join(", ")}`,
    );
  }
  return result.data;
}

/** Thrown by pipeline code that is not a database call: a bug or an unexpected shape, never the network. */
export class ProcessingError extends Error {
  constructor(cause: unknown) {
    super("capture processing failed", { cause });
    this.name = "ProcessingError";
  }
}

/**
 * Whether retrying the same work later is all one can do: the database is unreachable, the
 * connection broke, or the server is out of resources. Anything else (a constraint, a bad
 * value, a bug) belongs to some message of the batch, so the handler isolates it instead.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof ProcessingError) return false;
  const state = sqlState(error);
  if (state === null) return true;
  return ["08", "53", "57", "58"].includes(state.slice(0, 2));
}

/** What a log line may say about an error: its kind and code, never its message (it can quote data). */
export function describeError(error: unknown): { name: string; code: string | null } {
  const root = error instanceof ProcessingError ? error.cause : error;
  return { name: errorName(root), code: sqlState(error) };
}

/**
 * An Error's name; for anything else thrown (the driver rejects with the WebSocket's error
 * Event when the database cannot be reached) its constructor and event type, e.g. `ErrorEvent:error`.
 */
function errorName(root: unknown): string {
  if (root instanceof Error) return root.name;
  if (typeof root !== "object" || root === null) return typeof root;
  const constructorName = typeof root.constructor === "function" ? root.constructor.name : "";
  const type = "type" in root && typeof root.type === "string" ? root.type : null;
  const kind = constructorName || "object";
  return type ? `${kind}:${type}` : kind;
}

/** What a consumer tells {@link commitWithFallback} about its units. */
export interface FallbackHooks<U> {
  /** Log event prefix (`capture`, `events`): lines `<prefix>.batch_failed`, `.batch_fallback`, `.message_failed`. */
  prefix: string;
  /** The fallback line's count field, e.g. `{ units: 12 }`. */
  countField: string;
  messageId: (unit: U) => string | undefined;
  retry: (units: readonly U[]) => void;
  /** Called once when the batch falls back to one unit at a time. */
  onFallback: () => void;
}

/**
 * Commits a batch's units in one transaction; when that fails on something one of them carries, commits
 * them one at a time so the others are stored and only the bad one is retried. A connection failure
 * retries every unit not committed and stops there (`broken`: the client must not be reused).
 */
export async function commitWithFallback<U, C>(
  units: readonly U[],
  commit: (units: readonly U[]) => Promise<C>,
  hooks: FallbackHooks<U>,
): Promise<{ committed: C[]; broken: boolean }> {
  const log = (event: string, fields: Record<string, unknown>) =>
    console.log(JSON.stringify({ event: `${hooks.prefix}.${event}`, ...fields }));
  const committed: C[] = [];
  try {
    committed.push(await commit(units));
    return { committed, broken: false };
  } catch (error) {
    if (isConnectionFailure(error)) {
      hooks.retry(units);
      log("batch_failed", { stage: "database", error: describeError(error) });
      return { committed, broken: true };
    }
    hooks.onFallback();
    log("batch_fallback", { error: describeError(error), [hooks.countField]: units.length });
  }
  for (const [index, unit] of units.entries()) {
    try {
      committed.push(await commit([unit]));
    } catch (unitError) {
      hooks.retry([unit]);
      log("message_failed", { messageId: hooks.messageId(unit), error: describeError(unitError) });
      if (isConnectionFailure(unitError)) {
        hooks.retry(units.slice(index + 1));
        return { committed, broken: true };
      }
    }
  }
  return { committed, broken: false };
}

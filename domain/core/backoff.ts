/** How a retry waits: `baseSeconds` after the first failed attempt, doubling after each further one, never past `capSeconds`. */
export interface Backoff {
  baseSeconds: number;
  capSeconds: number;
}

/**
 * Whole seconds to wait after failed attempt number `attempt` (1-based; below 1 counts as 1):
 * round(min(base · 2^(attempt − 1), cap)). No jitter: the wait is a function of the attempt alone, so
 * a job's stored schedule and the tests can name it exactly. Whole seconds because a queue's
 * `delaySeconds` takes nothing else, and a relay job's next attempt is scheduled by the second.
 */
export function exponentialBackoff(attempt: number, { baseSeconds, capSeconds }: Backoff): number {
  const exponent = Math.max(0, Math.trunc(attempt) - 1);
  return Math.round(Math.min(baseSeconds * 2 ** exponent, capSeconds));
}

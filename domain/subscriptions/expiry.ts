import { sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { pgArray } from "../../db/sql.ts";
import { canTransition, isFinalState, subscriptionStates } from "./states.ts";

/** The states the transition table lets expire (today `active` and `suspended`). */
export const expirableStates = subscriptionStates.filter((state) => canTransition(state, "expired"));

/** The history reason of an expiry by the nightly batch. */
export const expiryReason = "The current period ended.";

// `expired` is final, so the row gets `ended_at` as transitionSubscription gives every final move.
const endsIt = isFinalState("expired");

/**
 * Expires up to `limit` subscriptions whose current period ended before `before` and whose state may move
 * to `expired`, with the history row transitionSubscription writes for that move (from, to, occurrences,
 * `changed_at` the transaction's time), source `batch`. One statement: the rows are locked first, as the
 * verb locks its row, so a concurrent transition or renewal is waited for and its result re-checked (a
 * subscription renewed meanwhile no longer matches). Returns how many it expired; fewer than `limit` means
 * none is left.
 */
export async function expireEndedSubscriptions(
  tx: Transaction,
  input: { before: Date; limit: number },
): Promise<number> {
  const result = await tx.execute(sql`
    WITH due AS (
      SELECT id, state FROM subscriptions
       WHERE state = ANY(${pgArray(expirableStates)}::subscription_state[])
         AND current_period_end < ${input.before.toISOString()}::timestamptz
       ORDER BY id
       LIMIT ${input.limit}
       FOR UPDATE
    ), moved AS (
      UPDATE subscriptions s
         SET state = 'expired', updated_at = now()${endsIt ? sql`, ended_at = now()` : sql``}
        FROM due
       WHERE s.id = due.id
      RETURNING s.id, due.state AS from_state, s.occurrences
    )
    INSERT INTO subscription_history (subscription_id, from_state, to_state, occurrences, source, reason)
    SELECT id, from_state, 'expired', occurrences, 'batch', ${expiryReason} FROM moved`);
  return result.rowCount ?? 0;
}

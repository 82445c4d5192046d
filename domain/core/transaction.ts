import { PgTransaction } from "drizzle-orm/pg-core";
import type { Executor, Transaction } from "../../db/client.ts";
import { retryableStates, sqlState } from "../../db/sql-state.ts";

/**
 * Runs `work` in a transaction, reusing the caller's when `db` already is one, so verbs
 * compose: a verb called from another verb's transaction commits or rolls back with it.
 */
export async function withTransaction<T>(db: Executor, work: (tx: Transaction) => Promise<T>): Promise<T> {
  if (db instanceof PgTransaction) return work(db as Transaction);
  return db.transaction(work);
}

/** A transaction lost a race it can win by running again (a row another transaction created meanwhile). */
export class RetryableConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetryableConflict";
  }
}

/**
 * Runs `work` (one whole transaction) again when it failed only because of concurrency: a deadlock, a
 * serialization failure, or a {@link RetryableConflict}. Anything else is rethrown at once.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const state = sqlState(error);
      const retryable = error instanceof RetryableConflict || (state !== null && retryableStates.has(state));
      if (!retryable || attempt >= attempts) throw error;
    }
  }
}

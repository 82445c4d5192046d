import { PgTransaction } from "drizzle-orm/pg-core";
import type { Executor, Transaction } from "../db/client.ts";

/**
 * Runs `work` in a transaction, reusing the caller's when `db` already is one, so verbs
 * compose: a verb called from another verb's transaction commits or rolls back with it.
 */
export async function withTransaction<T>(db: Executor, work: (tx: Transaction) => Promise<T>): Promise<T> {
  if (db instanceof PgTransaction) return work(db as Transaction);
  return db.transaction(work);
}

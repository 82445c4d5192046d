import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { pgArray } from "../db/sql.ts";
import { type KnowledgeEntry, knowledgeKey } from "./knowledge.ts";

/**
 * Reads the current knowledge of the given emails from Postgres (the source of truth):
 * sha256 → brand ids with an active or restored relationship. An email is known once it has a
 * contact (an address seen only in invalid captures is not). One query, whatever the count.
 */
export async function loadKnowledge(
  db: Executor,
  emailIds: readonly number[],
): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>();
  if (emailIds.length === 0) return result;
  const rows = await db.execute<{ sha256: string; active_brands: (string | number)[] | null }>(sql`
    SELECT e.sha256,
           array_agg(cb.brand_id ORDER BY cb.brand_id)
             FILTER (WHERE cb.state IN ('active', 'restored')) AS active_brands
      FROM emails e
      JOIN contacts c ON c.email_id = e.id
      LEFT JOIN contact_brands cb ON cb.contact_id = c.id
     WHERE e.id = ANY(${pgArray(emailIds)}::bigint[])
     GROUP BY e.sha256`);
  for (const row of rows.rows) result.set(row.sha256, (row.active_brands ?? []).map(Number));
  return result;
}

/**
 * How long a knowledge write that failed waits before its one more try. KV takes at most one write per
 * second to a key and refuses the next with a 429: the same email captured again in the next batch,
 * or unsubscribed just after its capture. Waiting past that second lets the write through instead of
 * failing (and so retrying) the whole batch.
 */
export const knowledgeRewriteDelayMs = 1_100;

/** The knowledge writes that failed twice; `cause` is the first of the second failures. */
export class KnowledgePublishError extends Error {
  override readonly name = "KnowledgePublishError";

  constructor(
    readonly failed: number,
    readonly total: number,
    cause: unknown,
  ) {
    super(`${failed} of ${total} knowledge index writes failed twice`, { cause });
  }
}

/**
 * Writes the knowledge index entries the edge reads. Call only after the write that changed them
 * committed. A write that fails is tried once more after `rewriteDelayMs`; only one that fails again
 * rejects the whole (with {@link KnowledgePublishError}), and the caller retries.
 */
export async function publishKnowledge(
  kv: KVNamespace,
  knowledge: Map<string, number[]>,
  options: { now?: Date; rewriteDelayMs?: number } = {},
): Promise<void> {
  const at = (options.now ?? new Date()).toISOString();
  const writes = [...knowledge].map(([sha256, activeBrands]): KvWrite => {
    const entry: KnowledgeEntry = { v: 1, activeBrands, at };
    return { key: knowledgeKey(sha256), value: JSON.stringify(entry) };
  });
  const failed = await putAll(kv, writes);
  if (failed.length === 0) return;
  await new Promise((resolve) => setTimeout(resolve, options.rewriteDelayMs ?? knowledgeRewriteDelayMs));
  const failedAgain = await putAll(
    kv,
    failed.map(({ write }) => write),
  );
  const first = failedAgain[0];
  if (first) throw new KnowledgePublishError(failedAgain.length, writes.length, first.error);
}

interface KvWrite {
  key: string;
  value: string;
}

/** Every write at once; the ones that failed, with their errors. */
async function putAll(
  kv: KVNamespace,
  writes: readonly KvWrite[],
): Promise<{ write: KvWrite; error: unknown }[]> {
  const settled = await Promise.allSettled(writes.map(({ key, value }) => kv.put(key, value)));
  const failed: { write: KvWrite; error: unknown }[] = [];
  settled.forEach((result, index) => {
    const write = writes[index];
    if (result.status === "rejected" && write) failed.push({ write, error: result.reason });
  });
  return failed;
}

/** Recomputes and republishes the knowledge of these emails. */
export async function refreshKnowledge(
  db: Executor,
  kv: KVNamespace,
  emailIds: readonly number[],
): Promise<void> {
  await publishKnowledge(kv, await loadKnowledge(db, emailIds));
}

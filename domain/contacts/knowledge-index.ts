import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { pgArray } from "../../db/sql.ts";
import { type KvWrite, putEntries } from "../platform/kv-write.ts";
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
 * Writes the knowledge index entries the edge reads. Call only after the write that changed them
 * committed. A write KV refuses is tried once more a little over a second later (see {@link putEntries});
 * one refused twice rejects with `KvWriteError`, and the caller retries.
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
  await putEntries(kv, writes, { rewriteDelayMs: options.rewriteDelayMs });
}

/** Recomputes and republishes the knowledge of these emails. */
export async function refreshKnowledge(
  db: Executor,
  kv: KVNamespace,
  emailIds: readonly number[],
): Promise<void> {
  await publishKnowledge(kv, await loadKnowledge(db, emailIds));
}

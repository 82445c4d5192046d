import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { landings, partners, redirectRules } from "../db/schema/catalog.ts";
import { type LandingDoc, landingKey, type RulesDoc, rulesKey } from "./edge-config.ts";
import { Unavailable } from "./errors.ts";
import { assertAdmin, type Principal } from "./scope.ts";
import type { PageInput } from "./verb.ts";

/**
 * Publishing Postgres state to the EDGE_CONFIG KV namespace. Each publish reads the current
 * rows under a transaction-scoped advisory lock and writes KV before releasing it: two
 * publishers of the same document are serialised, and the one that writes last also read
 * last, so KV never ends on an older state than Postgres (KV is last-write-wins).
 */
const lockClass = 0x4c52; // "LR"
const landingsLock = 1;
const rulesLock = 2;

const publishFailed = (what: string, cause: unknown) =>
  new Unavailable(
    `Publishing ${what} to the edge failed (a change you made is saved); retry, or call POST /api/v1/admin/publish.`,
    { cause },
  );

type LandingWithPartner = {
  landing: typeof landings.$inferSelect;
  clickIdParam: string;
  transactionIdParam: string;
};

export function landingDoc({ landing, clickIdParam, transactionIdParam }: LandingWithPartner): LandingDoc {
  return {
    v: 1,
    id: landing.id,
    brandId: landing.brandId,
    themeId: landing.themeId,
    partnerId: landing.partnerId,
    productId: landing.productId,
    fallbackUrl: landing.fallbackUrl,
    active: landing.active,
    clickIdParam,
    transactionIdParam,
  };
}

/** Which landings to publish: some by id, or one page of all of them in id order. */
export type LandingSelection = readonly number[] | PageInput;

async function loadLandingDocs(tx: Transaction, selection: LandingSelection): Promise<LandingDoc[]> {
  const query = tx
    .select({
      landing: landings,
      clickIdParam: partners.clickIdParam,
      transactionIdParam: partners.transactionIdParam,
    })
    .from(landings)
    .innerJoin(partners, eq(partners.id, landings.partnerId));
  const rows =
    "limit" in selection
      ? await query
          .where(selection.after === null ? undefined : gt(landings.id, selection.after))
          .orderBy(asc(landings.id))
          .limit(selection.limit)
      : await query.where(inArray(landings.id, [...selection])).orderBy(asc(landings.id));
  return rows.map(landingDoc);
}

/** KV allows many concurrent writes, but a Worker invocation should not fire thousands at once. */
const putConcurrency = 50;

async function putAll(kv: KVNamespace, entries: [string, string][]): Promise<void> {
  for (let start = 0; start < entries.length; start += putConcurrency) {
    await Promise.all(entries.slice(start, start + putConcurrency).map(([key, value]) => kv.put(key, value)));
  }
}

/** Publishes the LandingDoc of the given landings (or of one page of all landings); returns what was written. */
export async function publishLandings(
  db: Database,
  kv: KVNamespace,
  selection: LandingSelection,
): Promise<LandingDoc[]> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${lockClass}::int, ${landingsLock}::int)`);
      const docs = await loadLandingDocs(tx, selection);
      await putAll(
        kv,
        docs.map((doc) => [landingKey(doc.id), JSON.stringify(doc)]),
      );
      return docs;
    });
  } catch (error) {
    throw publishFailed("landings", error);
  }
}

/** The rules document: every active rule, in id order. */
export async function loadRulesDoc(db: Database | Transaction, now: Date): Promise<RulesDoc> {
  const rows = await db
    .select()
    .from(redirectRules)
    .where(eq(redirectRules.active, true))
    .orderBy(asc(redirectRules.id));
  return {
    v: 1,
    publishedAt: now.toISOString(),
    rules: rows.map((rule) => ({
      id: rule.id,
      brandId: rule.brandId,
      themeId: rule.themeId,
      partnerId: rule.partnerId,
      productId: rule.productId,
      knowledge: rule.knowledge,
      priority: rule.priority,
      targetUrl: rule.targetUrl,
    })),
  };
}

/** Rebuilds the rules document from Postgres and writes it to KV key `rules`. */
export async function publishRules(db: Database, kv: KVNamespace): Promise<RulesDoc> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${lockClass}::int, ${rulesLock}::int)`);
      const doc = await loadRulesDoc(tx, new Date());
      await kv.put(rulesKey, JSON.stringify(doc));
      return doc;
    });
  } catch (error) {
    throw publishFailed("the rules", error);
  }
}

/** Most landings one republish call writes: a Worker invocation may make at most 1,000 KV operations. */
export const maxLandingsPerPublish = 500;

/**
 * Republishes one page of landings (in id order) and the rules document (admins only): after
 * seeding, after restoring a database, or to repair a publish that failed after its change was
 * saved. `nextAfter` is where the next call continues; `null` once every landing is written.
 */
export async function republishEdgeConfig({
  ctx,
  input,
}: {
  ctx: { db: Database; principal: Principal; edgeConfig: KVNamespace };
  input: PageInput;
}): Promise<{ landings: number; rules: number; publishedAt: string; nextAfter: number | null }> {
  assertAdmin(ctx.principal);
  const limit = Math.min(input.limit, maxLandingsPerPublish);
  const docs = await publishLandings(ctx.db, ctx.edgeConfig, { limit, after: input.after });
  const rules = await publishRules(ctx.db, ctx.edgeConfig);
  const last = docs.at(-1);
  return {
    landings: docs.length,
    rules: rules.rules.length,
    publishedAt: rules.publishedAt,
    nextAfter: docs.length === limit && last ? last.id : null,
  };
}

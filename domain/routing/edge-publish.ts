import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Database, Transaction } from "../../db/client.ts";
import { landings, partners, redirectRules } from "../../db/schema/catalog.ts";
import { Unavailable } from "../core/errors.ts";
import { assertAdmin, type Principal } from "../core/scope.ts";
import type { PageInput } from "../core/verb.ts";
import { putEntries } from "../platform/kv-write.ts";
import {
  type LandingDoc,
  landingKey,
  type PartnerDoc,
  partnerKey,
  type RulesDoc,
  rulesKey,
} from "./edge-config.ts";

/**
 * Publishing Postgres state to the EDGE_CONFIG KV namespace. Each publish reads the current
 * rows under a transaction-scoped advisory lock and writes KV before releasing it: two
 * publishers of the same document are serialised, and the one that writes last also read
 * last, so KV never ends on an older state than Postgres (KV is last-write-wins).
 */
const lockClass = 0x4c52; // "LR"
const landingsLock = 1;
const rulesLock = 2;
const partnersLock = 3;

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

/** Documents as JSON, 50 at a time; a write KV refuses (one write per second per key) is tried again a second later. */
const putDocuments = (kv: KVNamespace, docs: { key: string; doc: unknown }[]): Promise<void> =>
  putEntries(
    kv,
    docs.map(({ key, doc }) => ({ key, value: JSON.stringify(doc) })),
    { concurrency: putConcurrency },
  );

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
      await putDocuments(
        kv,
        docs.map((doc) => ({ key: landingKey(doc.id), doc })),
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
      // Under the lock: publishes follow each other, and a second one within KV's one write per second to
      // the key is written again a second later rather than refused.
      await putDocuments(kv, [{ key: rulesKey, doc }]);
      return doc;
    });
  } catch (error) {
    throw publishFailed("the rules", error);
  }
}

type PublishedPartner = Pick<
  typeof partners.$inferSelect,
  "id" | "signingSecret" | "postbackUrl" | "postbackMethod" | "postbackEvents" | "payout" | "payoutCurrency"
>;

export function partnerDoc(partner: PublishedPartner): PartnerDoc {
  const redirectPostback =
    partner.postbackMethod === "redirect" && partner.postbackUrl !== null
      ? {
          urlTemplate: partner.postbackUrl,
          events: partner.postbackEvents,
          payout: partner.payout,
          currency: partner.payoutCurrency,
        }
      : null;
  return { v: 1, id: partner.id, active: true, signingSecret: partner.signingSecret, redirectPostback };
}

/** Which partners to publish: some by id, or one page of all of them in id order. */
export type PartnerSelection = readonly number[] | PageInput;

/**
 * Publishes the PartnerDoc of the given partners (or of one page of all partners); a partner asked
 * for by id that no longer exists has its document deleted, so the edge stops accepting it.
 * Call it after every committed change of a partner (its signing secret, its redirect postback). Returns
 * what was written.
 */
export async function publishPartners(
  db: Database,
  kv: KVNamespace,
  selection: PartnerSelection,
): Promise<PartnerDoc[]> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${lockClass}::int, ${partnersLock}::int)`);
      const query = tx
        .select({
          id: partners.id,
          signingSecret: partners.signingSecret,
          postbackUrl: partners.postbackUrl,
          postbackMethod: partners.postbackMethod,
          postbackEvents: partners.postbackEvents,
          payout: partners.payout,
          payoutCurrency: partners.payoutCurrency,
        })
        .from(partners);
      const rows =
        "limit" in selection
          ? await query
              .where(selection.after === null ? undefined : gt(partners.id, selection.after))
              .orderBy(asc(partners.id))
              .limit(selection.limit)
          : selection.length === 0
            ? []
            : await query.where(inArray(partners.id, [...selection])).orderBy(asc(partners.id));
      const docs = rows.map(partnerDoc);
      await putDocuments(
        kv,
        docs.map((doc) => ({ key: partnerKey(doc.id), doc })),
      );
      if (!("limit" in selection)) {
        const found = new Set(docs.map((doc) => doc.id));
        await Promise.all(selection.filter((id) => !found.has(id)).map((id) => kv.delete(partnerKey(id))));
      }
      return docs;
    });
  } catch (error) {
    throw publishFailed("partners", error);
  }
}

/**
 * Most documents one republish call writes (landings and partners together, plus the rules): a
 * Worker invocation may make at most 1,000 KV operations.
 */
export const maxLandingsPerPublish = 500;

/** Where a republish walk stands: after a landing (landings first), then after a partner. */
export interface PublishCursor {
  kind: "landing" | "partner";
  id: number;
}

/**
 * Republishes one page of edge documents and the rules document (admins only): after seeding, after
 * restoring a database, or to repair a publish that failed after its change was saved. The walk goes
 * through every landing in id order, then every partner; a page that finishes the landings fills the
 * rest of its `limit` with partners. `next` is where the next call continues; `null` once every
 * document is written.
 */
export async function republishEdgeConfig({
  ctx,
  input,
}: {
  ctx: { db: Database; principal: Principal; edgeConfig: KVNamespace };
  input: { limit: number; after: PublishCursor | null };
}): Promise<{
  landings: number;
  partners: number;
  rules: number;
  publishedAt: string;
  next: PublishCursor | null;
}> {
  assertAdmin(ctx.principal);
  const limit = Math.min(input.limit, maxLandingsPerPublish);
  let next: PublishCursor | null = null;
  let landingDocs: LandingDoc[] = [];
  let partnerDocs: PartnerDoc[] = [];
  if (input.after?.kind !== "partner") {
    landingDocs = await publishLandings(ctx.db, ctx.edgeConfig, { limit, after: input.after?.id ?? null });
    const last = landingDocs.at(-1);
    if (landingDocs.length === limit && last) next = { kind: "landing", id: last.id };
  }
  const room = limit - landingDocs.length;
  if (next === null && room > 0) {
    const after = input.after?.kind === "partner" ? input.after.id : null;
    partnerDocs = await publishPartners(ctx.db, ctx.edgeConfig, { limit: room, after });
    const last = partnerDocs.at(-1);
    if (partnerDocs.length === room && last) next = { kind: "partner", id: last.id };
  }
  const rules = await publishRules(ctx.db, ctx.edgeConfig);
  return {
    landings: landingDocs.length,
    partners: partnerDocs.length,
    rules: rules.rules.length,
    publishedAt: rules.publishedAt,
    next,
  };
}

import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { jsonParam, jsonRow, pgArray } from "../../db/sql.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import {
  type AcquisitionRule,
  type AcquisitionSource,
  type Classification,
  type CouponUse,
  classify,
  type Evidence,
  type FirstTouch,
  type InfluencerCodes,
} from "./classify.ts";
import { classifierRule, toRuleRow } from "./rules.ts";

/**
 * The classification run: recomputes the acquisition source of a chunk of accounts (in account id order,
 * after a cursor) from the rules and influencers as they are now, and writes only what changed, each
 * change with a history row. Idempotent: a second run over unchanged data changes nothing. The nightly
 * job runs it for every account, chunk after chunk, following `nextAfterId`; the API runs one chunk.
 *
 * Six round trips per chunk whatever its size: BEGIN, the lock, one statement that loads the accounts
 * with their first touch, coupons and current classification, one that loads their brands' rules and
 * influencers, one that writes the changes and their history, COMMIT. The classification itself is the
 * pure `classify` of classify.ts, so the SQL path and the function give the same answers by construction.
 */

export interface ClassifyAccountsInput {
  brandId?: number | undefined;
  /** Only these accounts (still in id order, after the cursor). */
  accountIds?: readonly number[] | undefined;
  limit: number;
  /** The last account id of the previous chunk; `null` or absent to start. */
  afterId?: number | null | undefined;
}

export interface ClassifyAccountsResult {
  /** Accounts looked at in this chunk. */
  examined: number;
  /** Accounts whose classification was written (new or different). */
  changed: number;
  /** The last account id of this chunk when there may be more; `null` when this was the last chunk. */
  nextAfterId: number | null;
}

/** One account's inputs, as loaded. */
export interface AccountInputs {
  accountId: number;
  brandId: number;
  firstTouch: FirstTouch | null;
  coupons: CouponUse[];
  current: Classification | null;
}

/** Every input of a chunk: the accounts and, per brand, its rules and influencers. */
export interface ChunkInputs {
  accounts: AccountInputs[];
  rules: Map<number, AcquisitionRule[]>;
  influencers: Map<number, InfluencerCodes[]>;
}

// Any constant: every writer of account_acquisition takes this lock first, so a run reads the
// classifications it replaces exactly as they are, and two runs never interleave their history.
const classificationLock = 7_304_113_001;

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const idOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

function stringRecord(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return result;
  for (const [key, item] of Object.entries(value)) if (typeof item === "string") result[key] = item;
  return result;
}

function evidenceOf(value: unknown): Evidence {
  const result: Evidence = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return result;
  for (const [key, item] of Object.entries(value))
    if (typeof item === "string" || typeof item === "number") result[key] = item;
  return result;
}

/** One row of the chunk statement: an account with its first touch, coupons and current classification. */
interface AccountRow extends Record<string, unknown> {
  id: number | string;
  brand_id: number | string;
  first_order: number | string | null;
  marketing: unknown;
  coupon_codes: string[] | null;
  coupon_orders: (number | string)[] | null;
  source: string | null;
  influencer_id: number | string | null;
  rule_id: number | string | null;
  evidence: unknown;
}

/**
 * Loads a chunk's inputs in two statements: up to `limit + 1` accounts after the cursor (the extra one only
 * says there is more), each with its earliest order's acquisition parameters (placed time, then id), every
 * coupon its orders used (oldest order first, then code) and its current classification, as plain rows;
 * then the rules (not deleted) and influencers (with their codes) of the chunk's brands.
 */
export async function loadChunk(
  db: Pick<Executor, "execute">,
  filter: {
    brandIds: readonly number[] | null;
    brandId?: number | undefined;
    accountIds?: readonly number[] | undefined;
  },
  afterId: number | null,
  limit: number,
): Promise<{ inputs: ChunkInputs; more: boolean }> {
  const where = [sql`a.id > ${afterId ?? 0}`];
  if (filter.brandId !== undefined) where.push(sql`a.brand_id = ${filter.brandId}`);
  if (filter.brandIds !== null) where.push(sql`a.brand_id = ANY(${pgArray([...filter.brandIds])}::bigint[])`);
  if (filter.accountIds !== undefined)
    where.push(sql`a.id = ANY(${pgArray([...filter.accountIds])}::bigint[])`);
  // An explicit account list may be sparse: its accounts are looked up one by one rather than ranged over.
  const inChunk = (name: "o.account_id" | "x.account_id") => {
    const column = sql.raw(name);
    return filter.accountIds === undefined
      ? sql`${column} >= (SELECT lo FROM bounds) AND ${column} <= (SELECT hi FROM bounds)`
      : sql`${column} IN (SELECT id FROM acc)`;
  };
  // Every per-account input is read by one range scan of its table's account index over the chunk's id
  // range (`lo`..`hi`), then joined to the chunk, rather than one lookup per account: the plan stays a
  // handful of index range scans whatever the tables' statistics say (right after a bulk load, or while
  // this very run fills account_acquisition, they say the tables are empty). Plain rows, not one JSON
  // document: building and parsing JSON per account cost three times the query itself.
  const result = await db.execute<AccountRow>(
    sql`WITH acc AS MATERIALIZED (
          SELECT a.id, a.brand_id FROM brand_client_accounts a
           WHERE ${sql.join(where, sql` AND `)}
           ORDER BY a.id LIMIT ${limit + 1}),
        bounds AS MATERIALIZED (SELECT min(id) AS lo, max(id) AS hi FROM acc),
        first_touch AS (
          SELECT DISTINCT ON (o.account_id) o.account_id, o.id, o.marketing
            FROM orders o
           WHERE ${inChunk("o.account_id")}
           ORDER BY o.account_id, o.placed_at, o.id),
        used AS (
          SELECT o.account_id, array_agg(c.code ORDER BY o.placed_at, o.id, c.code) AS codes,
                 array_agg(o.id ORDER BY o.placed_at, o.id, c.code) AS orders
            FROM orders o JOIN order_coupons oc ON oc.order_id = o.id
            JOIN coupons c ON c.id = oc.coupon_id
           WHERE ${inChunk("o.account_id")}
           GROUP BY o.account_id),
        cur AS (SELECT x.* FROM account_acquisition x WHERE ${inChunk("x.account_id")})
        SELECT acc.id, acc.brand_id, ft.id AS first_order, ft.marketing,
               used.codes AS coupon_codes, used.orders AS coupon_orders,
               cur.source, cur.influencer_id, cur.rule_id, cur.evidence
          FROM acc LEFT JOIN first_touch ft ON ft.account_id = acc.id
          LEFT JOIN used ON used.account_id = acc.id
          LEFT JOIN cur ON cur.account_id = acc.id
         ORDER BY acc.id`,
  );
  const all = result.rows.map(
    (item): AccountInputs => ({
      accountId: Number(item.id),
      brandId: Number(item.brand_id),
      firstTouch:
        item.first_order === null
          ? null
          : { orderId: Number(item.first_order), marketing: stringRecord(item.marketing) },
      coupons: (item.coupon_codes ?? []).map((code, index) => ({
        code: String(code),
        orderId: Number(item.coupon_orders?.[index]),
      })),
      current:
        item.source === null
          ? null
          : {
              source: item.source as AcquisitionSource,
              influencerId: idOrNull(item.influencer_id),
              ruleId: idOrNull(item.rule_id),
              evidence: evidenceOf(item.evidence),
            },
    }),
  );
  const accounts = all.slice(0, limit);
  const brands = [...new Set(accounts.map((account) => account.brandId))];
  const { rules, influencers } = await loadBrandRules(db, brands);
  return { inputs: { accounts, rules, influencers }, more: all.length > limit };
}

/** The classification rules (not deleted) and the influencers with their codes of some brands. */
async function loadBrandRules(
  db: Pick<Executor, "execute">,
  brandIds: readonly number[],
): Promise<Pick<ChunkInputs, "rules" | "influencers">> {
  const rules = new Map<number, AcquisitionRule[]>();
  const influencers = new Map<number, InfluencerCodes[]>();
  if (brandIds.length === 0) return { rules, influencers };
  const brands = sql`${pgArray([...brandIds])}::bigint[]`;
  const row = await jsonRow(
    db,
    sql`SELECT jsonb_build_object(
          'rules', (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.id), '[]'::jsonb) FROM acquisition_rules r
                     WHERE r.brand_id = ANY(${brands}) AND r.deleted_at IS NULL),
          'influencers', (SELECT coalesce(jsonb_agg(jsonb_build_object(
              'id', i.id, 'brand_id', i.brand_id, 'active', i.active,
              'coupon', (SELECT coalesce(jsonb_agg(k.code ORDER BY k.id), '[]'::jsonb) FROM influencer_codes k
                          WHERE k.influencer_id = i.id AND k.kind = 'coupon'),
              'referral', (SELECT coalesce(jsonb_agg(k.code ORDER BY k.id), '[]'::jsonb) FROM influencer_codes k
                            WHERE k.influencer_id = i.id AND k.kind = 'referral')) ORDER BY i.id), '[]'::jsonb)
              FROM influencers i WHERE i.brand_id = ANY(${brands})))`,
  );
  for (const item of list(row?.rules)) {
    const stored = toRuleRow(item);
    const rule = classifierRule(stored);
    if (rule) rules.set(stored.brandId, [...(rules.get(stored.brandId) ?? []), rule]);
  }
  for (const item of list(row?.influencers)) {
    const brandId = Number(item.brand_id);
    const codes = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
    influencers.set(brandId, [
      ...(influencers.get(brandId) ?? []),
      {
        id: Number(item.id),
        active: item.active === true,
        couponCodes: codes(item.coupon),
        referralCodes: codes(item.referral),
      },
    ]);
  }
  return { rules, influencers };
}

/** Evidence as stored: keys in order, so equal evidence is equal text too. */
const canonical = (evidence: Evidence): Evidence =>
  Object.fromEntries(Object.entries(evidence).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const sameEvidence = (a: Evidence, b: Evidence): boolean =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

export const sameClassification = (a: Classification, b: Classification): boolean =>
  a.source === b.source &&
  a.influencerId === b.influencerId &&
  a.ruleId === b.ruleId &&
  sameEvidence(a.evidence, b.evidence);

/** Each account of the chunk classified by the pure function, from exactly the loaded inputs. */
export function classifyChunk(inputs: ChunkInputs): { account: AccountInputs; result: Classification }[] {
  return inputs.accounts.map((account) => ({
    account,
    result: classify(
      account.firstTouch,
      account.coupons,
      inputs.rules.get(account.brandId) ?? [],
      inputs.influencers.get(account.brandId) ?? [],
    ),
  }));
}

/**
 * Classifies one chunk of accounts the caller may see (a brand-scoped key: its brands only; `brandId`
 * outside them: 403) and writes the changes. Editing rules or influencers never reclassifies by itself:
 * this does, and every account it changes gets a history row (`initial` for an account's first
 * classification, `reclassified` after), with the old and the new source, influencer, rule and evidence.
 */
export async function classifyAccounts({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ClassifyAccountsInput;
}): Promise<ClassifyAccountsResult> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  return classifyAccountsChunk(ctx.db, ctx.principal.brandIds, input);
}

/**
 * One chunk of the classification run over the accounts of `brandIds` (`null`: every brand), in its own
 * transaction or the caller's: the API's verb above, and the nightly `acquisition-classification` job.
 */
export async function classifyAccountsChunk(
  db: Executor,
  brandIds: readonly number[] | null,
  input: ClassifyAccountsInput,
): Promise<ClassifyAccountsResult> {
  return withTransaction(db, async (tx) => {
    // Its own statement: a statement that waited for the lock would still read the snapshot from before.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${classificationLock})`);
    const { inputs, more } = await loadChunk(
      tx,
      { brandIds, brandId: input.brandId, accountIds: input.accountIds },
      input.afterId ?? null,
      input.limit,
    );
    const changes = classifyChunk(inputs)
      .filter(
        ({ account, result }) => account.current === null || !sameClassification(account.current, result),
      )
      .map(({ account, result }) => ({
        account_id: account.accountId,
        brand_id: account.brandId,
        source: result.source,
        influencer_id: result.influencerId,
        rule_id: result.ruleId,
        evidence: canonical(result.evidence),
        reason: account.current === null ? "initial" : "reclassified",
        old_source: account.current?.source ?? null,
        old_influencer_id: account.current?.influencerId ?? null,
        old_rule_id: account.current?.ruleId ?? null,
        old_evidence: account.current ? canonical(account.current.evidence) : null,
      }));
    let changed = 0;
    if (changes.length > 0) {
      const result = await tx.execute<{ n: number | string }>(sql`
        WITH p AS (
          SELECT * FROM jsonb_to_recordset(${jsonParam(changes)}::jsonb) AS r(
            account_id bigint, brand_id bigint, source acquisition_source, influencer_id bigint, rule_id bigint,
            evidence jsonb, reason acquisition_change_reason, old_source acquisition_source,
            old_influencer_id bigint, old_rule_id bigint, old_evidence jsonb)),
        up AS (
          INSERT INTO account_acquisition AS x (account_id, brand_id, source, influencer_id, rule_id, evidence, classified_at)
          SELECT account_id, brand_id, source, influencer_id, rule_id, evidence, now() FROM p ORDER BY account_id
          ON CONFLICT (account_id) DO UPDATE
             SET source = excluded.source, influencer_id = excluded.influencer_id, rule_id = excluded.rule_id,
                 evidence = excluded.evidence, classified_at = excluded.classified_at
           WHERE (x.source, x.influencer_id, x.rule_id, x.evidence)
                 IS DISTINCT FROM (excluded.source, excluded.influencer_id, excluded.rule_id, excluded.evidence)
          RETURNING x.account_id, x.classified_at),
        h AS (
          INSERT INTO account_acquisition_history (account_id, brand_id, reason, old_source, old_influencer_id,
                 old_rule_id, old_evidence, new_source, new_influencer_id, new_rule_id, new_evidence, changed_at)
          SELECT p.account_id, p.brand_id, p.reason, p.old_source, p.old_influencer_id, p.old_rule_id, p.old_evidence,
                 p.source, p.influencer_id, p.rule_id, p.evidence, up.classified_at
            FROM p JOIN up ON up.account_id = p.account_id ORDER BY p.account_id
          RETURNING 1)
        SELECT count(*) AS n FROM h`);
      changed = Number(result.rows[0]?.n ?? 0);
    }
    const last = inputs.accounts[inputs.accounts.length - 1];
    return { examined: inputs.accounts.length, changed, nextAfterId: more && last ? last.accountId : null };
  });
}

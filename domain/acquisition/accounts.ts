import { type SQL, sql } from "drizzle-orm";
import { jsonRow, pgArray } from "../../db/sql.ts";
import { normalisedAddress } from "../contacts/contacts.ts";
import { sha256Hex } from "../contacts/email.ts";
import { FieldErrors } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import { type Account, toAccount } from "../ledger/accounts.ts";
import type { AcquisitionRuleType, AcquisitionSource, Evidence } from "./classify.ts";

/**
 * Accounts as acquisition sees them: an account's classification (source, influencer, rule, evidence,
 * when it was decided), and the account list filtered by source and influencer. An account the
 * classification has not reached yet has `source: null`.
 */

export interface AccountAcquisition {
  source: AcquisitionSource | null;
  influencer: { id: number; name: string; handle: string | null } | null;
  rule: { id: number; type: AcquisitionRuleType } | null;
  evidence: Evidence;
  classifiedAt: Date | null;
}

export const unclassified: AccountAcquisition = {
  source: null,
  influencer: null,
  rule: null,
  evidence: {},
  classifiedAt: null,
};

type Json = Record<string, unknown>;

/** The classification of account `a` as one jsonb value (null when unclassified). */
const acquisitionJson = (account: string): SQL => sql`(
  SELECT jsonb_build_object(
           'source', x.source, 'evidence', x.evidence, 'classified_at', x.classified_at,
           'influencer', CASE WHEN i.id IS NULL THEN NULL
                              ELSE jsonb_build_object('id', i.id, 'name', i.name, 'handle', i.handle) END,
           'rule', CASE WHEN r.id IS NULL THEN NULL ELSE jsonb_build_object('id', r.id, 'type', r.type) END)
    FROM account_acquisition x
    LEFT JOIN influencers i ON i.id = x.influencer_id
    LEFT JOIN acquisition_rules r ON r.id = x.rule_id
   WHERE x.account_id = ${sql.raw(account)}.id)`;

export function toAcquisition(value: unknown): AccountAcquisition {
  if (value === null || typeof value !== "object") return unclassified;
  const row = value as Json;
  const influencer = row.influencer as Json | null;
  const rule = row.rule as Json | null;
  const evidence: Evidence = {};
  if (row.evidence !== null && typeof row.evidence === "object")
    for (const [key, item] of Object.entries(row.evidence as Json))
      if (typeof item === "string" || typeof item === "number") evidence[key] = item;
  return {
    source: row.source as AcquisitionSource,
    influencer: influencer
      ? {
          id: Number(influencer.id),
          name: String(influencer.name),
          handle: typeof influencer.handle === "string" ? influencer.handle : null,
        }
      : null,
    rule: rule ? { id: Number(rule.id), type: rule.type as AcquisitionRuleType } : null,
    evidence,
    classifiedAt: typeof row.classified_at === "string" ? new Date(row.classified_at) : null,
  };
}

/** The classification of one account the caller has already been allowed to see. One query. */
export async function getAccountAcquisition({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { accountId: number };
}): Promise<AccountAcquisition> {
  const row = await jsonRow(
    ctx.db,
    sql`SELECT jsonb_build_object('acquisition', ${acquisitionJson("a")})
          FROM brand_client_accounts a WHERE a.id = ${input.accountId}`,
  );
  return toAcquisition(row?.acquisition ?? null);
}

export interface AccountWithAcquisition extends Account {
  email: string;
  marketCode: string;
  acquisition: AccountAcquisition;
}

export interface ListAccountsInput extends PageInput {
  /** Any spelling of an address: normalised as captures are. */
  email?: string | undefined;
  brandId?: number | undefined;
  source?: AcquisitionSource | undefined;
  influencerId?: number | undefined;
}

/**
 * Accounts the caller may see, in id order, optionally of one email, brand, acquisition source or
 * influencer. A brand outside the caller's scope is a 403; an influencer filter must name an influencer
 * (422 `influencer` otherwise) the caller may see (403). At most two queries.
 */
export async function listAccounts({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ListAccountsInput;
}): Promise<Page<AccountWithAcquisition>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const sha256 = input.email === undefined ? undefined : sha256Hex(normalisedAddress(input.email));
  if (input.influencerId !== undefined) {
    const influencer = await jsonRow(
      ctx.db,
      sql`SELECT jsonb_build_object('brand_id', brand_id) FROM influencers WHERE id = ${input.influencerId}`,
    );
    if (!influencer) {
      const errors = new FieldErrors();
      errors.add("influencer", "not_found", "No such influencer.");
      errors.throwIfAny();
    }
    assertBrand(ctx.principal, Number(influencer?.brand_id));
  }
  const scope = ctx.principal.brandIds;
  const where: SQL[] = [sql`true`];
  if (input.after !== null) where.push(sql`a.id > ${input.after}`);
  if (sha256 !== undefined) where.push(sql`e.sha256 = ${sha256}`);
  if (input.brandId !== undefined) where.push(sql`a.brand_id = ${input.brandId}`);
  if (scope !== null) where.push(sql`a.brand_id = ANY(${pgArray([...scope])}::bigint[])`);
  if (input.source !== undefined || input.influencerId !== undefined) {
    const filters: SQL[] = [sql`x.account_id = a.id`];
    if (input.source !== undefined) filters.push(sql`x.source = ${input.source}`);
    if (input.influencerId !== undefined) filters.push(sql`x.influencer_id = ${input.influencerId}`);
    where.push(sql`EXISTS (SELECT 1 FROM account_acquisition x WHERE ${sql.join(filters, sql` AND `)})`);
  }
  const result = await ctx.db.execute<{ account: Json }>(sql`
    SELECT to_jsonb(a) || jsonb_build_object('email', e.address, 'market_code', m.code,
                                             'acquisition', ${acquisitionJson("a")}) AS account
      FROM brand_client_accounts a
      JOIN emails e ON e.id = a.email_id
      JOIN markets m ON m.id = a.market_id
     WHERE ${sql.join(where, sql` AND `)}
     ORDER BY a.id LIMIT ${input.limit + 1}`);
  const accounts = result.rows.map(({ account }) => ({
    ...toAccount(account),
    email: String(account.email),
    marketCode: String(account.market_code),
    acquisition: toAcquisition(account.acquisition),
  }));
  return toPage(accounts, input.limit);
}

import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { jsonRow, pgArray } from "../../db/sql.ts";
import { resolveRefs } from "../catalog/catalog.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import {
  type AcquisitionRule,
  type AcquisitionRuleType,
  defaultReferralParams,
  normalisedDomain,
  type UtmMatchKind,
  unsafePattern,
} from "./classify.ts";

/**
 * A brand's acquisition rules, edited through the API. Editing never reclassifies anyone: the next
 * classification run (the nightly job, or `POST /api/v1/acquisition/classify`) applies the rules as they
 * are then and records every account it changes. A deleted rule is only marked deleted: the
 * classifications it made and their history keep naming it until the next run decides again.
 */

export interface AcquisitionRuleRow {
  id: number;
  brandId: number;
  type: AcquisitionRuleType;
  priority: number;
  influencerId: number | null;
  paramNames: string[] | null;
  field: string | null;
  match: UtmMatchKind | null;
  value: string | null;
  domain: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The settings a rule may have; which are required or refused depends on its type. */
export interface RuleSettings {
  priority: number;
  /** Influencer hash id (`utm`, `referrer_domain`). */
  influencer: string | null;
  paramNames: string[] | null;
  field: string | null;
  match: UtmMatchKind | null;
  value: string | null;
  domain: string | null;
}

type Json = Record<string, unknown>;
const textOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function toRuleRow(row: Json): AcquisitionRuleRow {
  return {
    id: Number(row.id),
    brandId: Number(row.brand_id),
    type: row.type as AcquisitionRuleType,
    priority: Number(row.priority),
    influencerId:
      row.influencer_id === null || row.influencer_id === undefined ? null : Number(row.influencer_id),
    paramNames: Array.isArray(row.param_names) ? row.param_names.map(String) : null,
    field: textOrNull(row.field),
    match: textOrNull(row.match) as UtmMatchKind | null,
    value: textOrNull(row.value),
    domain: textOrNull(row.domain),
    createdAt: new Date(String(row.created_at)),
    updatedAt: new Date(String(row.updated_at)),
  };
}

/** The classifier's view of a stored rule, or `null` for a row that does not hold its type's shape. */
export function classifierRule(row: AcquisitionRuleRow): AcquisitionRule | null {
  const base = { id: row.id, priority: row.priority };
  switch (row.type) {
    case "influencer_coupon":
      return { ...base, type: row.type };
    case "referral_code":
      return row.paramNames ? { ...base, type: row.type, paramNames: row.paramNames } : null;
    case "utm":
      return row.influencerId !== null && row.field && row.match && row.value !== null
        ? {
            ...base,
            type: row.type,
            influencerId: row.influencerId,
            field: row.field,
            match: row.match,
            value: row.value,
          }
        : null;
    case "referrer_domain":
      return row.influencerId !== null && row.domain
        ? { ...base, type: row.type, influencerId: row.influencerId, domain: row.domain }
        : null;
  }
}

/** Which settings each type takes; every other one must be absent (null). */
const shape: Record<AcquisitionRuleType, readonly (keyof Omit<RuleSettings, "priority">)[]> = {
  influencer_coupon: [],
  referral_code: ["paramNames"],
  utm: ["influencer", "field", "match", "value"],
  referrer_domain: ["influencer", "domain"],
};
const fieldNames: Record<keyof Omit<RuleSettings, "priority">, string> = {
  influencer: "influencer",
  paramNames: "param_names",
  field: "field",
  match: "match",
  value: "value",
  domain: "domain",
};

/**
 * Holds a rule to its type's shape, as the API would see it: a setting the type needs and lacks is
 * `missing`, one it does not take is `not_allowed`, an unsafe regex or a non-host domain is named.
 * Returns the settings to store (the domain normalised).
 */
function checkedSettings(type: AcquisitionRuleType, settings: RuleSettings): RuleSettings {
  const errors = new FieldErrors();
  for (const key of Object.keys(fieldNames) as (keyof typeof fieldNames)[]) {
    const wanted = shape[type].includes(key);
    const present = settings[key] !== null;
    if (wanted && !present) errors.add(fieldNames[key], "missing", `Required for a \`${type}\` rule.`);
    if (!wanted && present)
      errors.add(fieldNames[key], "not_allowed", `A \`${type}\` rule takes no ${fieldNames[key]}.`);
  }
  let domain = settings.domain;
  if (type === "referrer_domain" && settings.domain !== null) {
    domain = normalisedDomain(settings.domain);
    if (domain === null) errors.add("domain", "malformed", "A host name, such as `instagram.com`.");
  }
  if (type === "utm" && settings.match === "regex" && settings.value !== null) {
    const unsafe = unsafePattern(settings.value);
    if (unsafe !== null) errors.add("value", "not_allowed", unsafe);
  }
  errors.throwIfAny();
  return { ...settings, domain };
}

/** The influencer hash id of a rule, as an influencer of the rule's brand: a 422 on `influencer` otherwise. */
async function ruleInfluencer(
  ctx: VerbContext,
  brandId: number,
  value: string | null,
): Promise<number | null> {
  if (value === null) return null;
  const id = ctx.ids.decode("influencer", value);
  const row =
    id === null
      ? null
      : await jsonRow(
          ctx.db,
          sql`SELECT jsonb_build_object('brand_id', brand_id) FROM influencers WHERE id = ${id}`,
        );
  if (id === null || !row || Number(row.brand_id) !== brandId) {
    const errors = new FieldErrors();
    errors.add(
      "influencer",
      id === null ? "malformed" : "not_found",
      "No such influencer in the rule's brand.",
    );
    errors.throwIfAny();
  }
  return id;
}

const columns = (settings: RuleSettings, influencerId: number | null) => ({
  priority: settings.priority,
  influencerId,
  paramNames: settings.paramNames === null ? null : pgArray(settings.paramNames),
  field: settings.field,
  match: settings.match,
  value: settings.value,
  domain: settings.domain,
});

export interface CreateRuleInput extends Omit<RuleSettings, "paramNames"> {
  /** Brand hash id. */
  brand: string;
  type: AcquisitionRuleType;
  /** `undefined`: the default (`ref`, `referral`) for a `referral_code` rule, none for the others. */
  paramNames: string[] | null | undefined;
}

export async function createAcquisitionRule({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateRuleInput;
}): Promise<AcquisitionRuleRow> {
  return withTransaction(ctx.db, async (tx) => {
    const inner = { ...ctx, db: tx };
    const refs = await resolveRefs(inner, { brand: { kind: "brand", value: input.brand } });
    const brandId = refs.brand.id;
    assertBrand(ctx.principal, brandId);
    const paramNames =
      input.paramNames === undefined
        ? input.type === "referral_code"
          ? [...defaultReferralParams]
          : null
        : input.paramNames;
    const settings = checkedSettings(input.type, { ...input, paramNames });
    const influencerId = await ruleInfluencer(inner, brandId, settings.influencer);
    const c = columns(settings, influencerId);
    const row = await jsonRow(
      tx,
      sql`INSERT INTO acquisition_rules (brand_id, type, priority, influencer_id, param_names, field, match, value, domain)
          VALUES (${brandId}, ${input.type}, ${c.priority}, ${c.influencerId}, ${c.paramNames}::text[], ${c.field},
                  ${c.match}, ${c.value}, ${c.domain})
          RETURNING to_jsonb(acquisition_rules)`,
    );
    if (!row) throw new Error("rule insert returned no row");
    return toRuleRow(row);
  });
}

async function readRule(
  db: Pick<Executor, "execute">,
  id: number,
  lock = false,
): Promise<AcquisitionRuleRow | null> {
  const row = await jsonRow(
    db,
    sql`SELECT to_jsonb(r) FROM acquisition_rules r WHERE r.id = ${id} AND r.deleted_at IS NULL
        ${lock ? sql`FOR UPDATE` : sql``}`,
  );
  return row ? toRuleRow(row) : null;
}

export async function getAcquisitionRule({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<AcquisitionRuleRow> {
  const rule = await readRule(ctx.db, input.id);
  if (!rule) throw new NotFound("acquisition rule");
  assertBrand(ctx.principal, rule.brandId);
  return rule;
}

/** A brand's rules (or every visible brand's), by id; deleted ones are gone from here. */
export async function listAcquisitionRules({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined };
}): Promise<Page<AcquisitionRuleRow>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const where: SQL[] = [sql`r.deleted_at IS NULL`];
  if (input.after !== null) where.push(sql`r.id > ${input.after}`);
  if (input.brandId !== undefined) where.push(sql`r.brand_id = ${input.brandId}`);
  if (scope !== null) where.push(sql`r.brand_id = ANY(${pgArray([...scope])}::bigint[])`);
  const result = await ctx.db.execute<{ rule: Json }>(sql`
    SELECT to_jsonb(r) AS rule FROM acquisition_rules r WHERE ${sql.join(where, sql` AND `)}
     ORDER BY r.id LIMIT ${input.limit + 1}`);
  return toPage(
    result.rows.map((row) => toRuleRow(row.rule)),
    input.limit,
  );
}

/** Fields to change; `undefined` leaves one as it is, `null` clears it. The type and brand stay. */
export type UpdateRuleInput = { id: number } & { [K in keyof RuleSettings]?: RuleSettings[K] | undefined };

export async function updateAcquisitionRule({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateRuleInput;
}): Promise<AcquisitionRuleRow> {
  return withTransaction(ctx.db, async (tx) => {
    const current = await readRule(tx, input.id, true);
    if (!current) throw new NotFound("acquisition rule");
    assertBrand(ctx.principal, current.brandId);
    const { id, ...changes } = input;
    if (Object.values(changes).every((value) => value === undefined)) return current;
    const keep = <T>(given: T | undefined, stored: T): T => (given === undefined ? stored : given);
    const settings = checkedSettings(current.type, {
      priority: keep(changes.priority, current.priority),
      influencer: keep(
        changes.influencer,
        current.influencerId === null ? null : ctx.ids.encode("influencer", current.influencerId),
      ),
      paramNames: keep(changes.paramNames, current.paramNames),
      field: keep(changes.field, current.field),
      match: keep(changes.match, current.match),
      value: keep(changes.value, current.value),
      domain: keep(changes.domain, current.domain),
    });
    const influencerId = await ruleInfluencer({ ...ctx, db: tx }, current.brandId, settings.influencer);
    const c = columns(settings, influencerId);
    const row = await jsonRow(
      tx,
      sql`UPDATE acquisition_rules SET priority = ${c.priority}, influencer_id = ${c.influencerId},
            param_names = ${c.paramNames}::text[], field = ${c.field}, match = ${c.match}, value = ${c.value},
            domain = ${c.domain}, updated_at = now()
          WHERE id = ${id} RETURNING to_jsonb(acquisition_rules)`,
    );
    if (!row) throw new NotFound("acquisition rule");
    return toRuleRow(row);
  });
}

/** Marks the rule deleted: it decides nothing from the next classification run on. */
export async function deleteAcquisitionRule({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<AcquisitionRuleRow> {
  return withTransaction(ctx.db, async (tx) => {
    const current = await readRule(tx, input.id, true);
    if (!current) throw new NotFound("acquisition rule");
    assertBrand(ctx.principal, current.brandId);
    await tx.execute(sql`UPDATE acquisition_rules SET deleted_at = now() WHERE id = ${input.id}`);
    return current;
  });
}

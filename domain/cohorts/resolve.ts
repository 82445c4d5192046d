import { sql } from "drizzle-orm";
import { pgArray } from "../../db/sql.ts";
import { FieldErrors } from "../core/errors.ts";
import type { HashIds } from "../core/hash-ids.ts";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import {
  type Condition,
  type Definition,
  definitionPath,
  idFields,
  isGroup,
  type Rule,
} from "./definition.ts";

/**
 * A definition in the API's form (public ids) turned into internal ids: every id must decode (422
 * `malformed` naming its path), name something (422 `not_found`), and belong to a brand the caller may
 * see (403). One query checks every id of the definition at once.
 */

type IdKind = (typeof idFields)[keyof typeof idFields];

interface IdUse {
  kind: IdKind;
  id: number;
  path: string;
}

function decodeRule(
  rule: Rule<string>,
  path: (string | number)[],
  ids: HashIds,
  uses: IdUse[],
  errors: FieldErrors,
  prefix: string,
): Rule {
  if (isGroup(rule))
    return {
      op: rule.op,
      rules: rule.rules.map((child, index) =>
        decodeRule(child, [...path, "rules", index], ids, uses, errors, prefix),
      ),
    };
  const field = rule.field;
  if (!(field in idFields)) return rule as Condition;
  const kind = idFields[field as keyof typeof idFields];
  const decode = (value: string, at: (string | number)[]): number => {
    const id = ids.decode(kind, value);
    const where = `${prefix}${definitionPath(at)}`;
    if (id === null) {
      errors.add(where, "malformed", `Not a ${kind} id.`);
      return 0;
    }
    uses.push({ kind, id, path: where });
    return id;
  };
  const value = (rule as { value: string | string[] }).value;
  const decoded = Array.isArray(value)
    ? value.map((item, index) => decode(item, [...path, "value", index]))
    : decode(value, [...path, "value"]);
  return { ...rule, value: decoded } as Condition;
}

/** Public ids to internal ids, without the database: malformed ids are listed in `errors`. */
export function decodeDefinition(
  definition: Definition<string>,
  ids: HashIds,
  prefix = "",
): { definition: Definition; uses: IdUse[]; errors: FieldErrors } {
  const uses: IdUse[] = [];
  const errors = new FieldErrors();
  const decoded = decodeRule(definition, [], ids, uses, errors, prefix) as Definition;
  return { definition: decoded, uses, errors };
}

/**
 * The definition with internal ids, after checking every id exists and is the caller's to use. `prefix`
 * is where the definition sits in the request (`definition.`), for the error paths.
 */
export async function resolveDefinition(
  ctx: VerbContext,
  definition: Definition<string>,
  prefix: string,
): Promise<Definition> {
  const { definition: decoded, uses, errors } = decodeDefinition(definition, ctx.ids, prefix);
  errors.throwIfAny();
  if (uses.length === 0) return decoded;
  const of = (kind: IdKind) =>
    pgArray([...new Set(uses.filter((use) => use.kind === kind).map((use) => use.id))]);
  const result = await ctx.db.execute<{
    kind: IdKind;
    id: string | number;
    brand_id: string | number | null;
  }>(sql`
    SELECT 'brand' AS kind, id, id AS brand_id FROM brands WHERE id = ANY(${of("brand")}::bigint[])
    UNION ALL SELECT 'market', id, NULL FROM markets WHERE id = ANY(${of("market")}::bigint[])
    UNION ALL SELECT 'influencer', id, brand_id FROM influencers WHERE id = ANY(${of("influencer")}::bigint[])
    UNION ALL SELECT 'product', id, brand_id FROM products WHERE id = ANY(${of("product")}::bigint[])`);
  const found = new Map(
    result.rows.map((row) => [
      `${row.kind}:${Number(row.id)}`,
      row.brand_id === null ? null : Number(row.brand_id),
    ]),
  );
  for (const use of uses)
    if (!found.has(`${use.kind}:${use.id}`)) errors.add(use.path, "not_found", `No such ${use.kind}.`);
  errors.throwIfAny();
  for (const use of uses) {
    const brandId = found.get(`${use.kind}:${use.id}`);
    if (brandId !== null && brandId !== undefined) assertBrand(ctx.principal, brandId);
  }
  return decoded;
}

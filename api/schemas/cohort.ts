import { type Hook, z } from "@hono/zod-openapi";
import { definitionIssues, definitionPath, definitionSchema } from "../../domain/cohorts/definition.ts";
import type { CohortMember, CohortPreview } from "../../domain/cohorts/preview.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { HonoEnv } from "../hono-env.ts";
import { fieldErrorsFromZod, nulFieldErrors, withNulErrors } from "../validation.ts";
import { isoOrNull, timestamp } from "./common.ts";

export const cohortDefinition = definitionSchema.meta({
  id: "CohortDefinition",
  description:
    "The root group of a cohort definition: `{ op: and|or, rules: [...] }`, where a rule is a group or a condition `{ field, op, value }` on one of 17 fields (brand, market, country, acquisition_source, influencer, first_order_at, last_order_at, order_count, total_spent, average_order_value, r_score, f_score, m_score, rfm_segment, product, coupon, subscription_state, consent). Groups nest up to 10 deep, with up to 100 rules each and 500 conditions in all. Ids are public hash ids; money is in minor units and needs `currency`.",
  example: {
    op: "and",
    rules: [
      { field: "last_order_at", op: "within_last_days", value: 90 },
      {
        op: "or",
        rules: [
          { field: "total_spent", op: "gte", value: 100000, currency: "KRW" },
          { field: "rfm_segment", op: "in", value: ["champions", "loyal_customers"] },
        ],
      },
      { field: "consent", op: "has", value: "sms" },
    ],
  },
});

export const previewCohortBody = z
  .strictObject({
    definition: cohortDefinition,
    sample_size: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(20)
      .openapi({ description: "How many members to show (0–100, first by account)." }),
  })
  .openapi("CohortPreviewRequest");

export const cohortMemberSchema = z
  .object({
    id: z.string().openapi({ description: "The account's hash id." }),
    brand: z.string(),
    market: z.object({ id: z.string(), code: z.string(), country: z.string() }),
    email: z.string(),
    currency: z.string(),
    total_spent: z.number().int().openapi({ description: "Invoiced − credited, minor units of `currency`." }),
    order_count: z.number().int(),
    first_order_at: timestamp.nullable(),
    last_order_at: timestamp.nullable(),
  })
  .openapi("CohortMember");

export const cohortPreviewSchema = z
  .object({
    count: z.number().int().openapi({ description: "How many accounts the definition selects." }),
    sample: z.array(cohortMemberSchema),
  })
  .openapi("CohortPreview");

export function presentCohortMember(ids: HashIds, member: CohortMember): z.infer<typeof cohortMemberSchema> {
  return {
    id: ids.encode("account", member.accountId),
    brand: ids.encode("brand", member.brandId),
    market: { id: ids.encode("market", member.marketId), code: member.marketCode, country: member.country },
    email: member.email,
    currency: member.currency,
    total_spent: member.totalSpent,
    order_count: member.orderCount,
    first_order_at: isoOrNull(member.firstOrderAt),
    last_order_at: isoOrNull(member.lastOrderAt),
  };
}

export const presentCohortPreview = (ids: HashIds, preview: CohortPreview) => ({
  count: preview.count,
  sample: preview.sample.map((member) => presentCohortMember(ids, member)),
});

/** `definition.rules[1].rules[0].value`: the body's key, then the definition's own path. */
const bodyPath = (path: readonly PropertyKey[], root: string): string => {
  if (path.length === 0) return root;
  const [head, ...rest] = path;
  return rest.length === 0 ? String(head) : `${String(head)}.${definitionPath(rest)}`;
};

/**
 * The validation hook of a body holding a definition: each group-or-condition union is resolved to what
 * the input meant, so a 422 names the exact field (`definition.rules[1].rules[0].value`); a field name or
 * operator the language does not have is `not_allowed`.
 */
export const definitionBodyHook: Hook<unknown, HonoEnv, string, undefined> = (result) => {
  if (result.success) {
    const errors = nulFieldErrors(result.data, result.target);
    if (errors.length > 0) throw new ValidationFailed(errors);
    return;
  }
  const input = "data" in result ? (result as { data: unknown }).data : undefined;
  const issues = definitionIssues(result.error.issues, input).map((issue) =>
    issue.code === "invalid_union"
      ? { ...issue, code: "custom" as const, params: { category: "not_allowed" } }
      : issue,
  );
  throw new ValidationFailed(
    withNulErrors(fieldErrorsFromZod({ issues }, input, result.target, bodyPath), input, result.target),
  );
};

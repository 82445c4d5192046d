import { type Hook, z } from "@hono/zod-openapi";
import { type Cohort, type CohortWithCount, cohortRefreshes } from "../../domain/cohorts/cohorts.ts";
import { definitionIssues, definitionPath, definitionSchema } from "../../domain/cohorts/definition.ts";
import type { CohortMember } from "../../domain/cohorts/members.ts";
import type { CohortPreview } from "../../domain/cohorts/preview.ts";
import type { CohortSnapshot, SnapshotDiff } from "../../domain/cohorts/snapshots.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { HonoEnv } from "../hono-env.ts";
import { fieldErrorsFromZod, nulFieldErrors, withNulErrors } from "../validation.ts";
import { hashId, iso, isoOrNull, name, pageOf, pageQuery, timestamp } from "./common.ts";

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

// Saved cohorts

const refresh = z.enum(cohortRefreshes).openapi({
  description:
    "`daily`: the nightly `cohort-snapshots` job takes a snapshot every day (its run date's, replaced on a re-run); `none`: only snapshots asked for.",
});

export const createCohortBody = z
  .strictObject({
    brand: hashId("The brand the cohort belongs to: it only ever selects this brand's accounts."),
    name,
    definition: cohortDefinition,
    refresh: refresh.default("none"),
  })
  .openapi("CreateCohort");

export const updateCohortBody = z
  .strictObject({
    name: name.optional(),
    definition: cohortDefinition.optional(),
    refresh: refresh.optional(),
  })
  .openapi("UpdateCohort");

export const cohortSchema = z
  .object({
    id: hashId("Cohort id."),
    brand: hashId("Brand id."),
    name: z.string(),
    definition: cohortDefinition,
    refresh,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Cohort");

export const cohortDetailSchema = cohortSchema
  .extend({
    member_count: z
      .number()
      .int()
      .openapi({ description: "How many of the brand's accounts the definition selects now." }),
  })
  .openapi("CohortWithCount");

export const presentCohort = (ids: HashIds, cohort: Cohort): z.infer<typeof cohortSchema> => ({
  id: ids.encode("cohort", cohort.id),
  brand: ids.encode("brand", cohort.brandId),
  name: cohort.name,
  definition: cohort.definition,
  refresh: cohort.refresh,
  created_at: iso(cohort.createdAt),
  updated_at: iso(cohort.updatedAt),
});

export const presentCohortDetail = (
  ids: HashIds,
  cohort: CohortWithCount,
): z.infer<typeof cohortDetailSchema> => ({
  ...presentCohort(ids, cohort),
  member_count: cohort.memberCount,
});

export const cohortPage = pageOf(cohortSchema, "CohortPage");
export const cohortMemberPage = pageOf(cohortMemberSchema, "CohortMemberPage");

/** The columns of a member list in CSV: the JSON member's, with `market` spelt out. */
export const memberCsvColumns = [
  "id",
  "brand",
  "market.id",
  "market.code",
  "market.country",
  "email",
  "currency",
  "total_spent",
  "order_count",
  "first_order_at",
  "last_order_at",
] as const;

export function memberCsvRow(ids: HashIds, member: CohortMember): (string | number | null)[] {
  const json = presentCohortMember(ids, member);
  return [
    json.id,
    json.brand,
    json.market.id,
    json.market.code,
    json.market.country,
    json.email,
    json.currency,
    json.total_spent,
    json.order_count,
    json.first_order_at,
    json.last_order_at,
  ];
}

export const memberListQuery = pageQuery.extend({
  format: z
    .enum(["json", "csv"])
    .optional()
    .openapi({
      param: { name: "format", in: "query" },
      description:
        "`csv`: every member (after `cursor`) as one RFC 4180 CSV document, streamed; the same as `Accept: text/csv`. `limit` then does not apply.",
    }),
});

// Snapshots

export const cohortSnapshotSchema = z
  .object({
    id: hashId("Snapshot id."),
    cohort: hashId("Cohort id."),
    source: z.enum(["manual", "nightly"]),
    as_of: z
      .string()
      .nullable()
      .openapi({ description: "The run date of a nightly snapshot (`YYYY-MM-DD`); null for a manual one." }),
    taken_at: timestamp,
    member_count: z.number().int(),
  })
  .openapi("CohortSnapshot");

export const presentSnapshot = (
  ids: HashIds,
  snapshot: CohortSnapshot,
): z.infer<typeof cohortSnapshotSchema> => ({
  id: ids.encode("cohortSnapshot", snapshot.id),
  cohort: ids.encode("cohort", snapshot.cohortId),
  source: snapshot.source,
  as_of: snapshot.asOf,
  taken_at: iso(snapshot.takenAt),
  member_count: snapshot.memberCount,
});

export const cohortSnapshotPage = pageOf(cohortSnapshotSchema, "CohortSnapshotPage");

export const snapshotDiffQuery = pageQuery.extend({
  from: hashId("The earlier snapshot (A).").openapi({ param: { name: "from", in: "query" } }),
  to: hashId("The later snapshot (B).").openapi({ param: { name: "to", in: "query" } }),
  change: z
    .enum(["joined", "left"])
    .default("joined")
    .openapi({
      param: { name: "change", in: "query" },
      description: "Whose members to page: `joined` (in B, not in A) or `left` (in A, not in B).",
    }),
});

export const snapshotDiffSchema = z
  .object({
    from: cohortSnapshotSchema,
    to: cohortSnapshotSchema,
    joined: z.number().int().openapi({ description: "Members of `to` that were not in `from`." }),
    left: z.number().int().openapi({ description: "Members of `from` that are not in `to`." }),
    change: z.enum(["joined", "left"]),
    data: z.array(cohortMemberSchema).openapi({ description: "A page of the `change` side, by account." }),
    next_cursor: z.string().nullable(),
  })
  .openapi("CohortSnapshotDiff");

export const presentSnapshotDiff = (
  ids: HashIds,
  diff: SnapshotDiff,
): z.infer<typeof snapshotDiffSchema> => ({
  from: presentSnapshot(ids, diff.from),
  to: presentSnapshot(ids, diff.to),
  joined: diff.joined,
  left: diff.left,
  change: diff.change,
  data: diff.page.items.map((member) => presentCohortMember(ids, member)),
  next_cursor: diff.page.nextAfter === null ? null : ids.encode("account", diff.page.nextAfter),
});

// RFM cells

const score = (axis: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(5)
    .openapi({ description: `The ${axis} score of the cell (1–5; 5 is best).` });

export const cellCohortBody = z
  .strictObject({
    brand: hashId("The brand whose heatmap the cell is in."),
    r: score("recency"),
    f: score("frequency"),
    name: name.optional().openapi({ description: "`RFM R<r> F<f>` unless given." }),
    refresh: refresh.default("none"),
  })
  .openapi("RfmCellCohort");

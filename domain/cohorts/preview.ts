import { sql } from "drizzle-orm";
import { jsonRow } from "../../db/sql.ts";
import type { VerbContext } from "../core/verb.ts";
import { compileCohort } from "./compile.ts";
import type { Definition } from "./definition.ts";
import { resolveDefinition } from "./resolve.ts";

/** One member as a preview shows it: who, where, and the totals the definition looked at. */
export interface CohortMember {
  accountId: number;
  brandId: number;
  marketId: number;
  marketCode: string;
  country: string;
  email: string;
  currency: string;
  /** invoiced − credited, minor units of `currency`. */
  totalSpent: number;
  orderCount: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
}

export interface CohortPreview {
  count: number;
  /** The first `sampleSize` members in account order. */
  sample: CohortMember[];
}

export interface PreviewCohortInput {
  /** The definition as the API received it (public ids). */
  definition: Definition<string>;
  sampleSize: number;
  /** Where the definition sits in the request, for error paths (`definition.`). */
  path?: string;
  /** "Within the last N days" counts back from this; the current time unless told. */
  now?: Date;
}

const dateOrNull = (value: unknown): Date | null => (typeof value === "string" ? new Date(value) : null);

/**
 * How many accounts an unsaved definition selects within the caller's brands, and a sample of them:
 * the ids resolved in one query, then the compiled cohort counted and sampled in one more.
 */
export async function previewCohort({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PreviewCohortInput;
}): Promise<CohortPreview> {
  const definition = await resolveDefinition(ctx, input.definition, input.path ?? "");
  const members = compileCohort(definition, {
    brandIds: ctx.principal.brandIds,
    now: input.now ?? new Date(),
  });
  const row = await jsonRow(
    ctx.db,
    sql`WITH members AS (${members})
        SELECT jsonb_build_object(
          'count', (SELECT count(*) FROM members),
          'sample', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                     'id', a.id, 'brand_id', a.brand_id, 'market_id', a.market_id, 'market_code', m.code,
                     'country', m.country, 'email', e.address, 'currency', a.currency,
                     'total_spent', a.invoiced - a.credited, 'order_count', a.order_count,
                     'first_order_at', a.first_order_at, 'last_order_at', a.last_order_at) ORDER BY a.id)
              FROM (SELECT id FROM members ORDER BY id LIMIT ${input.sampleSize}) page
              JOIN brand_client_accounts a ON a.id = page.id
              JOIN markets m ON m.id = a.market_id
              JOIN emails e ON e.id = a.email_id), '[]'::jsonb))`,
  );
  const sample = (row?.sample ?? []) as Record<string, unknown>[];
  return {
    count: Number(row?.count ?? 0),
    sample: sample.map((member) => ({
      accountId: Number(member.id),
      brandId: Number(member.brand_id),
      marketId: Number(member.market_id),
      marketCode: String(member.market_code),
      country: String(member.country),
      email: String(member.email),
      currency: String(member.currency),
      totalSpent: Number(member.total_spent),
      orderCount: Number(member.order_count),
      firstOrderAt: dateOrNull(member.first_order_at),
      lastOrderAt: dateOrNull(member.last_order_at),
    })),
  };
}

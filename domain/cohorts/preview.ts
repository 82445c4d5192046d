import { sql } from "drizzle-orm";
import { jsonRow } from "../../db/sql.ts";
import type { VerbContext } from "../core/verb.ts";
import { compileCohort } from "./compile.ts";
import type { Definition } from "./definition.ts";
import { type CohortMember, memberJsonArray, toMembers } from "./members.ts";
import { resolveDefinition } from "./resolve.ts";

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
          'sample', ${memberJsonArray(sql`SELECT id FROM members ORDER BY id LIMIT ${input.sampleSize}`)})`,
  );
  return { count: Number(row?.count ?? 0), sample: toMembers(row?.sample) };
}

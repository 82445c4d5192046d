import { sql } from "drizzle-orm";
import { z } from "zod";
import { NotFound } from "../core/errors.ts";
import { assertUnscoped } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";

export interface ResumedPostbacks {
  /** Jobs moved from `paused` back to `pending`: the caller enqueues them after this returns. */
  jobIds: number[];
  resolvedAlerts: number;
}

const resultSchema = z.object({
  found: z.number().int(),
  resolved_alerts: z.number().int(),
  job_ids: z.array(z.number().int()),
});

/**
 * Resumes a partner's postbacks after an automatic pause: clears the pause and the failure
 * counter, resolves the open pause alert, and puts its paused postbacks back to `pending`, due
 * now (their attempts so far still count towards the limit). One statement; resuming a partner
 * that is not paused changes nothing. Shared catalog: an unscoped key only.
 */
export async function resumePostbacks({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<ResumedPostbacks> {
  assertUnscoped(ctx.principal);
  const result = await ctx.db.execute<Record<string, unknown>>(sql`
    WITH partner AS (
      UPDATE partners SET postbacks_paused_at = NULL, postback_consecutive_failures = 0
      WHERE id = ${input.id} RETURNING id
    ), alert AS (
      UPDATE operator_alerts SET resolved_at = now()
      WHERE partner_id IN (SELECT id FROM partner) AND kind = 'partner_postbacks_paused' AND resolved_at IS NULL
      RETURNING id
    ), job AS (
      UPDATE relay_jobs SET status = 'pending', next_attempt_at = now(), updated_at = now()
      WHERE partner_id IN (SELECT id FROM partner) AND kind = 'postback' AND status = 'paused'
      RETURNING id
    )
    SELECT (SELECT count(*)::int FROM partner) AS found,
      (SELECT count(*)::int FROM alert) AS resolved_alerts,
      (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM job) AS job_ids`);
  const row = resultSchema.parse(result.rows[0]);
  if (row.found === 0) throw new NotFound("partner");
  return { jobIds: row.job_ids, resolvedAlerts: row.resolved_alerts };
}

import { sql } from "drizzle-orm";
import { assertBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";

export interface DashboardCohort {
  id: number;
  name: string;
  refresh: string;
  createdAt: Date;
  snapshots: number;
  /** The latest snapshot (by id): when it was taken and how many accounts it froze; null without one. */
  latest: { id: number; source: string; asOf: string | null; takenAt: Date; memberCount: number } | null;
}

/** The most cohorts the tab lists, newest first. */
export const cohortListLimit = 100;

/**
 * The cohorts tab's list: the brand's cohorts (newest first) with their snapshots' number and the latest
 * snapshot's `member_count`. Counts are never computed live here: a cohort's live count runs its definition
 * over the brand's accounts, which grows with the brand; a snapshot's count was stored when it was taken.
 */
export async function dashboardCohorts({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number };
}): Promise<DashboardCohort[]> {
  assertBrand(ctx.principal, input.brandId);
  const result = await ctx.db.execute<{
    id: number | string;
    name: string;
    refresh: string;
    created_at: string | Date;
    snapshots: number | string;
    snapshot_id: number | string | null;
    source: string | null;
    as_of: string | null;
    taken_at: string | Date | null;
    member_count: number | string | null;
  }>(sql`
    SELECT c.id, c.name, c.refresh::text AS refresh, c.created_at,
           (SELECT count(*) FROM cohort_snapshots n WHERE n.cohort_id = c.id) AS snapshots,
           s.id AS snapshot_id, s.source::text AS source, s.as_of::text AS as_of, s.taken_at, s.member_count
      FROM cohorts c
      LEFT JOIN LATERAL (
        SELECT id, source, as_of, taken_at, member_count FROM cohort_snapshots
         WHERE cohort_id = c.id ORDER BY id DESC LIMIT 1) s ON TRUE
     WHERE c.brand_id = ${input.brandId} AND c.deleted_at IS NULL
     ORDER BY c.id DESC LIMIT ${cohortListLimit}`);
  return result.rows.map((row) => ({
    id: Number(row.id),
    name: row.name,
    refresh: row.refresh,
    createdAt: new Date(row.created_at),
    snapshots: Number(row.snapshots),
    latest:
      row.snapshot_id === null || row.taken_at === null
        ? null
        : {
            id: Number(row.snapshot_id),
            source: row.source ?? "manual",
            asOf: row.as_of,
            takenAt: new Date(row.taken_at),
            memberCount: Number(row.member_count ?? 0),
          },
  }));
}

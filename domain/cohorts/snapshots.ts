import { type SQL, sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client.ts";
import { jsonRow, pgArray } from "../../db/sql.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import { type Cohort, cohortMemberIds, toCohort, visibleCohort } from "./cohorts.ts";
import { type CohortMember, memberJsonArray, memberPage, toMembers } from "./members.ts";

/**
 * Snapshots freeze a cohort's membership: the account ids the compiled definition selected at one moment,
 * written by ONE `INSERT … SELECT` from the compiled query (members never pass through the Worker). Orders,
 * refunds or rule changes afterwards change the cohort's live members, never a snapshot's. A member's
 * details (email, totals) are read as they are now; only who is a member is frozen.
 */

export type SnapshotSource = "manual" | "nightly";

export interface CohortSnapshot {
  id: number;
  cohortId: number;
  source: SnapshotSource;
  /** The run date of a nightly snapshot (`YYYY-MM-DD`); null for a manual one. */
  asOf: string | null;
  takenAt: Date;
  memberCount: number;
}

type Json = Record<string, unknown>;

function toSnapshot(row: Json): CohortSnapshot {
  return {
    id: Number(row.id),
    cohortId: Number(row.cohort_id),
    source: row.source as SnapshotSource,
    asOf: typeof row.as_of === "string" ? row.as_of : null,
    takenAt: new Date(String(row.taken_at)),
    memberCount: Number(row.member_count),
  };
}

/** Takes a snapshot of the cohort now: its members as the definition selects them at this moment. */
export async function createSnapshot({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { cohortId: number; now?: Date };
}): Promise<CohortSnapshot> {
  const cohort = await visibleCohort(ctx, input.cohortId);
  const now = input.now ?? new Date();
  const row = await jsonRow(
    ctx.db,
    sql`WITH members AS MATERIALIZED (${cohortMemberIds(cohort, now)}),
        snapshot AS (
          INSERT INTO cohort_snapshots (cohort_id, source, as_of, taken_at, member_count)
          SELECT ${cohort.id}, 'manual', NULL, ${now.toISOString()}::timestamptz, count(*) FROM members
          RETURNING *
        ), added AS (
          INSERT INTO cohort_snapshot_members (snapshot_id, account_id)
          SELECT s.id, m.id FROM snapshot s CROSS JOIN members m
        )
        SELECT to_jsonb(s) FROM snapshot s`,
  );
  if (!row) throw new Error("snapshot insert returned no row");
  return toSnapshot(row);
}

/**
 * The nightly snapshot of `cohort` for `date`, in one statement: the (cohort, date) row is inserted or, on
 * a re-run, kept and updated (taken_at, count), members the definition no longer selects are deleted and
 * new ones inserted, so a re-run leaves exactly what one run would and other dates are untouched.
 * "Within the last N days" counts back from the end of `date`. Returns the member rows changed.
 */
export async function writeNightlySnapshot(
  tx: Transaction,
  cohort: Pick<Cohort, "id" | "brandId" | "resolvedDefinition">,
  date: string,
  now: Date,
): Promise<number> {
  const result = await tx.execute<{ changed: string | number }>(sql`
    WITH members AS MATERIALIZED (${cohortMemberIds(cohort, now)}),
    snapshot AS (
      INSERT INTO cohort_snapshots (cohort_id, source, as_of, taken_at, member_count)
      SELECT ${cohort.id}, 'nightly', ${date}::date, clock_timestamp(), count(*) FROM members
      ON CONFLICT (cohort_id, as_of)
        DO UPDATE SET taken_at = excluded.taken_at, member_count = excluded.member_count
      RETURNING id
    ), removed AS (
      -- Only rows the definition no longer selects: the INSERT below touches only rows it does select.
      DELETE FROM cohort_snapshot_members sm USING snapshot s
       WHERE sm.snapshot_id = s.id AND NOT EXISTS (SELECT 1 FROM members m WHERE m.id = sm.account_id)
      RETURNING 1
    ), added AS (
      INSERT INTO cohort_snapshot_members (snapshot_id, account_id)
      SELECT s.id, m.id FROM snapshot s CROSS JOIN members m
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM removed) + (SELECT count(*) FROM added) AS changed`);
  return Number(result.rows[0]?.changed ?? 0);
}

/** The cohorts that ask for a daily snapshot, after `after` in id order, at most `limit`. */
export async function dailyCohorts(
  db: Pick<Executor, "execute">,
  after: number | null,
  limit: number,
): Promise<Cohort[]> {
  const result = await db.execute<{ cohort: Json }>(sql`
    SELECT to_jsonb(c) AS cohort FROM cohorts c
     WHERE c.refresh = 'daily' AND c.deleted_at IS NULL AND c.id > ${after ?? 0}
     ORDER BY c.id LIMIT ${limit}`);
  return result.rows.map((row) => toCohort(row.cohort));
}

/** The cohort's snapshots, newest first. */
export async function listSnapshots({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { cohortId: number; page: PageInput };
}): Promise<Page<CohortSnapshot>> {
  await visibleCohort(ctx, input.cohortId);
  const result = await ctx.db.execute<{ snapshot: Json }>(sql`
    SELECT to_jsonb(s) AS snapshot FROM cohort_snapshots s
     WHERE s.cohort_id = ${input.cohortId}
       ${input.page.after === null ? sql`` : sql`AND s.id < ${input.page.after}`}
     ORDER BY s.id DESC LIMIT ${input.page.limit + 1}`);
  return toPage(
    result.rows.map((row) => toSnapshot(row.snapshot)),
    input.page.limit,
  );
}

async function readSnapshots(
  ctx: VerbContext,
  cohortId: number,
  wanted: { field: string; id: number | null }[],
): Promise<CohortSnapshot[]> {
  const ids = wanted.map((item) => item.id ?? 0);
  const result = await ctx.db.execute<{ snapshot: Json }>(sql`
    SELECT to_jsonb(s) AS snapshot FROM cohort_snapshots s
     WHERE s.cohort_id = ${cohortId} AND s.id = ANY(${pgArray(ids)}::bigint[])`);
  const found = new Map(result.rows.map((row) => [Number(row.snapshot.id), toSnapshot(row.snapshot)]));
  const errors = new FieldErrors();
  const out: CohortSnapshot[] = [];
  for (const item of wanted) {
    const snapshot = item.id === null ? undefined : found.get(item.id);
    if (item.id === null) errors.add(item.field, "malformed", "Not a cohort snapshot id.");
    else if (!snapshot) errors.add(item.field, "not_found", "No such snapshot of this cohort.");
    else out.push(snapshot);
  }
  errors.throwIfAny();
  return out;
}

/** One snapshot of a visible cohort: 404 when the cohort has no such snapshot. */
async function snapshotOf(ctx: VerbContext, cohortId: number, snapshotId: number): Promise<CohortSnapshot> {
  await visibleCohort(ctx, cohortId);
  const row = await jsonRow(
    ctx.db,
    sql`SELECT to_jsonb(s) FROM cohort_snapshots s WHERE s.id = ${snapshotId} AND s.cohort_id = ${cohortId}`,
  );
  if (!row) throw new NotFound("cohort snapshot");
  return toSnapshot(row);
}

const snapshotIds = (snapshotId: number) => (after: number, limit: number) =>
  sql`SELECT account_id AS id FROM cohort_snapshot_members
       WHERE snapshot_id = ${snapshotId} AND account_id > ${after} ORDER BY account_id LIMIT ${limit}`;

/** A page of a snapshot's members, by account id. */
export async function snapshotMembers({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { cohortId: number; snapshotId: number; page: PageInput };
}): Promise<{ snapshot: CohortSnapshot; page: Page<CohortMember> }> {
  const snapshot = await snapshotOf(ctx, input.cohortId, input.snapshotId);
  return { snapshot, page: await memberPage(ctx.db, input.page, snapshotIds(snapshot.id)) };
}

export type DiffChange = "joined" | "left";

export interface SnapshotDiff {
  from: CohortSnapshot;
  to: CohortSnapshot;
  /** Members of `to` that were not in `from`. */
  joined: number;
  /** Members of `from` that are not in `to`. */
  left: number;
  change: DiffChange;
  /** A page of the `change` side's members, by account id. */
  page: Page<CohortMember>;
}

/** The accounts in snapshot `inside` and not in `outside`: an anti-join on the members' primary key. */
const onlyIn = (inside: number, outside: number): SQL =>
  sql`SELECT sm.account_id AS id FROM cohort_snapshot_members sm
       WHERE sm.snapshot_id = ${inside}
         AND NOT EXISTS (SELECT 1 FROM cohort_snapshot_members o
                          WHERE o.snapshot_id = ${outside} AND o.account_id = sm.account_id)`;

/**
 * What changed from snapshot `from` to snapshot `to` of one cohort: how many joined (in `to`, not in
 * `from`) and left (in `from`, not in `to`), and a page of one side's members, in one statement. Either
 * snapshot naming nothing of this cohort is a 422 on its parameter.
 */
export async function diffSnapshots({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { cohortId: number; from: number | null; to: number | null; change: DiffChange; page: PageInput };
}): Promise<SnapshotDiff> {
  await visibleCohort(ctx, input.cohortId);
  const [from, to] = await readSnapshots(ctx, input.cohortId, [
    { field: "from", id: input.from },
    { field: "to", id: input.to },
  ]);
  if (!from || !to) throw new Error("both snapshots were checked");
  const joined = onlyIn(to.id, from.id);
  const left = onlyIn(from.id, to.id);
  const side = input.change === "joined" ? joined : left;
  const after = input.page.after ?? 0;
  const row = await jsonRow(
    ctx.db,
    sql`SELECT jsonb_build_object(
          'joined', (SELECT count(*) FROM (${joined}) j),
          'left', (SELECT count(*) FROM (${left}) l),
          'members', ${memberJsonArray(
            sql`SELECT id FROM (${side}) d WHERE d.id > ${after} ORDER BY d.id LIMIT ${input.page.limit + 1}`,
          )})`,
  );
  const members = toMembers(row?.members);
  const items = members.slice(0, input.page.limit);
  const last = items[items.length - 1];
  return {
    from,
    to,
    joined: Number(row?.joined ?? 0),
    left: Number(row?.left ?? 0),
    change: input.change,
    page: { items, nextAfter: members.length > input.page.limit && last ? last.accountId : null },
  };
}

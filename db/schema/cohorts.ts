import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { brandClientAccounts } from "./sales.ts";

/** Whether the nightly `cohort-snapshots` job takes a snapshot of the cohort every day. */
export const cohortRefresh = pgEnum("cohort_refresh", ["none", "daily"]);
/** Who took a snapshot: a caller of the API, or the nightly job for a run date. */
export const cohortSnapshotSource = pgEnum("cohort_snapshot_source", ["manual", "nightly"]);

/**
 * A saved cohort (domain/cohorts): a definition of one brand's customers. The definition is kept as the
 * API received it (public hash ids), and beside it resolved to internal ids, checked when it was saved, so
 * the nightly job and the member lists compile it without the hash-id codec or another lookup. Its members
 * are always those of its own brand. Deleting only marks it: its snapshots stay readable in the database.
 */
export const cohorts = pgTable(
  "cohorts",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    name: text("name").notNull(),
    /** The definition as given (public ids), what the API shows. */
    definition: jsonb("definition").notNull(),
    /** The same definition with internal ids, what the compiler reads. */
    resolvedDefinition: jsonb("resolved_definition").notNull(),
    refresh: cohortRefresh("refresh").notNull().default("none"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    index("cohorts_brand_idx").on(t.brandId, t.id),
    index("cohorts_daily_idx").on(t.id).where(sql`${t.refresh} = 'daily' AND ${t.deletedAt} IS NULL`),
  ],
);

/**
 * The frozen membership of a cohort at one moment: rows, not a definition. A nightly snapshot is the one of
 * its run date (`as_of`): a re-run for that date replaces it in place (same row, members brought to what the
 * definition selects then), so (cohort, as_of) is unique; a manual snapshot has no date.
 */
export const cohortSnapshots = pgTable(
  "cohort_snapshots",
  {
    id: id(),
    cohortId: ref("cohort_id")
      .notNull()
      .references(() => cohorts.id),
    source: cohortSnapshotSource("source").notNull(),
    /** The run date of a nightly snapshot; null for a manual one. */
    asOf: date("as_of", { mode: "string" }),
    takenAt: timestamp("taken_at", { withTimezone: true }).notNull(),
    memberCount: integer("member_count").notNull(),
  },
  (t) => [
    uniqueIndex("cohort_snapshots_cohort_as_of_key").on(t.cohortId, t.asOf),
    index("cohort_snapshots_cohort_idx").on(t.cohortId, t.id),
    check("cohort_snapshots_as_of", sql`(${t.source} = 'nightly') = (${t.asOf} IS NOT NULL)`),
    check("cohort_snapshots_member_count", sql`${t.memberCount} >= 0`),
  ],
);

/** One account of a snapshot. The key's order (snapshot, account) is the member lists' and the diff's. */
export const cohortSnapshotMembers = pgTable(
  "cohort_snapshot_members",
  {
    snapshotId: bigint("snapshot_id", { mode: "number" })
      .notNull()
      .references(() => cohortSnapshots.id, { onDelete: "cascade" }),
    accountId: bigint("account_id", { mode: "number" })
      .notNull()
      .references(() => brandClientAccounts.id),
  },
  (t) => [primaryKey({ columns: [t.snapshotId, t.accountId] })],
);

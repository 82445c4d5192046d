import { dailyCohorts, writeNightlySnapshot } from "../cohorts/snapshots.ts";
import { endOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/**
 * The nightly snapshot of every cohort whose refresh is `daily` (domain/cohorts/snapshots.ts), for the run
 * date: cohorts in id order, `limit` a chunk, one set-based statement each (INSERT … SELECT from the
 * compiled definition; members never pass through the Worker). Idempotent for a date: a re-run keeps the
 * date's snapshot row and brings its members to what the definition selects then; other dates' snapshots
 * are never touched. "Within the last N days" counts back from the end of the date. A chunk's rows are the
 * snapshots it wrote (one per cohort), so its limit bounds the cohorts, not their members. It runs at
 * 03:30, after the 02:00 classification and the 02:30 aggregates.
 */
export const cohortSnapshotsJob: BatchJob = {
  name: "cohort-snapshots",
  summary: "Takes the run date's snapshot of every cohort that asks for a daily one (replacing that date's).",
  cron: "30 3 * * *",
  chunkSize: 50,
  async chunk({ tx, date, limit, after }) {
    const cohorts = await dailyCohorts(tx, after, limit);
    const now = endOfDate(date);
    for (const cohort of cohorts) await writeNightlySnapshot(tx, cohort, date, now);
    const last = cohorts[cohorts.length - 1];
    return { rows: cohorts.length, done: cohorts.length < limit, next: last ? last.id : after };
  },
};

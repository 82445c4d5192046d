import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { id } from "./common.ts";

/** A run is `running` until it ends `succeeded` or `failed`. */
export const batchRunOutcome = pgEnum("batch_run_outcome", ["running", "succeeded", "failed"]);

/**
 * One run of a nightly job (domain/batches) for one date: when it ran, how many rows it wrote, how it
 * ended. Runs are kept: a re-run of a date adds a row. At most one run of a job and date is `running`
 * at a time (the partial unique index is the claim); its lease says until when the claim holds without
 * a heartbeat, so a run that died does not block the date for ever.
 */
export const batchRuns = pgTable(
  "batch_runs",
  {
    id: id(),
    job: text("job").notNull(),
    /** The UTC day the run works on. */
    runDate: date("run_date", { mode: "string" }).notNull(),
    /** `cron` (a Cron Trigger) or `manual` (`npm run batch`). */
    trigger: text("trigger").notNull(),
    outcome: batchRunOutcome("outcome").notNull().default("running"),
    /** Rows the job changed, added up over its chunks. */
    rows: bigint("rows", { mode: "number" }).notNull().default(0),
    /** Transactions committed so far. */
    chunks: integer("chunks").notNull().default(0),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("batch_runs_running_key").on(t.job, t.runDate).where(sql`${t.outcome} = 'running'`),
    index("batch_runs_job_date_idx").on(t.job, t.runDate),
    check("batch_runs_finished", sql`(${t.outcome} = 'running') = (${t.finishedAt} IS NULL)`),
    check("batch_runs_rows", sql`${t.rows} >= 0 AND ${t.chunks} >= 0`),
  ],
);

import { and, desc, eq, gte, lt, lte, sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client.ts";
import { batchRuns } from "../../db/schema/batches.ts";
import { assertUnscoped } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import type { BatchDate } from "./dates.ts";

export type BatchRun = typeof batchRuns.$inferSelect;
export type BatchRunOutcome = BatchRun["outcome"];
export type BatchTrigger = "cron" | "manual";

/**
 * How long a claim holds without a heartbeat. Every chunk renews it, so it only has to outlast one chunk
 * (seconds); past it, a run that died (the Worker was evicted, the database went away before the run
 * could record its end) is taken over by the next run of the same job and date.
 */
export const defaultLeaseSeconds = 600;

/** The longest error text kept on a run. */
const maxErrorLength = 2000;

const leaseEnd = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;

/**
 * Claims a job and date for one run: the row-level rule that keeps one job from running twice at once for
 * the same date (no session lock: the pooler lends a connection per transaction). A `running` run of the
 * job and date whose lease has expired is first marked `failed` ("lease expired"); then a new `running`
 * row is inserted, which the partial unique index on (job, run_date) WHERE outcome = 'running' refuses
 * while another live run holds the claim. Returns the new run, or `null` when the claim is held.
 */
export async function claimRun(
  db: Executor,
  input: { job: string; date: BatchDate; trigger: BatchTrigger; leaseSeconds?: number },
): Promise<BatchRun | null> {
  const leaseSeconds = input.leaseSeconds ?? defaultLeaseSeconds;
  return withTransaction(db, async (tx) => {
    await tx
      .update(batchRuns)
      .set({
        outcome: "failed",
        finishedAt: sql`now()`,
        error: sql`'Its lease expired at ' || to_char(${batchRuns.leaseExpiresAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' without a heartbeat; a later run took over.'`,
      })
      .where(
        and(
          eq(batchRuns.job, input.job),
          eq(batchRuns.runDate, input.date),
          eq(batchRuns.outcome, "running"),
          lt(batchRuns.leaseExpiresAt, sql`now()`),
        ),
      );
    const [run] = await tx
      .insert(batchRuns)
      .values({
        job: input.job,
        runDate: input.date,
        trigger: input.trigger,
        leaseExpiresAt: leaseEnd(leaseSeconds),
      })
      .onConflictDoNothing({ target: [batchRuns.job, batchRuns.runDate], where: sql`outcome = 'running'` })
      .returning();
    return run ?? null;
  });
}

/** The run lost its claim (its lease expired and another run took over): its chunk must not commit. */
export class ClaimLost extends Error {
  constructor(runId: number) {
    super(`run ${runId} no longer holds its claim: its lease expired and another run took over`);
    this.name = "ClaimLost";
  }
}

/**
 * At the start of a chunk's transaction: renews the lease and locks the run row until the chunk commits,
 * so the claim cannot be taken over while the chunk works, however long it takes. Throws ClaimLost when
 * the run is no longer `running`.
 */
export async function holdClaim(tx: Transaction, runId: number, leaseSeconds: number): Promise<void> {
  const [held] = await tx
    .update(batchRuns)
    .set({ heartbeatAt: sql`now()`, leaseExpiresAt: leaseEnd(leaseSeconds) })
    .where(and(eq(batchRuns.id, runId), eq(batchRuns.outcome, "running")))
    .returning({ id: batchRuns.id });
  if (!held) throw new ClaimLost(runId);
}

/** At the end of a chunk's transaction: its rows, counted with the work they describe. */
export async function recordChunk(tx: Transaction, runId: number, rows: number): Promise<void> {
  await tx
    .update(batchRuns)
    .set({ rows: sql`${batchRuns.rows} + ${rows}`, chunks: sql`${batchRuns.chunks} + 1` })
    .where(eq(batchRuns.id, runId));
}

/** Ends a run that still holds its claim; a run taken over keeps the outcome the takeover gave it. */
export async function finishRun(
  db: Executor,
  runId: number,
  result: { outcome: "succeeded" } | { outcome: "failed"; error: string },
): Promise<BatchRun | null> {
  const [run] = await db
    .update(batchRuns)
    .set({
      outcome: result.outcome,
      finishedAt: sql`now()`,
      error: result.outcome === "failed" ? result.error.slice(0, maxErrorLength) : null,
    })
    .where(and(eq(batchRuns.id, runId), eq(batchRuns.outcome, "running")))
    .returning();
  return run ?? null;
}

export interface ListBatchRunsInput extends PageInput {
  job?: string | undefined;
  outcome?: BatchRunOutcome | undefined;
  /** Run dates on or after. */
  from?: BatchDate | undefined;
  /** Run dates on or before. */
  to?: BatchDate | undefined;
}

/** Runs newest first. Runs are global (every brand's data), so only a key for all brands sees them. */
export async function listBatchRuns({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ListBatchRunsInput;
}): Promise<Page<BatchRun>> {
  assertUnscoped(ctx.principal);
  const rows = await ctx.db
    .select()
    .from(batchRuns)
    .where(
      and(
        input.after === null ? undefined : lt(batchRuns.id, input.after),
        input.job === undefined ? undefined : eq(batchRuns.job, input.job),
        input.outcome === undefined ? undefined : eq(batchRuns.outcome, input.outcome),
        input.from === undefined ? undefined : gte(batchRuns.runDate, input.from),
        input.to === undefined ? undefined : lte(batchRuns.runDate, input.to),
      ),
    )
    .orderBy(desc(batchRuns.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

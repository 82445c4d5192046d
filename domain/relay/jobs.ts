import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { captures } from "../../db/schema/capture.ts";
import { relayAttempts, relayJobs, relayTargets } from "../../db/schema/relay.ts";
import { orders } from "../../db/schema/sales.ts";
import { NotFound } from "../core/errors.ts";
import { assertBrand, canSeeBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { Page, PageInput, VerbContext } from "../core/verb.ts";

export type RelayJob = typeof relayJobs.$inferSelect;
export type RelayAttempt = typeof relayAttempts.$inferSelect;
export type RelayStatus = RelayJob["status"];
export type RelayEvent = RelayJob["event"];

/** A job with the brand it belongs to (its capture's, its order's, or its buyer's; null when none). */
export type ScopedRelayJob = RelayJob & { brandId: number | null };

/**
 * The brand a job belongs to, for scoping: a lead event's capture, a sale's or refund's order, a
 * lead relay's buyer. A postback of a capture without a landing has none: unscoped keys only.
 */
const jobBrand = sql<
  number | null
>`coalesce(${captures.brandId}, ${orders.brandId}, ${relayTargets.brandId})`.mapWith((value) =>
  value === null ? null : Number(value),
);

function scopedJobs(db: Executor) {
  return db
    .select({ job: relayJobs, brandId: jobBrand })
    .from(relayJobs)
    .leftJoin(captures, eq(captures.id, relayJobs.captureId))
    .leftJoin(orders, eq(orders.id, relayJobs.orderId))
    .leftJoin(relayTargets, eq(relayTargets.id, relayJobs.relayTargetId));
}

/** A scoped caller sees only jobs of its brands. */
function scopeFilter(ctx: VerbContext): SQL | undefined {
  const scope = ctx.principal.brandIds;
  return scope === null ? undefined : inArray(jobBrand, [...scope]);
}

export interface RelayJobFilter {
  partnerId?: number | undefined;
  relayTargetId?: number | undefined;
  status?: RelayStatus | undefined;
  event?: RelayEvent | undefined;
  /** `created_at` at or after. */
  since?: Date | undefined;
  /** `created_at` before. */
  until?: Date | undefined;
}

function filterConditions(filter: RelayJobFilter): (SQL | undefined)[] {
  return [
    filter.partnerId === undefined ? undefined : eq(relayJobs.partnerId, filter.partnerId),
    filter.relayTargetId === undefined ? undefined : eq(relayJobs.relayTargetId, filter.relayTargetId),
    filter.status === undefined ? undefined : eq(relayJobs.status, filter.status),
    filter.event === undefined ? undefined : eq(relayJobs.event, filter.event),
    filter.since === undefined ? undefined : gte(relayJobs.createdAt, filter.since),
    filter.until === undefined ? undefined : lt(relayJobs.createdAt, filter.until),
  ];
}

/** Relay jobs, newest first (keyset on the id: the cursor is the last id seen). */
export async function listRelayJobs({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & RelayJobFilter;
}): Promise<Page<ScopedRelayJob>> {
  const rows = await scopedJobs(ctx.db)
    .where(
      and(
        input.after === null ? undefined : lt(relayJobs.id, input.after),
        ...filterConditions(input),
        scopeFilter(ctx),
      ),
    )
    .orderBy(desc(relayJobs.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit).map((row) => ({ ...row.job, brandId: row.brandId }));
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > input.limit && last ? last.id : null };
}

/** One job with every attempt, first attempt first. */
export async function getRelayJob({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<{ job: ScopedRelayJob; attempts: RelayAttempt[] }> {
  const [row] = await scopedJobs(ctx.db).where(eq(relayJobs.id, input.id));
  if (!row) throw new NotFound("relay job");
  assertBrand(ctx.principal, row.brandId);
  const attempts = await ctx.db
    .select()
    .from(relayAttempts)
    .where(eq(relayAttempts.jobId, input.id))
    .orderBy(asc(relayAttempts.attempt));
  return { job: { ...row.job, brandId: row.brandId }, attempts };
}

/** Statuses a resend may reset: a job that succeeded (or is being sent right now) is never sent again. */
export const resendableStatuses = ["failed", "paused", "pending"] as const;
export type ResendableStatus = (typeof resendableStatuses)[number];

export interface ResendInput {
  /** Explicit jobs (internal ids). */
  ids?: number[] | undefined;
  partnerId?: number | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Which statuses to resend; `failed` unless given. */
  statuses?: ResendableStatus[] | undefined;
  limit?: number | undefined;
}

export const defaultResendLimit = 100;
export const maxResendLimit = 1000;

/**
 * Resets the chosen jobs to `pending`, due now, and returns their ids; the caller sends one
 * `{ jobId }` message per job AFTER the commit. Idempotent: only jobs whose status is still
 * one of `statuses` are touched, so one that succeeded since (or is being sent) is left alone,
 * and a second resend of the same selection finds nothing failed. Attempts keep counting (each
 * stored attempt keeps its number); the sender gives a resent job one more attempt. Explicit ids
 * outside the caller's brands are refused (403) before anything is written; filters only ever
 * select jobs of the caller's brands. Rows are locked `SKIP LOCKED`: two resends never reset the
 * same job.
 */
export async function resendRelayJobs({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ResendInput;
}): Promise<number[]> {
  const statuses = input.statuses ?? ["failed"];
  const limit = Math.max(1, Math.min(Math.trunc(input.limit ?? defaultResendLimit), maxResendLimit));
  return withTransaction(ctx.db, async (tx) => {
    if (input.ids !== undefined && ctx.principal.brandIds !== null) {
      const named = await scopedJobs(tx).where(
        inArray(relayJobs.id, input.ids.length > 0 ? input.ids : [-1]),
      );
      for (const row of named) assertBrand(ctx.principal, row.brandId);
    }
    const chosen = scopedJobs(tx)
      .where(
        and(
          input.ids === undefined
            ? undefined
            : inArray(relayJobs.id, input.ids.length > 0 ? input.ids : [-1]),
          ...filterConditions({ partnerId: input.partnerId, since: input.since, until: input.until }),
          inArray(relayJobs.status, [...statuses]),
          scopeFilter(ctx),
        ),
      )
      .orderBy(asc(relayJobs.id))
      .limit(limit)
      .for("update", { of: relayJobs, skipLocked: true });
    const rows = await chosen;
    const jobIds = rows.filter((row) => canSeeBrand(ctx.principal, row.brandId)).map((row) => row.job.id);
    if (jobIds.length === 0) return [];
    const reset = await tx
      .update(relayJobs)
      .set({ status: "pending", nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(inArray(relayJobs.id, jobIds), inArray(relayJobs.status, [...statuses])))
      .returning({ id: relayJobs.id });
    return reset.map((row) => row.id).sort((a, b) => a - b);
  });
}

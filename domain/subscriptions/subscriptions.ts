import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { brandClientAccounts, orderItems } from "../../db/schema/sales.ts";
import {
  subscriptionHistory,
  subscriptionOccurrences,
  subscriptions,
} from "../../db/schema/subscriptions.ts";
import { Conflict, NotFound, ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import { canTransition, isFinalState, type SubscriptionState, subscriptionTransitions } from "./states.ts";

export type Subscription = typeof subscriptions.$inferSelect;
export type SubscriptionChange = typeof subscriptionHistory.$inferSelect;

/** A billed period and the order item (and its order) that billed it. */
export interface SubscriptionPeriod {
  number: number;
  orderId: number;
  orderItemId: number;
  periodStart: Date;
  periodEnd: Date;
}

export interface SubscriptionDetail extends Subscription {
  /** Every change, in the order it was made. */
  history: SubscriptionChange[];
  /** Every billed period, first first. */
  periods: SubscriptionPeriod[];
}

const list = (states: readonly SubscriptionState[]): string => states.join(", ");

/**
 * Why `from` → `to` is refused, or `null` when the table allows it. The message names the current state,
 * the requested one and every move the current state allows, so the caller can correct the request.
 */
export function transitionRefusal(from: SubscriptionState, to: SubscriptionState): string | null {
  if (canTransition(from, to)) return null;
  if (isFinalState(from))
    return from === to
      ? `The subscription is already ${from}, a final state: no move is allowed from it.`
      : `The subscription is ${from}, a final state: it cannot move to ${to}, or to any other state.`;
  const allowed = `From ${from} it can move to: ${list(subscriptionTransitions[from])}.`;
  if (from === to) return `The subscription is already ${from}. ${allowed}`;
  return `The subscription is ${from}; it cannot move to ${to}. ${allowed}`;
}

export interface TransitionInput {
  id: number;
  to: SubscriptionState;
  /** Why, in the caller's words; kept in the history row. */
  reason?: string | null | undefined;
}

/**
 * Moves a subscription to another state, if the transition table allows it, and records the change
 * (source `api`). The row is locked first, so a concurrent transition or renewal sees this one's
 * result: two callers cannot both move it out of the same state. `started_at` is set the first time
 * it becomes active, `ended_at` when it reaches a final state.
 */
export async function transitionSubscription({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: TransitionInput;
}): Promise<SubscriptionDetail> {
  return withTransaction(ctx.db, async (tx) => {
    const [current] = await tx
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.id, input.id))
      .for("update");
    if (!current) throw new NotFound("subscription");
    assertBrand(ctx.principal, current.brandId);
    const refusal = transitionRefusal(current.state, input.to);
    if (refusal !== null)
      throw new Conflict(refusal, [
        {
          field: "to",
          category: "not_allowed",
          message: isFinalState(current.state)
            ? `No move is allowed from ${current.state}.`
            : `Allowed from ${current.state}: ${list(subscriptionTransitions[current.state])}.`,
        },
      ]);

    // now() is the transaction's time: the history row's default `changed_at` is the same instant.
    const [moved] = await tx
      .update(subscriptions)
      .set({
        state: input.to,
        updatedAt: sql`now()`,
        ...(input.to === "active" ? { startedAt: sql`COALESCE(${subscriptions.startedAt}, now())` } : {}),
        ...(isFinalState(input.to) ? { endedAt: sql`now()` } : {}),
      })
      .where(eq(subscriptions.id, current.id))
      .returning();
    if (!moved) throw new NotFound("subscription");
    await tx.insert(subscriptionHistory).values({
      subscriptionId: current.id,
      fromState: current.state,
      toState: input.to,
      occurrences: current.occurrences,
      source: "api",
      reason: input.reason ?? null,
    });
    const [history, periods] = await readDetail(tx, current.id);
    return { ...moved, history, periods };
  });
}

/** A subscription with its history and billed periods; 403 for another brand's. */
export async function getSubscription({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<SubscriptionDetail> {
  const [row] = await ctx.db.select().from(subscriptions).where(eq(subscriptions.id, input.id));
  if (!row) throw new NotFound("subscription");
  assertBrand(ctx.principal, row.brandId);
  const [history, periods] = await readDetail(ctx.db, row.id);
  return { ...row, history, periods };
}

async function readDetail(
  db: VerbContext["db"],
  id: number,
): Promise<[SubscriptionChange[], SubscriptionPeriod[]]> {
  const history = await db
    .select()
    .from(subscriptionHistory)
    .where(eq(subscriptionHistory.subscriptionId, id))
    // Write order, not `changed_at`: an order's row carries the order's own time, which may be earlier
    // than a transition already recorded, and from → to must chain.
    .orderBy(asc(subscriptionHistory.id));
  const periods = await db
    .select({
      number: subscriptionOccurrences.number,
      orderId: orderItems.orderId,
      orderItemId: subscriptionOccurrences.orderItemId,
      periodStart: subscriptionOccurrences.periodStart,
      periodEnd: subscriptionOccurrences.periodEnd,
    })
    .from(subscriptionOccurrences)
    .innerJoin(orderItems, eq(orderItems.id, subscriptionOccurrences.orderItemId))
    .where(eq(subscriptionOccurrences.subscriptionId, id))
    .orderBy(asc(subscriptionOccurrences.number));
  return [history, periods];
}

export interface ListSubscriptionsInput extends PageInput {
  accountId?: number | undefined;
  state?: SubscriptionState | undefined;
}

/**
 * Subscriptions oldest first, of one account and/or in one state. A scoped key sees only its brands';
 * naming another brand's account is a 403, an account that does not exist a 422 on `account`.
 */
export async function listSubscriptions({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ListSubscriptionsInput;
}): Promise<Page<Subscription>> {
  if (input.accountId !== undefined) {
    const [account] = await ctx.db
      .select({ brandId: brandClientAccounts.brandId })
      .from(brandClientAccounts)
      .where(eq(brandClientAccounts.id, input.accountId));
    if (!account)
      throw new ValidationFailed([{ field: "account", category: "not_found", message: "No such account." }]);
    assertBrand(ctx.principal, account.brandId);
  }
  const scope = ctx.principal.brandIds;
  const rows = await ctx.db
    .select()
    .from(subscriptions)
    .where(
      and(
        input.after === null ? undefined : gt(subscriptions.id, input.after),
        input.accountId === undefined ? undefined : eq(subscriptions.accountId, input.accountId),
        input.state === undefined ? undefined : eq(subscriptions.state, input.state),
        scope === null ? undefined : inArray(subscriptions.brandId, [...scope]),
      ),
    )
    .orderBy(asc(subscriptions.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

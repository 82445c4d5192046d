import { commerceAppliers, hasApplier } from "./appliers.ts";
import type { ApplyContext, ApplyOutcome, StoredCommerceEvent } from "./stored-event.ts";

/**
 * Runs the appliers over stored events, type by type in the registry's order (so an order created here is
 * there for the payments that waited for it); events of a type with no applier are `unapplied`.
 */
export async function runAppliers(
  ctx: ApplyContext,
  events: readonly StoredCommerceEvent[],
): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = [];
  for (const [type, applier] of commerceAppliers) {
    const ofType = events.filter((event) => event.type === type);
    if (ofType.length > 0) outcomes.push(...(await applier.apply(ctx, ofType)));
  }
  for (const event of events)
    if (!hasApplier(event.type))
      outcomes.push({ id: event.id, status: "unapplied", error: "No applier for this type yet." });
  return outcomes;
}

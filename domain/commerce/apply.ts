import { commerceAppliers, hasApplier } from "./appliers.ts";
import type { CommerceEventType } from "./event-types.ts";
import type { ApplyContext, ApplyOutcome, CommerceApplier, StoredCommerceEvent } from "./stored-event.ts";

/**
 * Runs the appliers over stored events in the registry's order (so an order created here is there for the
 * payments that waited for it), each applier once with the events of all the types it is named for (so
 * it can act on them in one statement); events of a type with no applier are `unapplied`.
 */
export async function runAppliers(
  ctx: ApplyContext,
  events: readonly StoredCommerceEvent[],
): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = [];
  const typesOf = new Map<CommerceApplier, Set<CommerceEventType>>();
  for (const [type, applier] of commerceAppliers)
    typesOf.set(applier, (typesOf.get(applier) ?? new Set()).add(type));
  for (const [applier, types] of typesOf) {
    const ofTypes = events.filter((event) => types.has(event.type));
    if (ofTypes.length > 0) outcomes.push(...(await applier.apply(ctx, ofTypes)));
  }
  for (const event of events)
    if (!hasApplier(event.type))
      outcomes.push({ id: event.id, status: "unapplied", error: "No applier for this type yet." });
  return outcomes;
}

/**
 * Unsubscribes and resubscribes of one brand relationship, applied in the order they happened. Email
 * platforms report them late, and one batch can hold several moves of one relationship. A report older
 * than the state it would undo is stale and ignored. A resubscribe that arrives before the unsubscribe
 * it reverses finds nothing to restore, and the unsubscribe then stands: when reports cross, the person
 * gets no mail until they come back, never mail they asked to stop.
 */

import type { RelationshipState } from "../capture/outcome.ts";

/** The columns of `contact_brands` a move reads and writes. */
export interface RelationshipStanding {
  state: RelationshipState;
  unsubscribedAt: Date | null;
  unsubscribeSource: string | null;
  restoredAt: Date | null;
  restoreCount: number;
  deletedAt: Date | null;
}

export interface RelationshipMove {
  /** `leave`: the person asked for no more mail from the brand; `return`: they asked for it again. */
  kind: "leave" | "return";
  at: Date;
  /** Who reported it: `api`, `email_event`. */
  source: string;
  /** The reported reason (e.g. the email event type), kept in the history. */
  reason: string | null;
}

/** A change of state, as a `contact_events` row records it. */
export interface RelationshipTransition {
  type: "unsubscribed" | "restored";
  at: Date;
  source: string;
  detail: { reason?: string; restoreCount?: number };
}

/**
 * Applies `moves` (any order; sorted here by time, ties in the given order) to `current`:
 * - a leave unsubscribes a relationship that is not unsubscribed, unless it happened before the
 *   relationship's last restore (a stale report must not undo a newer comeback);
 * - a return restores a relationship that is unsubscribed, only when the same source unsubscribed it
 *   and not before the unsubscribe happened: a platform reverses its own unsubscribes, never one made
 *   through the API or by the person's own landing-page return, which restores by itself.
 * Returns the standing after all moves and one transition per change.
 */
export function applyRelationshipMoves(
  current: RelationshipStanding,
  moves: readonly RelationshipMove[],
): { next: RelationshipStanding; transitions: RelationshipTransition[] } {
  const ordered = moves
    .map((move, index) => ({ move, index }))
    .sort((a, b) => a.move.at.getTime() - b.move.at.getTime() || a.index - b.index)
    .map(({ move }) => move);
  let next = { ...current };
  const transitions: RelationshipTransition[] = [];
  for (const move of ordered) {
    const reason = move.reason === null ? {} : { reason: move.reason };
    if (move.kind === "leave") {
      if (next.state === "unsubscribed") continue;
      if (next.restoredAt !== null && move.at < next.restoredAt) continue;
      next = {
        ...next,
        state: "unsubscribed",
        unsubscribedAt: move.at,
        unsubscribeSource: move.source,
        deletedAt: move.at,
      };
      transitions.push({ type: "unsubscribed", at: move.at, source: move.source, detail: reason });
    } else {
      if (next.state !== "unsubscribed" || next.unsubscribeSource !== move.source) continue;
      if (next.unsubscribedAt !== null && move.at < next.unsubscribedAt) continue;
      next = {
        ...next,
        state: "restored",
        restoredAt: move.at,
        restoreCount: next.restoreCount + 1,
        deletedAt: null,
      };
      transitions.push({
        type: "restored",
        at: move.at,
        source: move.source,
        detail: { ...reason, restoreCount: next.restoreCount },
      });
    }
  }
  return { next, transitions };
}

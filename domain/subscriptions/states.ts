/**
 * The subscription lifecycle: seven states and the only moves allowed between them. A subscription is
 * `draft` until it is set up, goes through `activation` (first payment being taken) and `pending`
 * (waiting for the platform or a first delivery) to `active`; an active one can be `suspended` (payment
 * failed, paused) and resumed, and ends `cancelled` (someone ended it) or `expired` (its term ran out).
 * The two end states are final: a returning customer starts a new subscription.
 */
export const subscriptionStates = [
  "draft",
  "activation",
  "pending",
  "active",
  "suspended",
  "cancelled",
  "expired",
] as const;
export type SubscriptionState = (typeof subscriptionStates)[number];

export const subscriptionTransitions: Readonly<Record<SubscriptionState, readonly SubscriptionState[]>> = {
  draft: ["activation", "pending", "active", "cancelled"],
  activation: ["pending", "active", "cancelled"],
  pending: ["active", "cancelled"],
  active: ["suspended", "cancelled", "expired"],
  suspended: ["active", "cancelled", "expired"],
  cancelled: [],
  expired: [],
};

export const isFinalState = (state: SubscriptionState): boolean =>
  subscriptionTransitions[state].length === 0;

export function canTransition(from: SubscriptionState, to: SubscriptionState): boolean {
  return subscriptionTransitions[from].includes(to);
}

/** States in which an order may bill the next period (a renewal): a suspended one resumes by paying. */
export const renewableStates: readonly SubscriptionState[] = ["active", "suspended"];

import { describe, expect, it } from "vitest";
import {
  canTransition,
  isFinalState,
  renewableStates,
  type SubscriptionState,
  subscriptionStates,
  subscriptionTransitions,
} from "../../domain/subscriptions/states.ts";
import { transitionRefusal } from "../../domain/subscriptions/subscriptions.ts";

/**
 * The whole table written out by hand, row = from, column = to, in the order
 * draft, activation, pending, active, suspended, cancelled, expired. 1 = allowed.
 */
const expected: Record<SubscriptionState, string> = {
  draft: "0111010",
  activation: "0011010",
  pending: "0001010",
  active: "0000111",
  suspended: "0001011",
  cancelled: "0000000",
  expired: "0000000",
};

const pairs = subscriptionStates.flatMap((from) => subscriptionStates.map((to) => [from, to] as const));

describe("subscription transition table", () => {
  it("has the seven states of SPEC §8, in lifecycle order", () => {
    expect(subscriptionStates).toEqual([
      "draft",
      "activation",
      "pending",
      "active",
      "suspended",
      "cancelled",
      "expired",
    ]);
  });

  it.each(pairs)("%s → %s is allowed exactly when the table says so", (from, to) => {
    const allowed = expected[from][subscriptionStates.indexOf(to)] === "1";
    expect(canTransition(from, to)).toBe(allowed);
    expect(transitionRefusal(from, to) === null).toBe(allowed);
  });

  it("allows exactly 15 moves of the 49 pairs, none to the same state and none back to draft", () => {
    const legal = pairs.filter(([from, to]) => canTransition(from, to));
    expect(legal).toEqual([
      ["draft", "activation"],
      ["draft", "pending"],
      ["draft", "active"],
      ["draft", "cancelled"],
      ["activation", "pending"],
      ["activation", "active"],
      ["activation", "cancelled"],
      ["pending", "active"],
      ["pending", "cancelled"],
      ["active", "suspended"],
      ["active", "cancelled"],
      ["active", "expired"],
      ["suspended", "active"],
      ["suspended", "cancelled"],
      ["suspended", "expired"],
    ]);
    expect(pairs.length - legal.length).toBe(34);
  });

  it("has exactly two final states", () => {
    expect(subscriptionStates.filter(isFinalState)).toEqual(["cancelled", "expired"]);
    expect(subscriptionTransitions.cancelled).toEqual([]);
    expect(subscriptionTransitions.expired).toEqual([]);
  });

  it("renews only active and suspended subscriptions, both of which may then be active", () => {
    expect(renewableStates).toEqual(["active", "suspended"]);
  });
});

describe("transition refusals name the current state, the requested one and the allowed moves", () => {
  it("for a move the table does not have", () => {
    expect(transitionRefusal("active", "draft")).toBe(
      "The subscription is active; it cannot move to draft. From active it can move to: suspended, cancelled, expired.",
    );
    expect(transitionRefusal("pending", "suspended")).toBe(
      "The subscription is pending; it cannot move to suspended. From pending it can move to: active, cancelled.",
    );
    expect(transitionRefusal("draft", "expired")).toBe(
      "The subscription is draft; it cannot move to expired. From draft it can move to: activation, pending, active, cancelled.",
    );
  });

  it("for a move to the state it is in", () => {
    expect(transitionRefusal("suspended", "suspended")).toBe(
      "The subscription is already suspended. From suspended it can move to: active, cancelled, expired.",
    );
  });

  it("for any move out of a final state", () => {
    expect(transitionRefusal("cancelled", "active")).toBe(
      "The subscription is cancelled, a final state: it cannot move to active, or to any other state.",
    );
    expect(transitionRefusal("expired", "expired")).toBe(
      "The subscription is already expired, a final state: no move is allowed from it.",
    );
  });
});

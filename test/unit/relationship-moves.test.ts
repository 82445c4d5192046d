import { describe, expect, it } from "vitest";
import {
  applyRelationshipMoves,
  type RelationshipMove,
  type RelationshipStanding,
} from "../../domain/contacts/relationship-moves.ts";

const at = (minute: number) => new Date(Date.UTC(2026, 10, 22, 9, minute));
const active: RelationshipStanding = {
  state: "active",
  unsubscribedAt: null,
  unsubscribeSource: null,
  restoredAt: null,
  restoreCount: 0,
  deletedAt: null,
};
const leave = (
  minute: number,
  source = "email_event",
  reason: string | null = "unsubscribe",
): RelationshipMove => ({
  kind: "leave",
  at: at(minute),
  source,
  reason,
});
const comeBack = (minute: number, source = "email_event"): RelationshipMove => ({
  kind: "return",
  at: at(minute),
  source,
  reason: "group_resubscribe",
});

describe("applyRelationshipMoves", () => {
  it("unsubscribes an active relationship once; a second leave finds it ended", () => {
    expect(applyRelationshipMoves(active, [leave(5), leave(7, "email_event", "spam_report")])).toEqual({
      next: {
        state: "unsubscribed",
        unsubscribedAt: at(5),
        unsubscribeSource: "email_event",
        restoredAt: null,
        restoreCount: 0,
        deletedAt: at(5),
      },
      transitions: [
        { type: "unsubscribed", at: at(5), source: "email_event", detail: { reason: "unsubscribe" } },
      ],
    });
  });

  it("applies moves in time order, not in the order given, and counts each restore", () => {
    const { next, transitions } = applyRelationshipMoves(active, [
      comeBack(20),
      leave(30),
      leave(10),
      comeBack(40),
    ]);
    expect(transitions.map((t) => [t.type, t.at.getUTCMinutes(), t.detail])).toEqual([
      ["unsubscribed", 10, { reason: "unsubscribe" }],
      ["restored", 20, { reason: "group_resubscribe", restoreCount: 1 }],
      ["unsubscribed", 30, { reason: "unsubscribe" }],
      ["restored", 40, { reason: "group_resubscribe", restoreCount: 2 }],
    ]);
    expect(next).toEqual({
      state: "restored",
      unsubscribedAt: at(30),
      unsubscribeSource: "email_event",
      restoredAt: at(40),
      restoreCount: 2,
      deletedAt: null,
    });
  });

  it("keeps the given order for moves at the same instant", () => {
    expect(applyRelationshipMoves(active, [leave(5), comeBack(5)]).next.state).toBe("restored");
    expect(applyRelationshipMoves(active, [comeBack(5), leave(5)]).next.state).toBe("unsubscribed");
  });

  it("restores only what the same source ended", () => {
    const endedByApi = applyRelationshipMoves(active, [leave(5, "api", null)]).next;
    expect(endedByApi.unsubscribeSource).toBe("api");
    expect(applyRelationshipMoves(endedByApi, [comeBack(10)])).toEqual({ next: endedByApi, transitions: [] });
    expect(applyRelationshipMoves(endedByApi, [comeBack(10, "api")]).next.state).toBe("restored");
  });

  it("ignores a resubscribe older than the unsubscribe, and a leave older than the last restore", () => {
    const ended = applyRelationshipMoves(active, [leave(20)]).next;
    expect(applyRelationshipMoves(ended, [comeBack(15)])).toEqual({ next: ended, transitions: [] });
    // A landing-page comeback (the capture consumer's restore) at 30, then a report of a leave at 25.
    const back = {
      ...ended,
      state: "restored" as const,
      restoredAt: at(30),
      restoreCount: 1,
      deletedAt: null,
    };
    expect(applyRelationshipMoves(back, [leave(25)])).toEqual({ next: back, transitions: [] });
    expect(applyRelationshipMoves(back, [leave(30)]).next.state).toBe("unsubscribed");
  });

  it("does nothing for a resubscribe of a relationship that never ended", () => {
    expect(applyRelationshipMoves(active, [comeBack(5)])).toEqual({ next: active, transitions: [] });
  });
});

import { describe, expect, it } from "vitest";
import { jsonParam } from "../../db/sql.ts";
import { sqlState } from "../../db/sql-state.ts";
import {
  describeError,
  isConnectionFailure,
  ProcessingError,
  retryDelaySeconds,
} from "../../queues/capture/failure.ts";
import {
  contactEventRows,
  type LockedRelationship,
  relationshipUpdates,
} from "../../queues/capture/stages/07-contacts.ts";
import { flagsOfLevel, knowledgeAfter } from "../../queues/capture/stages/08-knowledge.ts";
import type { DecidedCapture } from "../../queues/capture/types.ts";

describe("retry back-off", () => {
  it("is base · 2^(attempts − 1), capped at 300 seconds", () => {
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelaySeconds(attempts, 2))).toEqual([2, 4, 8, 16, 32]);
    expect(retryDelaySeconds(3, 3)).toBe(12);
    expect(retryDelaySeconds(9, 2)).toBe(300);
    expect(retryDelaySeconds(0, 2)).toBe(2);
  });
});

describe("failure classification", () => {
  const wrapped = (code: string) =>
    Object.assign(new Error("Failed query: …"), { cause: Object.assign(new Error("x"), { code }) });

  it("finds the SQLSTATE under drizzle's wrapper", () => {
    expect(sqlState(wrapped("23505"))).toBe("23505");
    expect(sqlState(new Error("no code"))).toBeNull();
  });

  it("retries the whole batch for connection trouble, isolates messages for anything else", () => {
    expect(isConnectionFailure(new Error("WebSocket closed"))).toBe(true);
    expect(isConnectionFailure({ type: "error" })).toBe(true);
    expect(isConnectionFailure(wrapped("08006"))).toBe(true);
    expect(isConnectionFailure(wrapped("53300"))).toBe(true);
    expect(isConnectionFailure(wrapped("57P01"))).toBe(true);
    expect(isConnectionFailure(wrapped("23505"))).toBe(false);
    expect(isConnectionFailure(wrapped("22003"))).toBe(false);
    expect(isConnectionFailure(wrapped("40P01"))).toBe(false);
    expect(isConnectionFailure(new ProcessingError(new TypeError("bug")))).toBe(false);
  });

  it("describes an error by kind and code only, including the Event a refused WebSocket rejects with", () => {
    expect(describeError(wrapped("23505"))).toEqual({ name: "Error", code: "23505" });
    expect(describeError(new ProcessingError(new TypeError("quotes jane@example.com")))).toEqual({
      name: "TypeError",
      code: null,
    });
    expect(describeError(new Event("error"))).toEqual({ name: "Event:error", code: null });
    expect(describeError({ type: "close" })).toEqual({ name: "Object:close", code: null });
    expect(describeError(Object.create(null))).toEqual({ name: "object", code: null });
    expect(describeError("boom")).toEqual({ name: "string", code: null });
  });
});

describe("jsonb parameters", () => {
  const roundTrip = (value: unknown) => JSON.parse(jsonParam(value));

  it("replace NUL and lone surrogates, in values and in keys", () => {
    expect(roundTrip([{ "k\u0000": "v\u0000", nested: { "\uDC00": ["x\u0000"] } }])).toEqual([
      { "k\uFFFD": "v\uFFFD", nested: { "\uFFFD": ["x\uFFFD"] } },
    ]);
    expect(roundTrip("a\u0000b\uD800c")).toBe("a\uFFFDb\uFFFDc");
    expect(roundTrip("\u0000\u0000\u0000\uDBFF\uDC00\uDC00")).toBe("\uFFFD\uFFFD\uFFFD\uDBFF\uDC00\uFFFD");
    expect(roundTrip("end\uD83D")).toBe("end\uFFFD");
  });

  it("keep surrogate pairs, other control escapes and text that merely looks like an escape", () => {
    expect(roundTrip({ emoji: "😀", tab: "a\tb\u0001" })).toEqual({ emoji: "😀", tab: "a\tb\u0001" });
    // A backslash followed by "u0000" is text, not a NUL; after an escaped backslash a real NUL still goes.
    expect(roundTrip("\\u0000")).toBe("\\u0000");
    expect(roundTrip("\\\u0000")).toBe("\\\uFFFD");
    expect(jsonParam({ plain: "no escapes", n: 1 })).toBe('{"plain":"no escapes","n":1}');
  });
});

function capture(
  id: string,
  outcome: DecidedCapture["outcome"],
  overrides: Partial<DecidedCapture> = {},
): DecidedCapture {
  return {
    message: { captureId: id } as DecidedCapture["message"],
    ord: 0,
    receivedAt: new Date(`2026-11-22T10:00:0${id.slice(-1)}.000Z`),
    crawler: { isBot: outcome === "bot", reason: null, detail: null },
    errors: [],
    refs: { id: 5, brandId: 1, themeId: 2, partnerId: 3, productId: 4 },
    ruleId: null,
    email: { address: "a@b.co", domain: "b.co", sha256: "s", md5: "m" },
    geo: {} as DecidedCapture["geo"],
    marketing: {} as DecidedCapture["marketing"],
    httpLog: {} as DecidedCapture["httpLog"],
    outcome,
    stateBefore: null,
    stateAfter: outcome === "restored" ? "restored" : "active",
    emailId: 10,
    contactId: outcome === "bot" || outcome === "invalid" ? null : 20,
    relayJobs: [],
    ...overrides,
  };
}

describe("relationship updates and contact history", () => {
  const locked: LockedRelationship = {
    id: 7,
    contactId: 20,
    brandId: 1,
    stateBefore: "unsubscribed",
    restoreCountBefore: 2,
  };
  const of = (c: DecidedCapture) => (c.contactId === null ? undefined : locked);

  it("adds the batch's captures, duplicates and restores to each relationship", () => {
    const batch = [
      capture("c1", "restored", { stateBefore: "unsubscribed" }),
      capture("c2", "bot", { stateAfter: "restored" }),
      capture("c3", "duplicate", { stateBefore: "restored", stateAfter: "restored" }),
    ];
    expect(relationshipUpdates(batch, of)).toEqual([
      {
        id: 7,
        state: "restored",
        last_capture_id: "c3",
        captures: 2,
        duplicates: 1,
        restores: 1,
        restored_at: "2026-11-22T10:00:01.000Z",
      },
    ]);
  });

  it("records created once per new contact, then one event per accepted capture", () => {
    const batch = [capture("c1", "new"), capture("c2", "invalid"), capture("c3", "duplicate")];
    const rows = contactEventRows(batch, new Set([20]), of);
    expect(rows.map((row) => [row.type, row.capture_id])).toEqual([
      ["created", "c1"],
      ["captured", "c1"],
      ["duplicate", "c3"],
    ]);
    const restored = contactEventRows([capture("c4", "restored")], new Set(), of);
    expect(restored[0]?.detail).toEqual({ outcome: "restored", landingId: 5, partnerId: 3, restoreCount: 3 });
  });
});

describe("knowledge after the batch", () => {
  it("overlays the batch's relationship states on the committed ones", () => {
    const after = knowledgeAfter({
      emails: [
        { id: 1, sha256: "a" },
        { id: 2, sha256: "b" },
      ],
      contactOfEmail: (id) => (id === 1 ? 100 : undefined),
      committedBrands: () => [
        [3, "active"],
        [5, "unsubscribed"],
        [9, "restored"],
      ],
      batchBrands: () => [
        [5, "restored"],
        [9, "unsubscribed"],
        [1, "active"],
      ],
    });
    expect(after.get("a")).toEqual({ sha256: "a", hasContact: true, activeBrands: [1, 3, 5] });
    expect(after.get("b")).toEqual({ sha256: "b", hasContact: false, activeBrands: [] });
  });

  it("expands an edge level into its flags", () => {
    expect(flagsOfLevel("known_active")).toEqual({
      known: true,
      knownActive: true,
      knownActiveSameBrand: false,
    });
    expect(flagsOfLevel("unknown")).toEqual({
      known: false,
      knownActive: false,
      knownActiveSameBrand: false,
    });
  });
});

import { describe, expect, it } from "vitest";
import {
  captureOutcomes,
  classifyBatch,
  classifyOutcome,
  relationshipAfter,
} from "../../domain/capture/outcome.ts";

describe("classifyOutcome", () => {
  it("has exactly five outcomes", () => {
    expect(captureOutcomes).toEqual(["new", "duplicate", "restored", "invalid", "bot"]);
  });

  it("bot wins over everything", () => {
    expect(classifyOutcome({ isBot: true, invalid: true, stateBefore: "unsubscribed" })).toBe("bot");
    expect(classifyOutcome({ isBot: true, invalid: false, stateBefore: null })).toBe("bot");
  });

  it("invalid wins over the relationship", () => {
    expect(classifyOutcome({ isBot: false, invalid: true, stateBefore: null })).toBe("invalid");
    expect(classifyOutcome({ isBot: false, invalid: true, stateBefore: "active" })).toBe("invalid");
  });

  it("new without a relationship, duplicate when active or restored, restored when unsubscribed", () => {
    expect(classifyOutcome({ isBot: false, invalid: false, stateBefore: null })).toBe("new");
    expect(classifyOutcome({ isBot: false, invalid: false, stateBefore: "active" })).toBe("duplicate");
    expect(classifyOutcome({ isBot: false, invalid: false, stateBefore: "restored" })).toBe("duplicate");
    expect(classifyOutcome({ isBot: false, invalid: false, stateBefore: "unsubscribed" })).toBe("restored");
  });
});

describe("relationshipAfter", () => {
  it("follows the outcome; bots and invalid captures change nothing", () => {
    expect(relationshipAfter(null, "new")).toBe("active");
    expect(relationshipAfter("unsubscribed", "restored")).toBe("restored");
    expect(relationshipAfter("restored", "duplicate")).toBe("restored");
    expect(relationshipAfter("unsubscribed", "invalid")).toBe("unsubscribed");
    expect(relationshipAfter(null, "bot")).toBeNull();
  });
});

describe("classifyBatch", () => {
  const valid = (emailKey: string, brandId = 1) => ({ emailKey, brandId, isBot: false, invalid: false });

  it("makes the second capture of one email and brand in a batch a duplicate", () => {
    const result = classifyBatch([valid("a"), valid("a"), valid("a", 2), valid("b")], () => null);
    expect(result.map((r) => r.outcome)).toEqual(["new", "duplicate", "new", "new"]);
    expect(result[1]).toEqual({ outcome: "duplicate", stateBefore: "active", stateAfter: "active" });
  });

  it("restores once, then counts duplicates", () => {
    const result = classifyBatch([valid("a"), valid("a")], () => "unsubscribed");
    expect(result).toEqual([
      { outcome: "restored", stateBefore: "unsubscribed", stateAfter: "restored" },
      { outcome: "duplicate", stateBefore: "restored", stateAfter: "restored" },
    ]);
  });

  it("lets a bot or invalid capture leave the relationship for the next one", () => {
    const result = classifyBatch(
      [
        { emailKey: "a", brandId: 1, isBot: true, invalid: false },
        { emailKey: "a", brandId: 1, isBot: false, invalid: true },
        valid("a"),
      ],
      () => null,
    );
    expect(result.map((r) => r.outcome)).toEqual(["bot", "invalid", "new"]);
  });

  it("reads the stored state once per relationship", () => {
    const reads: string[] = [];
    classifyBatch([valid("a"), valid("a"), valid("b")], (key, brand) => {
      reads.push(`${key}:${brand}`);
      return "active";
    });
    expect(reads).toEqual(["a:1", "b:1"]);
  });

  it("without an email or a brand a capture is invalid (or a bot)", () => {
    const result = classifyBatch(
      [
        { emailKey: null, brandId: 1, isBot: false, invalid: false },
        { emailKey: "a", brandId: null, isBot: true, invalid: false },
      ],
      () => null,
    );
    expect(result.map((r) => r.outcome)).toEqual(["invalid", "bot"]);
  });
});

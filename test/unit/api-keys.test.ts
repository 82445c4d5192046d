import { describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey, looksLikeApiKey, needsTouch } from "../../domain/ops/api-keys.ts";

describe("API keys", () => {
  it("are lr_ and 32 base62 characters, different every time", () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey());
    for (const key of keys) expect(key).toMatch(/^lr_[0-9A-Za-z]{32}$/);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("use every base62 character about equally (no modulo bias)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i += 1) {
      for (const char of generateApiKey().slice(3)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    const expected = (4000 * 32) / 62;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it("are stored as their SHA-256", () => {
    expect(hashApiKey("lr_abc")).toBe("8f27a9de2edc30d77fc2f47a9b9e08b3829ec7093fb42332ea8e237c5a2acd23");
  });

  it("are shape-checked before any lookup", () => {
    expect(looksLikeApiKey(generateApiKey())).toBe(true);
    expect(looksLikeApiKey("lr_dev_admin_0000000000000000000000")).toBe(true);
    expect(looksLikeApiKey("lr_shortkey")).toBe(true);
    expect(looksLikeApiKey("lr_short")).toBe(false);
    expect(looksLikeApiKey("lr_")).toBe(false);
    expect(looksLikeApiKey("sk_live_abcdefghijkl")).toBe(false);
    expect(looksLikeApiKey("lr_has space inside")).toBe(false);
    expect(looksLikeApiKey(`lr_${"a".repeat(201)}`)).toBe(false);
  });

  it("record their use at most once a minute", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(needsTouch(null, now)).toBe(true);
    expect(needsTouch(new Date("2026-11-22T11:59:30Z"), now)).toBe(false);
    expect(needsTouch(new Date("2026-11-22T11:59:00Z"), now)).toBe(true);
  });
});

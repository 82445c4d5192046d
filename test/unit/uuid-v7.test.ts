import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";

const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timestampOf = (uuid: string): number => Number.parseInt(uuid.replaceAll("-", "").slice(0, 12), 16);

describe("uuidv7", () => {
  it("sets version 7 and the RFC 9562 variant", () => {
    for (let i = 0; i < 1000; i += 1) {
      const id = uuidv7();
      expect(id).toMatch(pattern);
      const hex = id.replaceAll("-", "");
      expect(Number.parseInt(hex[12] ?? "", 16)).toBe(7);
      expect(Number.parseInt(hex.slice(16, 18), 16) & 0xc0).toBe(0x80);
    }
  });

  it("encodes the Unix milliseconds in the first 48 bits", () => {
    const at = Date.UTC(2031, 4, 6, 7, 8, 9, 123) + 1_000_000_000;
    const id = uuidv7(at);
    expect(timestampOf(id)).toBe(at);
    expect(id.slice(0, 13)).toBe(
      `${at.toString(16).padStart(12, "0").slice(0, 8)}-${at.toString(16).padStart(12, "0").slice(8)}`,
    );
  });

  it("is strictly increasing within one millisecond, even across a counter overflow", () => {
    const at = Date.UTC(2040, 0, 1) + 17;
    const ids = Array.from({ length: 5000 }, () => uuidv7(at));
    for (let i = 1; i < ids.length; i += 1) {
      expect((ids[i] ?? "") > (ids[i - 1] ?? "")).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(timestampOf(ids[0] ?? "")).toBe(at);
    // 12 counter bits from a start below 2048 allow at least 2048 ids before the time is pushed on by a millisecond.
    expect(timestampOf(ids[2047] ?? "")).toBe(at);
    expect(timestampOf(ids[4999] ?? "")).toBeGreaterThan(at);
  });

  it("stays increasing when the clock goes backwards", () => {
    const at = Date.UTC(2045, 0, 1);
    const first = uuidv7(at);
    const second = uuidv7(at - 5000);
    expect(second > first).toBe(true);
  });

  it("sorts by time across milliseconds", () => {
    const at = Date.UTC(2050, 0, 1);
    const a = uuidv7(at);
    const b = uuidv7(at + 1);
    const c = uuidv7(at + 1000);
    expect([c, a, b].sort()).toEqual([a, b, c]);
    expect(timestampOf(b)).toBe(at + 1);
  });
});

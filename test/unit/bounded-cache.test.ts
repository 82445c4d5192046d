import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../domain/core/bounded-cache.ts";
import { remembered } from "../../domain/core/hash-ids.ts";
import { TtlCache } from "../../workers/edge/ttl-cache.ts";

const keysOf = (cache: BoundedCache<string, number>, keys: string[]) =>
  keys.filter((key) => cache.get(key) !== undefined);

describe("BoundedCache", () => {
  it("holds at most its capacity, evicting the least recently used", () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.size).toBe(3);
    // "a" is read, so "b" is now the least recent.
    expect(cache.get("a")).toBe(1);
    cache.set("d", 4);
    expect(cache.size).toBe(3);
    expect(cache.get("b")).toBeUndefined();
    expect([cache.get("a"), cache.get("c"), cache.get("d")]).toEqual([1, 3, 4]);
    // Order is now a, c, d read in that order: "a" is the least recent again.
    cache.set("e", 5);
    expect(keysOf(cache, ["a", "b", "c", "d", "e"])).toEqual(["c", "d", "e"]);
  });

  it("evicts in insertion order when nothing is read", () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    cache.set("d", 4);
    expect(keysOf(cache, ["a", "b", "c", "d"])).toEqual(["c", "d"]);
  });

  it("overwrites a key in place, making it the most recent, without growing", () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 10);
    expect(cache.size).toBe(2);
    cache.set("c", 3);
    expect(keysOf(cache, ["a", "b", "c"])).toEqual(["a", "c"]);
    expect(cache.get("a")).toBe(10);
  });

  it("keeps null as a value and tells it from a miss", () => {
    const cache = new BoundedCache<string, number | null>(2);
    cache.set("gone", null);
    expect(cache.get("gone")).toBeNull();
    expect(cache.get("never")).toBeUndefined();
  });

  it("expires an entry exactly ttlMs after it was set, by the injected clock", () => {
    let now = 1_000;
    const cache = new BoundedCache<string, number>(4, { ttlMs: 100, clock: () => now });
    cache.set("a", 1);
    now = 1_099;
    expect(cache.get("a")).toBe(1);
    now = 1_100;
    expect(cache.get("a")).toBeUndefined();
    // An expired entry is dropped when looked up, not kept until evicted.
    expect(cache.size).toBe(0);
  });

  it("does not extend a TTL on a hit", () => {
    let now = 0;
    const cache = new BoundedCache<string, number>(4, { ttlMs: 10, clock: () => now });
    cache.set("a", 1);
    now = 9;
    expect(cache.get("a")).toBe(1);
    now = 10;
    expect(cache.get("a")).toBeUndefined();
  });

  it("takes a TTL and a time per call over its own", () => {
    const cache = new BoundedCache<string, number>(4, {
      ttlMs: 10,
      clock: () => {
        throw new Error("the clock is not read when the time is given");
      },
    });
    cache.set("a", 1, 500, 2_000);
    expect(cache.get("a", 2_499)).toBe(1);
    expect(cache.get("a", 2_500)).toBeUndefined();
    // Overwriting restarts the TTL.
    cache.set("b", 2, 100, 0);
    cache.set("b", 3, 100, 50);
    expect(cache.get("b", 149)).toBe(3);
    expect(cache.get("b", 150)).toBeUndefined();
  });

  it("never expires without a TTL and never reads the clock then", () => {
    let reads = 0;
    const cache = new BoundedCache<string, number>(2, {
      clock: () => {
        reads += 1;
        return 0;
      },
    });
    cache.set("a", 1);
    expect(cache.get("a", Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(cache.get("a")).toBe(1);
    expect(reads).toBe(0);
  });

  it("forgets on delete and clear, and refuses a capacity below one", () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.delete("a");
    expect([cache.get("a"), cache.size]).toEqual([undefined, 1]);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(() => new BoundedCache(0)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });
});

describe("the caches built on it", () => {
  it("the edge's KV cache keeps a key every request reads when the cache is full", async () => {
    const cache = new TtlCache<string>(2);
    const loads: string[] = [];
    const read = (key: string, now = 0) =>
      cache.get(key, 1_000, now, async () => {
        loads.push(key);
        return `${key}!`;
      });
    await read("landing-1");
    await read("landing-2");
    expect(await read("landing-1")).toBe("landing-1!");
    await read("landing-3");
    // landing-1 was read last, so landing-2 went; before, the oldest loaded (landing-1) did.
    await read("landing-1");
    await read("landing-2");
    expect(loads).toEqual(["landing-1", "landing-2", "landing-3", "landing-2"]);
  });

  it("the edge's KV cache reloads exactly at the TTL, and caches nothing with a TTL of 0", async () => {
    const cache = new TtlCache<number>(4);
    let loads = 0;
    const read = (now: number, ttlMs = 100) => cache.get("rules", ttlMs, now, async () => ++loads);
    expect(await read(0)).toBe(1);
    expect(await read(99)).toBe(1);
    expect(await read(100)).toBe(2);
    expect(await read(150, 0)).toBe(3);
    expect(await read(150)).toBe(2);
  });

  it("the edge's KV cache keeps no failed read", async () => {
    const cache = new TtlCache<number>(4);
    await expect(cache.get("k", 100, 0, () => Promise.reject(new Error("kv down")))).rejects.toThrow();
    expect(cache.size).toBe(0);
    expect(await cache.get("k", 100, 0, async () => 7)).toBe(7);
  });

  it("the sqids shuffle memo keeps the value last used when full instead of forgetting everything", () => {
    const calls: string[] = [];
    const upper = remembered((value) => {
      calls.push(value);
      return value.toUpperCase();
    }, 2);
    upper("a");
    upper("b");
    upper("a");
    upper("c");
    expect([upper("a"), upper("c"), upper("b")]).toEqual(["A", "C", "B"]);
    expect(calls).toEqual(["a", "b", "c", "b"]);
  });
});

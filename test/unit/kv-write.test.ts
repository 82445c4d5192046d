import { describe, expect, it } from "vitest";
import { knowledgeKey } from "../../domain/contacts/knowledge.ts";
import { publishKnowledge } from "../../domain/contacts/knowledge-index.ts";
import { KvWriteError, kvRewriteDelayMs, putEntries } from "../../domain/platform/kv-write.ts";

/** A KV namespace whose `put` fails for a key as many times as `failures` says, then stores; it records concurrency. */
function flakyKv(failures: Record<string, number>) {
  const stored = new Map<string, string>();
  const puts: { key: string; at: number }[] = [];
  const started = Date.now();
  let inFlight = 0;
  let most = 0;
  const kv = {
    async put(key: string, value: string) {
      puts.push({ key, at: Date.now() - started });
      inFlight += 1;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      inFlight -= 1;
      const left = failures[key] ?? 0;
      if (left > 0) {
        failures[key] = left - 1;
        throw new Error(`KV PUT failed: 429 Too Many Requests (${left})`);
      }
      stored.set(key, value);
    },
  } as unknown as KVNamespace;
  return { kv, stored, puts, most: () => most };
}

const writes = (...keys: string[]) => keys.map((key) => ({ key, value: `value of ${key}` }));

describe("putEntries", () => {
  it("waits out KV's one write per second per key before its second try", () => {
    expect(kvRewriteDelayMs).toBeGreaterThan(1_000);
  });

  it("writes every entry once when KV takes them, `concurrency` at a time", async () => {
    const { kv, stored, puts, most } = flakyKv({});
    await putEntries(kv, writes("a", "b", "c", "d", "e"), { concurrency: 2 });
    expect(puts.map((put) => put.key)).toEqual(["a", "b", "c", "d", "e"]);
    expect(most()).toBe(2);
    expect([...stored.keys()]).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("writes a refused entry again after the delay, and only that one", async () => {
    const { kv, stored, puts } = flakyKv({ b: 1 });
    await putEntries(kv, writes("a", "b", "c"), { rewriteDelayMs: 30 });
    expect(puts.map((put) => put.key)).toEqual(["a", "b", "c", "b"]);
    expect(puts[3]?.at).toBeGreaterThanOrEqual(29);
    expect(stored).toEqual(
      new Map([
        ["a", "value of a"],
        ["c", "value of c"],
        ["b", "value of b"],
      ]),
    );
  });

  it("rejects with the count and the second failure when an entry is refused twice; the others are written", async () => {
    const { kv, stored, puts } = flakyKv({ a: 2, c: 1 });
    const error = await putEntries(kv, writes("a", "b", "c"), { rewriteDelayMs: 5 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(KvWriteError);
    expect(error).toMatchObject({
      name: "KvWriteError",
      failed: 1,
      total: 3,
      message: "1 of 3 KV writes failed twice",
      cause: new Error("KV PUT failed: 429 Too Many Requests (1)"),
    });
    expect(puts.map((put) => put.key)).toEqual(["a", "b", "c", "a", "c"]);
    expect([...stored.keys()]).toEqual(["b", "c"]);
  });

  it("writes nothing and waits for nothing for no entries", async () => {
    const { kv, puts } = flakyKv({});
    await putEntries(kv, [], { rewriteDelayMs: 60_000 });
    expect(puts).toEqual([]);
  });
});

describe("publishKnowledge", () => {
  it("writes each email's entry under its key, again after a refusal", async () => {
    const a = "a".repeat(64);
    const b = "b".repeat(64);
    const { kv, stored, puts } = flakyKv({ [knowledgeKey(a)]: 1 });
    const now = new Date("2026-11-23T01:02:03.456Z");
    await publishKnowledge(
      kv,
      new Map([
        [a, [3, 7]],
        [b, []],
      ]),
      { now, rewriteDelayMs: 5 },
    );
    expect(puts.map((put) => put.key)).toEqual([knowledgeKey(a), knowledgeKey(b), knowledgeKey(a)]);
    expect(Object.fromEntries(stored)).toEqual({
      [knowledgeKey(a)]: '{"v":1,"activeBrands":[3,7],"at":"2026-11-23T01:02:03.456Z"}',
      [knowledgeKey(b)]: '{"v":1,"activeBrands":[],"at":"2026-11-23T01:02:03.456Z"}',
    });
  });
});

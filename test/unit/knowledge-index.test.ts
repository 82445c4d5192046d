import { describe, expect, it } from "vitest";
import { knowledgeKey } from "../../domain/knowledge.ts";
import {
  KnowledgePublishError,
  knowledgeRewriteDelayMs,
  publishKnowledge,
} from "../../domain/knowledge-index.ts";

const a = "a".repeat(64);
const b = "b".repeat(64);
const now = new Date("2026-11-23T01:02:03.456Z");

/** A KV namespace whose `put` fails for a key as many times as `failures` says, then stores. */
function flakyKv(failures: Record<string, number>) {
  const stored = new Map<string, string>();
  const puts: { key: string; at: number }[] = [];
  const started = Date.now();
  const kv = {
    async put(key: string, value: string) {
      puts.push({ key, at: Date.now() - started });
      const left = failures[key] ?? 0;
      if (left > 0) {
        failures[key] = left - 1;
        throw new Error(`KV PUT failed: 429 Too Many Requests (${left})`);
      }
      stored.set(key, value);
    },
  } as unknown as KVNamespace;
  return { kv, stored, puts };
}

const entry = (activeBrands: number[]) => JSON.stringify({ v: 1, activeBrands, at: now.toISOString() });

describe("publishKnowledge", () => {
  it("waits out KV's one write per second per key before its second try", () => {
    expect(knowledgeRewriteDelayMs).toBeGreaterThan(1_000);
  });

  it("writes every entry once when KV takes them", async () => {
    const { kv, stored, puts } = flakyKv({});
    await publishKnowledge(
      kv,
      new Map([
        [a, [3, 7]],
        [b, []],
      ]),
      { now },
    );
    expect(puts.map((put) => put.key)).toEqual([knowledgeKey(a), knowledgeKey(b)]);
    expect(stored).toEqual(
      new Map([
        [knowledgeKey(a), entry([3, 7])],
        [knowledgeKey(b), entry([])],
      ]),
    );
  });

  it("writes a refused entry again after the delay, and only that one", async () => {
    const { kv, stored, puts } = flakyKv({ [knowledgeKey(a)]: 1 });
    await publishKnowledge(
      kv,
      new Map([
        [a, [3]],
        [b, [4]],
      ]),
      { now, rewriteDelayMs: 30 },
    );
    expect(puts.map((put) => put.key)).toEqual([knowledgeKey(a), knowledgeKey(b), knowledgeKey(a)]);
    expect(puts[2]?.at).toBeGreaterThanOrEqual(29);
    expect(stored).toEqual(
      new Map([
        [knowledgeKey(b), entry([4])],
        [knowledgeKey(a), entry([3])],
      ]),
    );
  });

  it("rejects with the count and the second failure when an entry is refused twice; the others are written", async () => {
    const { kv, stored, puts } = flakyKv({ [knowledgeKey(a)]: 2 });
    const error = await publishKnowledge(
      kv,
      new Map([
        [a, [3]],
        [b, [4]],
      ]),
      { now, rewriteDelayMs: 5 },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KnowledgePublishError);
    expect(error).toMatchObject({
      name: "KnowledgePublishError",
      failed: 1,
      total: 2,
      message: "1 of 2 knowledge index writes failed twice",
      cause: new Error("KV PUT failed: 429 Too Many Requests (1)"),
    });
    expect(puts.map((put) => put.key)).toEqual([knowledgeKey(a), knowledgeKey(b), knowledgeKey(a)]);
    expect(stored).toEqual(new Map([[knowledgeKey(b), entry([4])]]));
  });

  it("writes nothing and waits for nothing for no entries", async () => {
    const { kv, puts } = flakyKv({});
    await publishKnowledge(kv, new Map(), { now, rewriteDelayMs: 60_000 });
    expect(puts).toEqual([]);
  });
});

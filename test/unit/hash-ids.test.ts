import Sqids from "sqids";
import { describe, expect, it } from "vitest";
import { blockedIdCheck, entityKinds, hashIds, remembered } from "../../domain/core/hash-ids.ts";

const alphabet = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt";
const codec = hashIds(alphabet);

describe("hash ids", () => {
  it("round-trips ids of every kind", () => {
    for (const kind of Object.keys(entityKinds) as (keyof typeof entityKinds)[]) {
      for (const id of [1, 2, 42, 1000, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        const value = codec.encode(kind, id);
        expect(value).toMatch(/^[0-9A-Za-z]{8,}$/);
        expect(codec.decode(kind, value)).toBe(id);
      }
    }
  });

  it("is deterministic per alphabet and differs between alphabets", () => {
    expect(codec.encode("landing", 7)).toBe(hashIds(alphabet).encode("landing", 7));
    expect(hashIds(alphabet)).toBe(codec);
    const other = hashIds("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    expect(other.encode("landing", 7)).not.toBe(codec.encode("landing", 7));
    expect(other.decode("landing", codec.encode("landing", 7))).not.toBe(7);
  });

  it("refuses a hash id of another kind", () => {
    const brand = codec.encode("brand", 42);
    expect(codec.decode("brand", brand)).toBe(42);
    expect(codec.decode("product", brand)).toBeNull();
    expect(codec.decode("landing", brand)).toBeNull();
    expect(codec.decode("brand", codec.encode("landing", 42))).toBeNull();
  });

  it("refuses non-canonical spellings of the same numbers", () => {
    const value = codec.encode("landing", 5);
    const sqidsNumbers = [entityKinds.landing, 5];
    expect(sqidsNumbers).toEqual([5, 5]);
    // Changing the case or appending characters yields other (or no) numbers; never the same id.
    for (const variant of [
      value.toUpperCase(),
      value.toLowerCase(),
      `${value}a`,
      value.slice(1),
      ` ${value}`,
    ]) {
      if (variant === value) continue;
      expect(codec.decode("landing", variant)).toBeNull();
    }
  });

  it("refuses garbage", () => {
    for (const garbage of ["", "!", "abc", "not-a-hash", "%41%42", "x".repeat(33), "0", "🙂🙂🙂🙂🙂🙂🙂🙂"]) {
      expect(codec.decode("landing", garbage)).toBeNull();
    }
  });

  it("refuses ids below 1 and lists of another length", () => {
    expect(codec.decode("landing", codec.encode("landing", 0))).toBeNull();
  });
});

describe("the compiled blocklist check and the remembered shuffle", () => {
  // sqids' own check, called on a plain instance (private in its types, a method at run time).
  const plain = new Sqids({ alphabet, minLength: 8 });
  const libraryCheck = (id: string): boolean =>
    (plain as unknown as { isBlockedId(id: string): boolean }).isBlockedId(id);
  const words = [...(plain as unknown as { blocklist: Set<string> }).blocklist];
  const fast = blockedIdCheck(new Set(words));

  it("decides exactly as sqids does, word by word", () => {
    const candidates = words.flatMap((word) => [
      word,
      word.toUpperCase(),
      `${word}x9Q`,
      `Zq7${word}`,
      `ab${word}cd`,
      word.slice(1),
      `${word.slice(0, -1)}`,
    ]);
    const decisions = candidates.map((id) => [id, fast(id)]);
    expect(decisions).toEqual(candidates.map((id) => [id, libraryCheck(id)]));
    // Both kinds of answer occur, so the comparison means something.
    expect(decisions.filter(([, blocked]) => blocked).length).toBeGreaterThan(1000);
    expect(decisions.filter(([, blocked]) => !blocked).length).toBeGreaterThan(100);
  });

  it("gives the ids plain sqids gives, including the ones it re-encodes", () => {
    const unblocked = new Sqids({ alphabet, minLength: 8, blocklist: new Set() });
    let reEncoded = 0;
    for (let id = 1; id <= 20_000; id += 1) {
      const expected = plain.encode([entityKinds.order, id]);
      expect(codec.encode("order", id)).toBe(expected);
      if (expected !== unblocked.encode([entityKinds.order, id])) reEncoded += 1;
    }
    expect(reEncoded).toBeGreaterThan(0);
  });

  it("gives and reads the ids plain sqids gives for every kind, small and large ids", () => {
    const ids = [
      1,
      2,
      3,
      61,
      62,
      63,
      999,
      3_844,
      238_328,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 40 + 7,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const kind of Object.keys(entityKinds) as (keyof typeof entityKinds)[]) {
      for (const id of [...ids, ...Array.from({ length: 300 }, (_, n) => 1_000 + n * 7_919)]) {
        const expected = plain.encode([entityKinds[kind], id]);
        expect(codec.encode(kind, id)).toBe(expected);
        expect(codec.decode(kind, expected)).toBe(id);
      }
    }
  });

  it("decodes any string as plain sqids does", () => {
    const fastSqids = new Sqids({ alphabet, minLength: 8 });
    const internals = fastSqids as unknown as { shuffle: (value: string) => string };
    internals.shuffle = remembered(internals.shuffle.bind(fastSqids), 8);
    let state = 7;
    const next = () => {
      state = (state * 48_271) % 2_147_483_647;
      return state;
    };
    for (let n = 0; n < 5_000; n += 1) {
      const length = 1 + (next() % 32);
      const value = Array.from({ length }, () => alphabet[next() % alphabet.length]).join("");
      expect(fastSqids.decode(value)).toEqual(plain.decode(value));
    }
  });
});

describe("remembered", () => {
  it("computes a value once, and when full forgets the least recently used rather than grow", () => {
    const calls: string[] = [];
    const upper = remembered((value) => {
      calls.push(value);
      return value.toUpperCase();
    }, 2);
    expect([upper("a"), upper("b"), upper("a"), upper("b")]).toEqual(["A", "B", "A", "B"]);
    expect(calls).toEqual(["a", "b"]);
    // "a" was used least recently: "c" takes its place and "b" stays.
    expect([upper("c"), upper("b")]).toEqual(["C", "B"]);
    expect(calls).toEqual(["a", "b", "c"]);
    // Now "c" is the least recently used.
    expect([upper("a"), upper("b"), upper("c")]).toEqual(["A", "B", "C"]);
    expect(calls).toEqual(["a", "b", "c", "a", "c"]);
  });
});

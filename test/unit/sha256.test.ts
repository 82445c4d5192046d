import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256HexSync } from "../../domain/core/sha256.ts";

const reference = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

describe("sha256HexSync", () => {
  it("matches the FIPS 180-4 examples", () => {
    expect(sha256HexSync("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256HexSync("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256HexSync("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(sha256HexSync("a".repeat(1_000_000))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("matches node:crypto at every length around the block and padding boundaries", () => {
    for (let length = 0; length <= 200; length += 1) {
      const text = randomBytes(length).toString("base64").slice(0, length);
      expect([length, sha256HexSync(text)]).toEqual([length, reference(text)]);
    }
  });

  it("hashes UTF-8: multi-byte characters, surrogate pairs and unpaired surrogates", () => {
    for (const text of [
      "é",
      "한국어",
      "🙂",
      "a🙂b",
      "\ud800",
      "x\udc00y",
      "\u0000",
      "\uffff",
      "ü".repeat(40),
    ]) {
      expect([text, sha256HexSync(text)]).toEqual([text, reference(text)]);
    }
  });

  it("matches node:crypto for arbitrary strings", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        (text) => sha256HexSync(text) === reference(text),
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps no state between calls", () => {
    const first = sha256HexSync("johndoe@gmail.com");
    sha256HexSync("x".repeat(5000));
    expect(sha256HexSync("johndoe@gmail.com")).toBe(first);
    expect(first).toBe(reference("johndoe@gmail.com"));
  });
});

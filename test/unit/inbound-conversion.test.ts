import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  canonicalString,
  checkTimestamp,
  percentEncode,
  signConversion,
  verifyConversionSignature,
} from "../../domain/relay/inbound-conversion.ts";
import { readConversion } from "../../workers/edge/conversion-fields.ts";

const secret = "shh-partner-secret";

/** A conversion as a partner would send it, in the order it happened to write the query. */
const params: [string, string][] = [
  ["ts", "1763830000"],
  ["transaction_id", "T-1/2"],
  ["partner", "Xk9pQ2mZ"],
  ["sig", "ignored-by-the-canonical-string"],
  ["event", "sale"],
  ["click_id", "abc 123"],
  ["currency", "USD"],
  ["amount", "19.90"],
];

describe("canonical string", () => {
  it("sorts every parameter but sig by key and percent-encodes keys and values", () => {
    expect(canonicalString(params)).toBe(
      "amount=19.90&click_id=abc%20123&currency=USD&event=sale&partner=Xk9pQ2mZ&transaction_id=T-1%2F2&ts=1763830000",
    );
  });

  it("encodes UTF-8 bytes and every reserved character, keeps only A-Z a-z 0-9 - . _ ~", () => {
    expect(percentEncode("€&=+!*'() ~._-Az09")).toBe("%E2%82%AC%26%3D%2B%21%2A%27%28%29%20~._-Az09");
    expect(
      canonicalString([
        ["transaction_id", "東"],
        ["naïve", "€&=+!*"],
        ["event", "lead"],
      ]),
    ).toBe("event=lead&na%C3%AFve=%E2%82%AC%26%3D%2B%21%2A&transaction_id=%E6%9D%B1");
  });

  it("keeps empty values", () => {
    expect(
      canonicalString([
        ["b", ""],
        ["a", "1"],
      ]),
    ).toBe("a=1&b=");
  });
});

describe("signature", () => {
  // Computed independently (Python's hmac module) for the canonical strings above.
  const vectors = [
    {
      canonical:
        "amount=19.90&click_id=abc%20123&currency=USD&event=sale&partner=Xk9pQ2mZ&transaction_id=T-1%2F2&ts=1763830000",
      sig: "f830763202f23779dd95970720dd4264417bba3624487a731aa91f2e83fc3d0a",
    },
    {
      canonical: "event=lead&na%C3%AFve=%E2%82%AC%26%3D%2B%21%2A&transaction_id=%E6%9D%B1",
      sig: "458e19571662a0d6e7010b3d0fb7d471318bb78b7c93b6c565cfecde87457e0e",
    },
  ];

  for (const { canonical, sig } of vectors) {
    it(`signs ${canonical.slice(0, 24)}… as node:crypto does`, async () => {
      expect(createHmac("sha256", secret).update(canonical).digest("hex")).toBe(sig);
      expect(await signConversion(secret, canonical)).toBe(sig);
      expect(await verifyConversionSignature(secret, canonical, sig)).toBe(true);
      expect(await verifyConversionSignature(secret, canonical, sig.toUpperCase())).toBe(true);
    });
  }

  it("refuses another secret, another string, a changed digit and a malformed signature", async () => {
    const [{ canonical, sig }] = vectors as [{ canonical: string; sig: string }];
    expect(await verifyConversionSignature("other-secret", canonical, sig)).toBe(false);
    expect(await verifyConversionSignature(secret, canonical.replace("19.90", "99.90"), sig)).toBe(false);
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("a") ? "b" : "a"}`;
    expect(await verifyConversionSignature(secret, canonical, flipped)).toBe(false);
    expect(await verifyConversionSignature(secret, canonical, sig.slice(0, 62))).toBe(false);
    expect(await verifyConversionSignature(secret, canonical, `${sig.slice(0, 62)}zz`)).toBe(false);
    expect(await verifyConversionSignature(secret, canonical, "")).toBe(false);
  });
});

describe("timestamp window", () => {
  const now = 1_763_830_000_000;
  it.each([
    ["1763830000", "ok"],
    [String(1_763_830_000 - 900), "ok"],
    [String(1_763_830_000 - 901), "stale"],
    [String(1_763_830_000 + 60), "ok"],
    [String(1_763_830_000 + 61), "future"],
    ["1763830000.5", "malformed"],
    ["-5", "malformed"],
    ["", "missing"],
    [undefined, "missing"],
  ] as const)("ts %s is %s", (ts, expected) => {
    expect(checkTimestamp(ts, now)).toBe(expected);
  });
});

describe("conversion fields", () => {
  const read = (entries: Record<string, string>) => readConversion(new Map(Object.entries(entries)));

  it("converts the amount by the currency's exponent and defaults the event to sale", () => {
    expect(read({ click_id: "c1", amount: "19.90", currency: "USD" })).toEqual({
      ok: true,
      fields: { clickId: "c1", transactionId: null, event: "sale", amount: 1990, currency: "USD" },
    });
    expect(read({ transaction_id: "t1", amount: "19900", currency: "KRW", event: "lead" })).toEqual({
      ok: true,
      fields: { clickId: null, transactionId: "t1", event: "lead", amount: 19900, currency: "KRW" },
    });
    expect(read({ transaction_id: "t1", amount: "1.5", currency: "KWD" })).toMatchObject({
      fields: { amount: 1500 },
    });
    expect(read({ transaction_id: "t1", amount: "12.500", currency: "USD" })).toMatchObject({
      fields: { amount: 1250 },
    });
    expect(read({ transaction_id: "t1" })).toMatchObject({ fields: { amount: null, currency: null } });
  });

  it("names every bad field", () => {
    const fields = (entries: Record<string, string>) => {
      const result = read(entries);
      return result.ok ? [] : result.errors.map(({ field, category }) => ({ field, category }));
    };
    expect(fields({ event: "sale" })).toEqual([{ field: "click_id", category: "missing" }]);
    expect(fields({ click_id: "c", amount: "19.999", currency: "USD" })).toEqual([
      { field: "amount", category: "malformed" },
    ]);
    expect(fields({ click_id: "c", amount: "1e3", currency: "usd", event: "Sale!" })).toEqual([
      { field: "event", category: "malformed" },
      { field: "currency", category: "malformed" },
      { field: "amount", category: "malformed" },
    ]);
    expect(fields({ click_id: "c", amount: "999999999999999.99", currency: "USD" })).toEqual([
      { field: "amount", category: "out_of_range" },
    ]);
    expect(fields({ click_id: "c", amount: "10" })).toEqual([{ field: "currency", category: "missing" }]);
    expect(fields({ click_id: "c", currency: "EUR" })).toEqual([{ field: "amount", category: "missing" }]);
    expect(fields({ transaction_id: "x".repeat(257) })).toEqual([
      { field: "transaction_id", category: "too_long" },
    ]);
  });
});

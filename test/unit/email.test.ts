import { describe, expect, it } from "vitest";
import { emailHashes, md5Hex, normaliseEmail, sha256Hex } from "../../domain/contacts/email.ts";
import { sha256HexSync } from "../../domain/core/sha256.ts";

const address = (raw: string | null | undefined): string | null => {
  const result = normaliseEmail(raw);
  return typeof result === "object" ? result.address : null;
};

describe("normaliseEmail", () => {
  it("lower-cases and trims", () => {
    expect(normaliseEmail("  Jane.Doe@Example.COM \n")).toEqual({
      address: "jane.doe@example.com",
      local: "jane.doe",
      domain: "example.com",
    });
  });

  it("drops dots and +tags at Gmail, and folds googlemail.com into gmail.com", () => {
    expect(address("John.Doe+newsletter@gmail.com")).toBe("johndoe@gmail.com");
    expect(address("j.o.h.n.d.o.e@GMAIL.com")).toBe("johndoe@gmail.com");
    expect(address("JohnDoe@googlemail.com")).toBe("johndoe@gmail.com");
    expect(address("john.doe+a+b@googlemail.com")).toBe("johndoe@gmail.com");
  });

  it("drops +tags but keeps dots at other plus-addressing providers", () => {
    expect(address("first.last+shop@outlook.com")).toBe("first.last@outlook.com");
    expect(address("First.Last+x@Hotmail.com")).toBe("first.last@hotmail.com");
    expect(address("a.b+c@icloud.com")).toBe("a.b@icloud.com");
    expect(address("a.b+c@fastmail.com")).toBe("a.b@fastmail.com");
  });

  it("keeps +tags and dots at other domains", () => {
    expect(address("first.last+shop@example.com")).toBe("first.last+shop@example.com");
    expect(address("first.last+shop@gmail.co.kr")).toBe("first.last+shop@gmail.co.kr");
  });

  it("reports missing input", () => {
    expect(normaliseEmail(undefined)).toBe("missing");
    expect(normaliseEmail(null)).toBe("missing");
    expect(normaliseEmail("")).toBe("missing");
    expect(normaliseEmail("   \t ")).toBe("missing");
  });

  it("reports garbage as malformed", () => {
    for (const garbage of [
      "not an email",
      "plainaddress",
      "@example.com",
      "user@",
      "user@@example.com",
      "user@example",
      "user@example.c",
      "user@localhost",
      "user@1.2.3.4",
      "user@[1.2.3.4]",
      '"quoted"@example.com',
      "a..b@example.com",
      ".a@example.com",
      "a.@example.com",
      "a b@example.com",
      "user@-example.com",
      "user@example-.com",
      "user@exa_mple.com",
      "user@example.com.",
      "+tag@gmail.com",
      "...@gmail.com",
      "josé@example.com",
      "<script>@example.com",
      "user@exa/mple.com",
      "user@münchen/x.de",
    ]) {
      expect([garbage, normaliseEmail(garbage)]).toEqual([garbage, "malformed"]);
    }
  });

  it("reports addresses over 254 characters as too long, and a local part over 64 as malformed", () => {
    const longDomain = `${"a".repeat(61)}.${"b".repeat(61)}.${"c".repeat(61)}.${"d".repeat(61)}.com`;
    expect(`user@${longDomain}`.length).toBe(256);
    expect(normaliseEmail(`user@${longDomain}`)).toBe("too_long");
    const justFits = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(62)}.com`;
    expect(address(`user@${justFits}`)).toBe(`user@${justFits}`);
    expect(`user@${justFits}`.length).toBe(254);
    // 60 "ü" are 60 characters as typed, but 60 + "xn--" + 60 ASCII after encoding: a domain label too long to exist.
    expect(normaliseEmail(`user@${"ü".repeat(60)}.de`)).toBe("malformed");
    // Six labels of 20 distinct Hangul syllables: 128 characters as typed, over 254 once punycode-encoded.
    const label = (start: number) =>
      Array.from({ length: 20 }, (_, i) => String.fromCharCode(start + i * 37)).join("");
    const unicodeDomain = [0xac00, 0xb000, 0xb400, 0xb800, 0xbc00, 0xc000].map(label).join(".");
    expect(unicodeDomain.length).toBe(125);
    expect(normaliseEmail(`user@${unicodeDomain}.kr`)).toBe("too_long");
    expect(normaliseEmail(`${"x".repeat(65)}@example.com`)).toBe("malformed");
    expect(address(`${"x".repeat(64)}@example.com`)).toBe(`${"x".repeat(64)}@example.com`);
    expect(normaliseEmail(`user@${"b".repeat(64)}.com`)).toBe("malformed");
  });

  it("turns internationalised domains into their punycode form", () => {
    expect(address("user@münchen.de")).toBe("user@xn--mnchen-3ya.de");
    expect(address("User@MÜNCHEN.DE")).toBe("user@xn--mnchen-3ya.de");
    expect(address("user@xn--mnchen-3ya.de")).toBe("user@xn--mnchen-3ya.de");
    expect(address("user@münchen。de")).toBe("user@xn--mnchen-3ya.de");
    expect(address("user@例え.テスト")).toBe("user@xn--r8jz45g.xn--zckzah");
  });

  it("folds full-width input into ASCII before applying provider rules", () => {
    expect(address("ｊｏｈｎ．ｄｏｅ＠ｇｍａｉｌ．ｃｏｍ")).toBe("johndoe@gmail.com");
    expect(address("Jane＠Example.com")).toBe("jane@example.com");
  });
});

describe("hashes", () => {
  it("hashes the normalised address with SHA-256 and MD5 in lower-case hex", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(md5Hex("abc")).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(emailHashes("johndoe@gmail.com")).toEqual({
      sha256: sha256Hex("johndoe@gmail.com"),
      md5: md5Hex("johndoe@gmail.com"),
    });
    expect(emailHashes("johndoe@gmail.com").sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the edge's synchronous SHA-256 the same email hash", () => {
    for (const value of ["johndoe@gmail.com", "user@xn--mnchen-3ya.de", "first.last+shop@example.com"]) {
      expect(sha256HexSync(value)).toBe(sha256Hex(value));
    }
  });
});

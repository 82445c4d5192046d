import { describe, expect, it } from "vitest";
import { verifySendGridSignature } from "../../api/adapters/email-signatures.ts";
import { verifyShopifyHmac } from "../../api/adapters/shopify-hmac.ts";
import { decodeBase64 } from "../../domain/core/base64.ts";

const bytesOf = (value: Uint8Array | null) => (value === null ? null : [...value]);

describe("decodeBase64", () => {
  it("decodes padded base64 to its exact bytes, every tail length", () => {
    expect(bytesOf(decodeBase64(""))).toEqual([]);
    expect(bytesOf(decodeBase64("/w=="))).toEqual([0xff]);
    expect(bytesOf(decodeBase64("AP8="))).toEqual([0x00, 0xff]);
    expect(bytesOf(decodeBase64("+/8A"))).toEqual([0xfb, 0xff, 0x00]);
    expect(bytesOf(decodeBase64("TWFueQ=="))).toEqual([0x4d, 0x61, 0x6e, 0x79]);
    expect(bytesOf(decodeBase64("TWFueSA="))).toEqual([0x4d, 0x61, 0x6e, 0x79, 0x20]);
    expect(bytesOf(decodeBase64("TWFueSBo"))).toEqual([0x4d, 0x61, 0x6e, 0x79, 0x20, 0x68]);
  });

  it("requires padding by default", () => {
    for (const value of ["/w", "AP8", "TWFueQ", "TWFueSA"]) expect(decodeBase64(value)).toBeNull();
  });

  it("takes padding or its absence when it is optional", () => {
    const optional = { padding: "optional" } as const;
    expect(bytesOf(decodeBase64("/w", optional))).toEqual([0xff]);
    expect(bytesOf(decodeBase64("/w==", optional))).toEqual([0xff]);
    expect(bytesOf(decodeBase64("AP8", optional))).toEqual([0x00, 0xff]);
    expect(bytesOf(decodeBase64("AP8=", optional))).toEqual([0x00, 0xff]);
    expect(bytesOf(decodeBase64("", optional))).toEqual([]);
    // A single character left over is never base64; nor is half a padding.
    for (const value of ["A", "TWFueSBoA", "/w=", "A==="]) expect(decodeBase64(value, optional)).toBeNull();
  });

  it("refuses extra, misplaced or partial padding", () => {
    for (const value of [
      "/w===",
      "AP8==",
      "+/8A=",
      "+/8A====",
      "=",
      "==",
      "====",
      "/w==/w==",
      "A=P8",
      "A===",
    ])
      expect(decodeBase64(value)).toBeNull();
  });

  it("refuses whitespace anywhere, the URL-safe alphabet and anything not ASCII", () => {
    for (const value of [
      " AP8=",
      "AP8= ",
      "AP\n8=",
      "TWFu\r\neQ==",
      "AP8=\t",
      "-_8A",
      "+_8A",
      "-/8A",
      "AP8é",
      "AP8\u0000",
      "ＡP8=",
      "AP8=\u00a0",
    ])
      expect(decodeBase64(value)).toBeNull();
  });

  it("does not insist the unused bits of the last character are zero (like atob and the copies before)", () => {
    expect(bytesOf(decodeBase64("/x=="))).toEqual([0xff]);
  });
});

describe("its users", () => {
  it("Shopify's header: padded only, surrounding whitespace trimmed", async () => {
    const text = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
    const signature = "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=";
    expect(await verifyShopifyHmac(text, `\t${signature}\n`, "key")).toBe(true);
    expect(await verifyShopifyHmac(text, signature.slice(0, -1), "key")).toBe(false);
    expect(await verifyShopifyHmac(text, signature.replaceAll("+", "-"), "key")).toBe(false);
  });

  // SendGrid's own published vector (@sendgrid/eventwebhook's tests), as in email-signatures.test.ts.
  const key =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
  const signature =
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
  const timestamp = "1588788367";
  const payload = new TextEncoder().encode(
    JSON.stringify({ category: "example_payload", event: "test_event", message_id: "message_id" }),
  );

  it("SendGrid's key as pasted: padding may be lost, line breaks and armour are taken", async () => {
    expect(await verifySendGridSignature(payload, signature, timestamp, key.slice(0, -2))).toBe(true);
    const wrapped = `  ${key.slice(0, 40)}\r\n${key.slice(40, 80)}\n\t${key.slice(80)}\n`;
    expect(await verifySendGridSignature(payload, signature, timestamp, wrapped)).toBe(true);
    expect(await verifySendGridSignature(payload, signature, timestamp, `${key.slice(0, -2)}=`)).toBe(false);
    expect(await verifySendGridSignature(payload, signature, timestamp, key.replaceAll("/", "_"))).toBe(
      false,
    );
  });

  it("SendGrid's signature header: padded or not, as before; broken by whitespace inside is refused", async () => {
    expect(await verifySendGridSignature(payload, ` ${signature} `, timestamp, key)).toBe(true);
    // Padding is not what is signed: an unpadded header still verifies (as before the decoders were merged).
    expect(await verifySendGridSignature(payload, signature.slice(0, -1), timestamp, key)).toBe(true);
    const broken = `${signature.slice(0, 40)} ${signature.slice(40)}`;
    expect(await verifySendGridSignature(payload, broken, timestamp, key)).toBe(false);
  });
});

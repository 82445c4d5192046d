import { createHmac, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  derToRawSignature,
  leadrailSignature,
  verifyLeadrailSignature,
  verifySendGridSignature,
} from "../../api/adapters/email-signatures.ts";

const bytes = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(new TextEncoder().encode(text));

describe("verifySendGridSignature", () => {
  // The vector of SendGrid's own Node library tests (@sendgrid/eventwebhook): key, signature, timestamp, payload.
  const published = {
    key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
    signature:
      "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
    timestamp: "1588788367",
    payload: JSON.stringify({ category: "example_payload", event: "test_event", message_id: "message_id" }),
  };

  it("accepts SendGrid's published vector and refuses it altered", async () => {
    const { key, signature, timestamp, payload } = published;
    expect(await verifySendGridSignature(bytes(payload), signature, timestamp, key)).toBe(true);
    expect(await verifySendGridSignature(bytes(`${payload}\r\n`), signature, timestamp, key)).toBe(false);
    expect(await verifySendGridSignature(bytes(payload), signature, "1588788368", key)).toBe(false);
    const pem = `-----BEGIN PUBLIC KEY-----\n${key.slice(0, 64)}\n${key.slice(64)}\n-----END PUBLIC KEY-----\n`;
    expect(await verifySendGridSignature(bytes(payload), signature, timestamp, pem)).toBe(true);
  });

  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const publicKey = pair.publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
    .publicKey.export({ type: "spki", format: "der" })
    .toString("base64");
  const body = JSON.stringify([
    { email: "ana@example.com", event: "delivered", sg_event_id: "x", timestamp: 1 },
  ]);
  const timestamp = "1763820000";
  /** What SendGrid sends: base64 of the DER signature of timestamp + body. */
  const signed = (text: string, at = timestamp) =>
    sign("sha256", Buffer.from(at + text), pair.privateKey).toString("base64");

  it("accepts a signature made with a key pair generated here, refuses every alteration", async () => {
    const signature = signed(body);
    expect(await verifySendGridSignature(bytes(body), signature, timestamp, publicKey)).toBe(true);
    expect(
      await verifySendGridSignature(bytes(body.replace("ana", "ann")), signature, timestamp, publicKey),
    ).toBe(false);
    expect(await verifySendGridSignature(bytes(body), signature, "1763820001", publicKey)).toBe(false);
    expect(await verifySendGridSignature(bytes(body), signature, timestamp, other)).toBe(false);
    // The raw (r ‖ s) form is not what SendGrid sends.
    const p1363 = sign("sha256", Buffer.from(timestamp + body), {
      key: pair.privateKey,
      dsaEncoding: "ieee-p1363",
    }).toString("base64");
    expect(await verifySendGridSignature(bytes(body), p1363, timestamp, publicKey)).toBe(false);
    for (const bad of [null, undefined, "", "not base64!", signature.slice(0, 20)])
      expect(await verifySendGridSignature(bytes(body), bad, timestamp, publicKey)).toBe(false);
    expect(await verifySendGridSignature(bytes(body), signature, null, publicKey)).toBe(false);
    // The same signature without its base64 padding is still the same signature.
    const unpadded = published.signature.replace(/=+$/, "");
    expect(unpadded).not.toBe(published.signature);
    expect(
      await verifySendGridSignature(bytes(published.payload), unpadded, published.timestamp, published.key),
    ).toBe(true);
    expect(await verifySendGridSignature(bytes(body), signature, "", publicKey)).toBe(false);
    expect(await verifySendGridSignature(bytes(body), signature, timestamp, "")).toBe(false);
    expect(await verifySendGridSignature(bytes(body), signature, timestamp, "bm90IGEga2V5")).toBe(false);
  });

  it("converts DER to r ‖ s for every shape of integer (leading zero, short)", () => {
    const shapes = new Set<string>();
    for (let i = 0; i < 400; i += 1) {
      const data = Buffer.from(`message ${i}`);
      const der = sign("sha256", data, pair.privateKey);
      const rLength = der[3] ?? 0;
      const sLength = der[4 + rLength + 1] ?? 0;
      shapes.add(`${rLength}/${sLength}`);
      const raw = derToRawSignature(der);
      expect(raw?.length).toBe(64);
      expect(
        verify("sha256", data, { key: pair.publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(raw ?? [])),
      ).toBe(true);
    }
    // 33-byte (high bit set) and 32-byte integers both occurred; shorter ones are rare, so built below.
    expect([...shapes].some((shape) => shape.includes("33"))).toBe(true);
    expect([...shapes].some((shape) => shape.includes("32"))).toBe(true);
    const short = Uint8Array.from([0x30, 0x08, 0x02, 0x02, 0x01, 0x02, 0x02, 0x02, 0x7f, 0x03]);
    const raw = derToRawSignature(short);
    expect(raw && [...raw.subarray(30, 32)]).toEqual([0x01, 0x02]);
    expect(raw && [...raw.subarray(62, 64)]).toEqual([0x7f, 0x03]);
    expect(raw?.subarray(0, 30).every((byte) => byte === 0)).toBe(true);
  });

  it("refuses malformed DER", () => {
    expect(derToRawSignature(Uint8Array.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]))).toBeNull();
    expect(derToRawSignature(Uint8Array.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]))).toBeNull();
    expect(derToRawSignature(Uint8Array.from([0x30, 0x06, 0x02, 0x00, 0x02, 0x02, 0x01, 0x01]))).toBeNull();
    // A 33-byte integer whose first byte is not the sign pad.
    const wide = Uint8Array.from([0x30, 0x26, 0x02, 0x21, ...new Array(33).fill(1), 0x02, 0x01, 0x01]);
    expect(derToRawSignature(wide)).toBeNull();
    // Trailing bytes after s.
    expect(
      derToRawSignature(Uint8Array.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00])),
    ).toBeNull();
  });
});

describe("X-Leadrail-Signature", () => {
  const secret = "email_whsec_5d41402abc4b2a76b9719d911017c592";
  const body = JSON.stringify({ events: [{ id: "e1", type: "open", email: "ana@example.com" }] });
  /** The reference: `sha256=` and Node's hex HMAC, as `openssl dgst -sha256 -hmac` prints it. */
  const reference = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

  it("is sha256= and the hex HMAC-SHA256 of the raw body", async () => {
    expect(await leadrailSignature(bytes(body), secret)).toBe(reference);
    expect(await verifyLeadrailSignature(bytes(body), reference, secret)).toBe(true);
    expect(
      await verifyLeadrailSignature(
        bytes(body),
        ` ${reference.toUpperCase().replace("SHA256", "sha256")} `,
        secret,
      ),
    ).toBe(true);
  });

  it("refuses another body, another secret, or a malformed header", async () => {
    expect(await verifyLeadrailSignature(bytes(`${body} `), reference, secret)).toBe(false);
    expect(await verifyLeadrailSignature(bytes(body), reference, `${secret}x`)).toBe(false);
    expect(await verifyLeadrailSignature(bytes(body), reference.slice(7), secret)).toBe(false);
    expect(await verifyLeadrailSignature(bytes(body), reference.slice(0, -2), secret)).toBe(false);
    const base64 = `sha256=${createHmac("sha256", secret).update(body).digest("base64")}`;
    expect(await verifyLeadrailSignature(bytes(body), base64, secret)).toBe(false);
    expect(await verifyLeadrailSignature(bytes(body), null, secret)).toBe(false);
    expect(await verifyLeadrailSignature(bytes(body), reference, "")).toBe(false);
  });
});

import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyShopifyHmac } from "../../api/adapters/shopify-hmac.ts";
import usdText from "../fixtures/shopify/orders-create-usd.json?raw";

const secret = "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";
const body = new TextEncoder().encode(usdText);
/** The reference signature, computed by Node's own HMAC as Shopify documents it. */
const signature = createHmac("sha256", secret).update(usdText, "utf8").digest("base64");

describe("verifyShopifyHmac", () => {
  it("accepts the signature of the exact raw body", async () => {
    expect(await verifyShopifyHmac(body, signature, secret)).toBe(true);
    expect(await verifyShopifyHmac(body, ` ${signature} `, secret)).toBe(true);
  });

  it("matches a fixed vector", async () => {
    // The widely published HMAC-SHA256("key", "The quick brown fox…") = f7bc83f4…2d1a3cd8 (hex), in base64.
    const text = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
    expect(await verifyShopifyHmac(text, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=", "key")).toBe(true);
  });

  it("refuses another body, another secret, a truncated, garbled or missing signature", async () => {
    const tampered = new TextEncoder().encode(usdText.replace('"97.34"', '"9.73"'));
    expect(await verifyShopifyHmac(tampered, signature, secret)).toBe(false);
    expect(await verifyShopifyHmac(body, signature, `${secret}x`)).toBe(false);
    expect(await verifyShopifyHmac(body, signature.slice(0, 40), secret)).toBe(false);
    expect(await verifyShopifyHmac(body, `${signature.slice(0, -2)}!=`, secret)).toBe(false);
    const hex = createHmac("sha256", secret).update(usdText, "utf8").digest("hex");
    expect(await verifyShopifyHmac(body, hex, secret)).toBe(false);
    expect(await verifyShopifyHmac(body, null, secret)).toBe(false);
    expect(await verifyShopifyHmac(body, "", secret)).toBe(false);
    expect(await verifyShopifyHmac(body, signature, "")).toBe(false);
  });
});

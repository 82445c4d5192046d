import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateRefund, type CreditableOrderLine } from "../../domain/commerce/refund-allocation.ts";

const product = (productId: number, sku: string, amount: number, credited = 0): CreditableOrderLine => ({
  kind: "product",
  productId,
  sku,
  amount,
  credited,
});
const shippingLine = (amount: number, credited = 0): CreditableOrderLine => ({
  kind: "shipping",
  productId: null,
  sku: null,
  amount,
  credited,
});

// SO-100231: serum 60,000, mask 12,000, shipping 3,000.
const order = [product(1, "SERUM-30", 60_000), product(2, "MASK-5", 12_000), shippingLine(3_000)];

describe("allocateRefund", () => {
  it("takes the product lines in line order", () => {
    expect(allocateRefund(order, 20_000)).toEqual({
      ok: true,
      parts: [{ kind: "product", productId: 1, sku: "SERUM-30", amount: 20_000 }],
    });
    expect(allocateRefund(order, 65_000)).toEqual({
      ok: true,
      parts: [
        { kind: "product", productId: 1, sku: "SERUM-30", amount: 60_000 },
        { kind: "product", productId: 2, sku: "MASK-5", amount: 5_000 },
      ],
    });
  });

  it("takes shipping last, and the whole order exactly", () => {
    expect(allocateRefund(order, 75_000)).toEqual({
      ok: true,
      parts: [
        { kind: "product", productId: 1, sku: "SERUM-30", amount: 60_000 },
        { kind: "product", productId: 2, sku: "MASK-5", amount: 12_000 },
        { kind: "shipping", amount: 3_000 },
      ],
    });
  });

  it("skips what is already credited", () => {
    const refunded = [
      product(1, "SERUM-30", 60_000, 60_000),
      product(2, "MASK-5", 12_000, 2_000),
      shippingLine(3_000),
    ];
    expect(allocateRefund(refunded, 11_000)).toEqual({
      ok: true,
      parts: [
        { kind: "product", productId: 2, sku: "MASK-5", amount: 10_000 },
        { kind: "shipping", amount: 1_000 },
      ],
    });
  });

  it("one part per product when two lines bill one SKU", () => {
    const twoLines = [
      product(1, "SERUM-30", 30_000),
      product(2, "MASK-5", 12_000),
      product(1, "SERUM-30", 30_000),
    ];
    expect(allocateRefund(twoLines, 72_000)).toEqual({
      ok: true,
      parts: [
        { kind: "product", productId: 1, sku: "SERUM-30", amount: 60_000 },
        { kind: "product", productId: 2, sku: "MASK-5", amount: 12_000 },
      ],
    });
  });

  it("with the shipping given: that much of shipping, the rest over the products only", () => {
    expect(allocateRefund(order, 13_000, 3_000)).toEqual({
      ok: true,
      parts: [
        { kind: "product", productId: 1, sku: "SERUM-30", amount: 10_000 },
        { kind: "shipping", amount: 3_000 },
      ],
    });
    expect(allocateRefund(order, 2_000, 2_000)).toEqual({
      ok: true,
      parts: [{ kind: "shipping", amount: 2_000 }],
    });
  });

  it("refuses more than the order can take, saying what it could", () => {
    expect(allocateRefund(order, 75_001)).toEqual({ ok: false, refundable: 75_000 });
    expect(allocateRefund([product(1, "SERUM-30", 60_000, 59_000)], 2_000)).toEqual({
      ok: false,
      refundable: 1_000,
    });
    // More shipping than the order charged, or products that cannot take the rest.
    expect(allocateRefund(order, 4_000, 4_000)).toEqual({ ok: false, refundable: 75_000 });
    expect(allocateRefund([product(1, "SERUM-30", 1_000), shippingLine(3_000)], 3_500, 1_000)).toEqual({
      ok: false,
      refundable: 4_000,
    });
  });

  it("refuses an amount that is not a positive integer, or shipping beyond it", () => {
    expect(() => allocateRefund(order, 0)).toThrow(RangeError);
    expect(() => allocateRefund(order, 1.5)).toThrow(RangeError);
    expect(() => allocateRefund(order, 1_000, 2_000)).toThrow(RangeError);
  });

  it("the parts always add up to the amount, each within what its lines have left", () => {
    const lineArb = fc.record({
      product: fc.integer({ min: 1, max: 3 }),
      amount: fc.integer({ min: 0, max: 50_000 }),
      creditedShare: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 5 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 200_000 }),
        (raw, ship, amount) => {
          const lines = [
            ...raw.map((l) =>
              product(
                l.product,
                `SKU-${l.product}`,
                l.amount,
                Math.floor((l.amount * l.creditedShare) / 100),
              ),
            ),
            shippingLine(ship),
          ];
          const left = (p: number | null) =>
            lines.filter((l) => l.productId === p).reduce((sum, l) => sum + l.amount - l.credited, 0);
          const result = allocateRefund(lines, amount);
          const total = left(1) + left(2) + left(3) + left(null);
          if (!result.ok) {
            expect(result.refundable).toBe(total);
            expect(total).toBeLessThan(amount);
            return;
          }
          expect(result.parts.reduce((sum, part) => sum + part.amount, 0)).toBe(amount);
          for (const part of result.parts) {
            expect(part.amount).toBeGreaterThan(0);
            expect(part.amount).toBeLessThanOrEqual(left(part.kind === "product" ? part.productId : null));
          }
        },
      ),
    );
  });
});

import { describe, expect, it } from "vitest";
import { cartTotalOf } from "../../domain/commerce/carts.ts";

describe("cartTotalOf", () => {
  it("is the event's total when it gives one, whatever the items", () => {
    expect(cartTotalOf({ total: 10_000, items: [{ sku: "A", quantity: 2, unit_price: 1 }] })).toEqual({
      total: 10_000,
      keep: false,
    });
    expect(cartTotalOf({ total: 0 })).toEqual({ total: 0, keep: false });
  });

  it("is Σ quantity × unit price when every item has a price, else unknown", () => {
    const items = [
      { sku: "SERUM-30", quantity: 2, unit_price: 32_000 },
      { sku: "MASK-5", quantity: 1, unit_price: 12_000 },
    ];
    expect(cartTotalOf({ items })).toEqual({ total: 76_000, keep: false });
    expect(cartTotalOf({ items: [...items, { sku: "GIFT", quantity: 1 }] })).toEqual({
      total: null,
      keep: false,
    });
    expect(cartTotalOf({ items: [] })).toEqual({ total: 0, keep: false });
  });

  it("says nothing (the stored total stays) when the event has neither a total nor items", () => {
    expect(cartTotalOf({})).toEqual({ total: null, keep: true });
  });
});

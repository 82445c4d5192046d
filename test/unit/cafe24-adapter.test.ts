import { describe, expect, it } from "vitest";
import { cafe24OrderToNormalised, kstTime } from "../../api/adapters/cafe24.ts";
import { parseStoreJson } from "../../api/adapters/json.ts";
import { createOrderBody, type NormalisedOrder } from "../../api/schemas/order.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import krwText from "../fixtures/cafe24/order-krw.json?raw";
import usdText from "../fixtures/cafe24/order-usd-global.json?raw";

const invoiced = (order: NormalisedOrder): number =>
  order.items.reduce(
    (acc, item) => acc + item.quantity * item.unit_price - (item.discount ?? 0) + (item.tax ?? 0),
    0,
  ) + (order.shipping ?? 0);

const fixture = (text: string): Record<string, unknown> => parseStoreJson(text) as Record<string, unknown>;

const fieldsOf = (work: () => unknown): string[] => {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationFailed) return error.errors.map((e) => `${e.field}:${e.category}`);
    throw error;
  }
  throw new Error("expected a ValidationFailed");
};

describe("Cafe24 order → normalised order", () => {
  it("maps a won order: option price, item coupon, member discount spread over lines, points in the payment", () => {
    const order = cafe24OrderToNormalised(fixture(krwText), {
      brand: "Xk3G7QAe",
      market: "kr",
      country: "KR",
    });
    expect(order).toEqual({
      platform: "cafe24",
      external_id: "20260418-0000231",
      brand: "Xk3G7QAe",
      market: "kr",
      currency: "KRW",
      placed_at: "2026-04-18T05:05:09.000Z",
      customer: { email: "minji.kim@example.com", first_name: "김민지", phone: "010-1234-5678" },
      billing_address: {
        country: "KR",
        line1: "서울특별시 중구 세종대로 110",
        line2: "3층",
        postal_code: "04524",
      },
      shipping_address: {
        country: "KR",
        line1: "서울특별시 강남구 테헤란로 152",
        line2: "12층",
        postal_code: "06236",
      },
      items: [
        {
          sku: "SERUM-C-30",
          name: "비타민C 세럼 30ml",
          offer: "P00000BK000A",
          quantity: 2,
          unit_price: 32000,
          // 3,200 coupon + 1,280 of the 1,720 member discount (60,800 of 81,700 net).
          discount: 4480,
          tax: 0,
        },
        {
          sku: "P00000CM",
          name: "수분 토너 (용량=300ml)",
          offer: "P00000CM000B",
          quantity: 1,
          unit_price: 22000,
          discount: 1540,
          tax: 0,
        },
      ],
      shipping: 3000,
      coupons: [],
      marketing: {},
      payment: { amount: 82980, method: "card", paid_at: "2026-04-18T05:05:31.000Z" },
    });
    // payment_amount 81,980 + 1,000 points.
    expect(invoiced(order)).toBe(82980);
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("maps a tax-exclusive USD order of a global mall: tax spread over lines, shipping tax, no payment yet", () => {
    const order = cafe24OrderToNormalised(fixture(usdText), {
      brand: "Xk3G7QAe",
      market: "us",
      country: "US",
    });
    expect(order).toEqual({
      platform: "cafe24",
      external_id: "20260520-0000087",
      brand: "Xk3G7QAe",
      market: "us",
      currency: "USD",
      // Written without an offset: KST.
      placed_at: "2026-05-20T00:30:00.000Z",
      customer: { email: "noah.park@example.com", first_name: "Noah Park", phone: "+1 213-555-0188" },
      shipping_address: {
        country: "US",
        region: "CA",
        city: "Los Angeles",
        postal_code: "90012",
        line1: "200 N Spring St",
        line2: "Suite 310",
      },
      items: [
        {
          sku: "TONER-150",
          name: "Hydrating Toner",
          offer: "TONER-150-STD",
          quantity: 2,
          unit_price: 2250,
          discount: 450,
          tax: 291,
        },
        {
          sku: "SERUM-C-30",
          name: "Vitamin C Serum 30ml",
          offer: "P0000AAB000A",
          quantity: 1,
          unit_price: 3400,
          discount: 0,
          tax: 244,
        },
      ],
      // 12.00 − 2.00 shipping discount + 0.80 shipping tax.
      shipping: 1080,
      coupons: [],
      marketing: {},
    });
    expect(invoiced(order)).toBe(9065); // payment_amount "90.65"
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("starts a subscription for a regular-delivery line", () => {
    const payload = fixture(krwText) as { items: Record<string, unknown>[] };
    const order = cafe24OrderToNormalised(
      { ...payload, items: [{ ...payload.items[0], subscription: "T" }, payload.items[1]] },
      { brand: "Xk3G7QAe", market: "kr", country: "KR" },
    );
    expect(order.items[0]?.subscription).toEqual({ action: "create" });
    expect(order.items[1]?.subscription).toBeUndefined();
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("refuses won with decimals, a charge larger than the order, and a missing email, naming each field", () => {
    const target = { brand: "Xk3G7QAe", market: "kr", country: "KR" };
    const payload = fixture(krwText) as { items: Record<string, unknown>[]; actual_order_amount: object };
    expect(
      fieldsOf(() =>
        cafe24OrderToNormalised(
          { ...payload, items: [{ ...payload.items[0], product_price: "32000.50" }, payload.items[1]] },
          target,
        ),
      ),
    ).toEqual(["order.items.0.product_price:malformed"]);
    expect(
      fieldsOf(() =>
        cafe24OrderToNormalised(
          { ...payload, actual_order_amount: { ...payload.actual_order_amount, payment_amount: "99000.00" } },
          target,
        ),
      ),
    ).toEqual(["order.actual_order_amount.payment_amount:out_of_range"]);
    expect(
      fieldsOf(() =>
        cafe24OrderToNormalised({ ...payload, member_email: null, buyer: { name: "김민지" } }, target),
      ),
    ).toEqual(["order.member_email:missing"]);
    expect(fieldsOf(() => cafe24OrderToNormalised({ ...payload, items: [] }, target))).toEqual([
      "order.items:too_short",
    ]);
  });

  it("reads KST dates with and without an offset", () => {
    expect(kstTime("2026-04-18T14:05:09+09:00", "d")).toBe("2026-04-18T05:05:09.000Z");
    expect(kstTime("2026-04-18 14:05:09", "d")).toBe("2026-04-18T05:05:09.000Z");
    expect(kstTime("2026-04-18T14:05:09", "d")).toBe("2026-04-18T05:05:09.000Z");
  });

  it("refuses a date that is none, or one a ledger cannot hold, naming the field", () => {
    expect(fieldsOf(() => kstTime("18/04/2026", "order.order_date"))).toEqual(["order.order_date:malformed"]);
    // 1970-01-01 09:00 KST is the first instant accepted; 0000 has no place in Postgres.
    expect(kstTime("1970-01-01 09:00:00", "d")).toBe("1970-01-01T00:00:00.000Z");
    expect(fieldsOf(() => kstTime("1970-01-01 08:59:59", "order.order_date"))).toEqual([
      "order.order_date:out_of_range",
    ]);
    expect(fieldsOf(() => kstTime("0000-01-01 12:00:00", "order.order_date"))).toEqual([
      "order.order_date:out_of_range",
    ]);
  });
});

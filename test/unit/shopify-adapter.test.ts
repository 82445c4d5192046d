import { describe, expect, it } from "vitest";
import { parseStoreJson } from "../../api/adapters/json.ts";
import {
  landingMarketing,
  sellingPlanInterval,
  shopifyOrderToNormalised,
  shopifyRefundToRequests,
} from "../../api/adapters/shopify.ts";
import { createOrderBody, type NormalisedOrder } from "../../api/schemas/order.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import jpyText from "../fixtures/shopify/orders-create-jpy.json?raw";
import eurText from "../fixtures/shopify/orders-create-subscription-eur.json?raw";
import usdText from "../fixtures/shopify/orders-create-usd.json?raw";
import refundText from "../fixtures/shopify/refunds-create-partial.json?raw";

const target = { brand: "Xk3G7QAe", market: "us" };

/** The invoiced total the ledger will compute: Σ (quantity × unit price − discount + tax) + shipping. */
const invoiced = (order: NormalisedOrder): number =>
  order.items.reduce(
    (acc, item) => acc + item.quantity * item.unit_price - (item.discount ?? 0) + (item.tax ?? 0),
    0,
  ) + (order.shipping ?? 0);

const fixture = (text: string): Record<string, unknown> => parseStoreJson(text) as Record<string, unknown>;

describe("Shopify orders/create → normalised order", () => {
  it("maps a tax-exclusive USD order with a discount code, shipping tax and utm parameters", () => {
    const order = shopifyOrderToNormalised(fixture(usdText), target);
    expect(order).toEqual({
      platform: "shopify",
      // 64-bit id kept exactly (a plain JSON.parse gives …154500).
      external_id: "820982911946154508",
      brand: "Xk3G7QAe",
      market: "us",
      currency: "USD",
      placed_at: "2026-03-14T14:22:31.000Z",
      customer: {
        email: "ava.chen@example.com",
        first_name: "Ava",
        last_name: "Chen",
        phone: "+12125550143",
      },
      billing_address: {
        country: "US",
        region: "NY",
        city: "New York",
        postal_code: "10013",
        line1: "350 Canal St",
        line2: "Apt 5B",
      },
      shipping_address: {
        country: "US",
        region: "NY",
        city: "New York",
        postal_code: "10013",
        line1: "350 Canal St",
        line2: "Apt 5B",
      },
      items: [
        {
          sku: "SERUM-C-30",
          name: "Vitamin C Serum - 30 ml",
          offer: "50398373085484",
          quantity: 2,
          unit_price: 3400,
          discount: 680,
          tax: 543,
        },
        {
          sku: "TONER-150",
          name: "Hydrating Toner",
          offer: "50451770802476",
          quantity: 1,
          unit_price: 2250,
          discount: 225,
          tax: 180,
        },
      ],
      shipping: 866,
      coupons: [{ code: "WELCOME10", discount: 905 }],
      campaign: "spring_glow",
      marketing: {
        utm_source: "instagram",
        utm_medium: "paid_social",
        utm_campaign: "spring_glow",
        fbclid: "IwAR2xyz",
        referrer: "https://l.instagram.com/",
      },
      payment: { amount: 9734, method: "shopify_payments", paid_at: "2026-03-14T14:22:31.000Z" },
    });
    expect(invoiced(order)).toBe(9734); // total_price "97.34"
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("maps a JPY order with tax-inclusive prices, a line without SKU and a free-shipping code, unpaid", () => {
    const order = shopifyOrderToNormalised(fixture(jpyText), { brand: "Xk3G7QAe", market: "jp" });
    expect(order).toEqual({
      platform: "shopify",
      external_id: "5940139491234",
      brand: "Xk3G7QAe",
      market: "jp",
      currency: "JPY",
      placed_at: "2026-04-02T12:07:44.000Z",
      customer: { email: "haruto.sato@example.jp", first_name: "Haruto", last_name: "Sato" },
      billing_address: {
        country: "JP",
        region: "JP-13",
        city: "Shibuya-ku",
        postal_code: "150-0001",
        line1: "1-2-3 Jingumae",
        line2: "Room 402",
      },
      shipping_address: {
        country: "JP",
        region: "JP-13",
        city: "Shibuya-ku",
        postal_code: "150-0001",
        line1: "1-2-3 Jingumae",
        line2: "Room 402",
      },
      items: [
        {
          sku: "BALM-90",
          name: "Cleansing Balm",
          offer: "44610569208040",
          quantity: 2,
          unit_price: 3300,
          discount: 0,
          tax: 0,
        },
        {
          sku: "SHOPIFY-8266836345064",
          name: "Sheet Mask 5-pack - Hyaluronic",
          offer: "44610569208041",
          quantity: 1,
          unit_price: 1650,
          discount: 165,
          tax: 0,
        },
      ],
      shipping: 0,
      coupons: [{ code: "FREESHIP", discount: 800 }],
      marketing: { referrer: "https://www.google.com/" },
    });
    expect(invoiced(order)).toBe(8085); // total_price "8085"
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("maps a selling-plan line to a new subscription and takes the payment from the capture transaction", () => {
    const order = shopifyOrderToNormalised(fixture(eurText), { brand: "Xk3G7QAe", market: "de" });
    expect(order).toEqual({
      platform: "shopify",
      external_id: "6200407294252",
      brand: "Xk3G7QAe",
      market: "de",
      currency: "EUR",
      placed_at: "2026-05-02T07:15:02.000Z",
      customer: {
        email: "lena.fischer@example.de",
        first_name: "Lena",
        last_name: "Fischer",
        phone: "+4915112345678",
      },
      billing_address: { country: "DE", city: "Berlin", postal_code: "10115", line1: "Invalidenstraße 117" },
      shipping_address: { country: "DE", city: "Berlin", postal_code: "10115", line1: "Invalidenstraße 117" },
      items: [
        {
          sku: "COLLAGEN-300",
          name: "Collagen Powder - 300 g",
          offer: "50398373085499",
          quantity: 1,
          unit_price: 3591,
          discount: 0,
          tax: 0,
          subscription: {
            action: "create",
            external_id: "7019283746501:691207455:50398373085499",
            interval: "week",
            interval_count: 2,
          },
        },
        {
          sku: "SHAKER-1",
          name: "Shaker Bottle",
          offer: "50398373085500",
          quantity: 1,
          unit_price: 1200,
          discount: 240,
          tax: 0,
        },
      ],
      shipping: 490,
      coupons: [{ code: "bundle20", discount: 240 }],
      marketing: {
        utm_source: "google",
        utm_medium: "cpc",
        gclid: "Cj0KCQjw",
        referrer: "https://www.google.de/",
      },
      payment: {
        amount: 5041,
        method: "shopify_payments",
        external_id: "7512345678901",
        paid_at: "2026-05-02T07:15:07.000Z",
      },
    });
    expect(invoiced(order)).toBe(5041); // total_price "50.41"
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("renews the same subscription when Shopify bills the contract", () => {
    const renewal = { ...fixture(eurText), id: 6200407299999, source_name: "subscription_contract" };
    const order = shopifyOrderToNormalised(renewal, { brand: "Xk3G7QAe", market: "de" });
    expect(order.items[0]?.subscription).toEqual({
      action: "renew",
      external_id: "7019283746501:691207455:50398373085499",
      interval: "week",
      interval_count: 2,
    });
    expect(createOrderBody.safeParse(order).success).toBe(true);
  });

  it("refuses an order without any email, naming the field", () => {
    const payload = { ...fixture(usdText), email: "", contact_email: null, customer: null };
    expect(() => shopifyOrderToNormalised(payload, target)).toThrow(ValidationFailed);
    try {
      shopifyOrderToNormalised(payload, target);
    } catch (error) {
      expect((error as ValidationFailed).errors).toEqual([
        { field: "email", category: "missing", message: "The order has no email." },
      ]);
    }
  });

  it("refuses a payload missing line items or with an amount that is not a decimal", () => {
    const noLines = { ...fixture(usdText), line_items: [] };
    expect(() => shopifyOrderToNormalised(noLines, target)).toThrow(ValidationFailed);
    const usd = fixture(usdText) as { line_items: Record<string, unknown>[] };
    const badPrice = {
      ...usd,
      line_items: [{ ...usd.line_items[0], price: "34,00", price_set: null }],
    };
    try {
      shopifyOrderToNormalised(badPrice, target);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationFailed).errors).toEqual([
        { field: "line_items.0.price", category: "malformed", message: "Not a decimal amount." },
      ]);
    }
  });

  it("refuses an order time a ledger cannot hold (a store's broken clock), naming the field", () => {
    const payload = { ...fixture(usdText), processed_at: "0000-12-31T23:00:00-05:00" };
    try {
      shopifyOrderToNormalised(payload, target);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationFailed).errors).toEqual([
        {
          field: "processed_at",
          category: "out_of_range",
          message: "Must be between 1970-01-01 and 2099-12-31 (UTC).",
        },
      ]);
    }
  });
});

describe("Shopify refunds/create → refund requests", () => {
  it("gives each refunded line's subtotal plus its tax, in minor units, keyed by refund and line", () => {
    expect(shopifyRefundToRequests(fixture(refundText), { currency: "USD", taxesIncluded: false })).toEqual([
      {
        kind: "product",
        orderExternalId: "820982911946154508",
        externalId: "929361464:1058498311",
        sku: "SERUM-C-30",
        amount: 3332,
        currency: "USD",
        refundedAt: "2026-03-20T20:05:12.000Z",
        reason: "Damaged in transit",
      },
    ]);
  });

  it("does not add the tax again when the order's prices included it", () => {
    const [request] = shopifyRefundToRequests(fixture(refundText), { currency: "USD", taxesIncluded: true });
    expect(request?.amount).toBe(3060);
  });

  it("makes a shipping refund of each shipping_refund adjustment, its tax added unless prices include it", () => {
    const refund = fixture(refundText);
    const adjusted = {
      ...refund,
      order_adjustments: [
        {
          id: 7360425002,
          order_id: 820982911946154508n.toString(),
          refund_id: 929361464,
          amount: "-5.00",
          amount_set: {
            shop_money: { amount: "-5.00", currency_code: "USD" },
            presentment_money: { amount: "-5.00", currency_code: "USD" },
          },
          tax_amount: "-0.44",
          tax_amount_set: {
            shop_money: { amount: "-0.44", currency_code: "USD" },
            presentment_money: { amount: "-0.44", currency_code: "USD" },
          },
          kind: "shipping_refund",
          reason: "Shipping refund",
        },
        // Money returned beyond the lines: nothing invoiced to credit.
        {
          id: 7360425003,
          amount: "-1.00",
          tax_amount: "0.00",
          kind: "refund_discrepancy",
          reason: "Refund discrepancy",
        },
      ],
    };
    const requests = shopifyRefundToRequests(adjusted, { currency: "USD", taxesIncluded: false });
    expect(requests.map((request) => [request.kind, request.externalId, request.amount])).toEqual([
      ["product", "929361464:1058498311", 3332],
      ["shipping", "929361464:shipping:7360425002", 544],
    ]);
    expect(requests[1]).toEqual({
      kind: "shipping",
      orderExternalId: "820982911946154508",
      externalId: "929361464:shipping:7360425002",
      amount: 544,
      currency: "USD",
      refundedAt: "2026-03-20T20:05:12.000Z",
      reason: "Damaged in transit",
    });
    const included = shopifyRefundToRequests(adjusted, { currency: "USD", taxesIncluded: true });
    expect(included.map((request) => request.amount)).toEqual([3060, 500]);
  });

  it("reads the REST number form of subtotal exactly when no money set is sent", () => {
    const refund = fixture(refundText) as { refund_line_items: Record<string, unknown>[] };
    const bare = {
      ...refund,
      refund_line_items: [{ ...refund.refund_line_items[0], subtotal_set: null, total_tax_set: null }],
    };
    const [request] = shopifyRefundToRequests(bare, { currency: "USD", taxesIncluded: false });
    expect(request?.amount).toBe(3332); // 30.6 + 2.72
  });

  it("skips lines refunded for nothing (a restock without money back)", () => {
    const refund = fixture(refundText) as { refund_line_items: Record<string, unknown>[] };
    const zero = {
      ...refund,
      refund_line_items: [
        {
          ...refund.refund_line_items[0],
          subtotal: 0,
          subtotal_set: null,
          total_tax: 0,
          total_tax_set: null,
        },
      ],
    };
    expect(shopifyRefundToRequests(zero, { currency: "USD", taxesIncluded: false })).toEqual([]);
  });
});

describe("Shopify helpers", () => {
  it("reads landing-site parameters from a path or a full URL", () => {
    expect(landingMarketing("/?utm_source=tiktok&ttclid=E.C.P&ScCid=abc", null)).toEqual({
      utm_source: "tiktok",
      ttclid: "E.C.P",
      sccid: "abc",
    });
    expect(landingMarketing("https://acme.example/p?utm_campaign=may", "https://t.co/x")).toEqual({
      utm_campaign: "may",
      referrer: "https://t.co/x",
    });
    expect(landingMarketing(null, null)).toEqual({});
  });

  it("reads a selling plan's interval from its name or options", () => {
    expect(sellingPlanInterval(["Deliver every month"])).toEqual({ interval: "month", interval_count: 1 });
    expect(sellingPlanInterval(["Subscribe & save", "Every 3 months"])).toEqual({
      interval: "month",
      interval_count: 3,
    });
    expect(sellingPlanInterval(["Weekly box"])).toEqual({ interval: "week", interval_count: 1 });
    expect(sellingPlanInterval(["Annual plan"])).toEqual({ interval: "year", interval_count: 1 });
    expect(sellingPlanInterval([null])).toEqual({ interval: "month", interval_count: 1 });
  });
});

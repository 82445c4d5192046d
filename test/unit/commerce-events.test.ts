import { describe, expect, it } from "vitest";
import { cafe24ToCommerceEvents, parseCafe24Webhook } from "../../api/adapters/cafe24-webhook.ts";
import { parseStoreJson } from "../../api/adapters/json.ts";
import { commerceAppliers, hasApplier } from "../../domain/commerce/appliers.ts";
import { commerceEvent, commerceWebhookBatch } from "../../domain/commerce/event-message.ts";
import { commerceEventTypes } from "../../domain/commerce/event-types.ts";
import { commerceEmailHash, orderExternalIdOf, storedPayload } from "../../domain/commerce/payload.ts";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import order90023 from "../fixtures/cafe24/webhooks/90023-order-placed.json?raw";
import delivered90024 from "../fixtures/cafe24/webhooks/90024-shipping-delivered.json?raw";
import paid90025 from "../fixtures/cafe24/webhooks/90025-payment-paid.json?raw";
import member90032 from "../fixtures/cafe24/webhooks/90032-member-joined.json?raw";
import app90077 from "../fixtures/cafe24/webhooks/90077-app-deleted.json?raw";
import deleted90147 from "../fixtures/cafe24/webhooks/90147-members-deleted.json?raw";
import points90148 from "../fixtures/cafe24/webhooks/90148-points-changed.json?raw";
import cartText from "../fixtures/commerce/cart-abandoned.json?raw";
import consentText from "../fixtures/commerce/consent-changed.json?raw";
import orderText from "../fixtures/commerce/order-created.json?raw";
import paidText from "../fixtures/commerce/order-paid.json?raw";
import refundedText from "../fixtures/commerce/order-refunded.json?raw";

const receivedAt = new Date("2026-12-04T03:00:00.000Z");
const bytes = (text: string) => new TextEncoder().encode(text);
const map = (text: string) =>
  cafe24ToCommerceEvents(parseCafe24Webhook(parseStoreJson(text)), bytes(text), receivedAt);
const idOf = (no: number, text: string) => `cafe24:${no}:${sha256Hex(text)}`;

const issues = (input: unknown): string[] => {
  const result = commerceEvent.safeParse(input);
  if (result.success) throw new Error("expected a refusal");
  return result.error.issues.map((issue) => `${issue.path.join(".")}:${issue.code}`);
};

describe("the normalised commerce event", () => {
  it("has exactly the 19 types of SPEC §9", () => {
    expect(commerceEventTypes).toEqual([
      "order.created",
      "order.paid",
      "order.shipped",
      "order.delivered",
      "order.cancelled",
      "order.returned",
      "order.exchanged",
      "order.refunded",
      "member.joined",
      "member.updated",
      "member.withdrawn",
      "consent.changed",
      "product.created",
      "product.updated",
      "coupon.issued",
      "coupon.used",
      "points.changed",
      "review.posted",
      "cart.abandoned",
    ]);
  });

  it("has an applier for every type, each named once, order.created first", () => {
    expect(commerceEventTypes.filter((type) => !hasApplier(type))).toEqual([]);
    const named = commerceAppliers.map(([type]) => type);
    expect(new Set(named).size).toBe(named.length);
    expect(named[0]).toBe("order.created");
  });

  it("parses an order with its defaults filled in", () => {
    const event = commerceEvent.parse(JSON.parse(orderText));
    expect(event.type).toBe("order.created");
    if (event.type !== "order.created") throw new Error("type");
    expect(event.data.order?.items).toEqual([
      {
        sku: "SERUM-30",
        name: "Hydra serum 30 ml",
        offer: "default",
        quantity: 2,
        unit_price: 32000,
        discount: 4000,
        tax: 0,
      },
      {
        sku: "MASK-5",
        name: "Sheet mask 5-pack",
        offer: "default",
        quantity: 1,
        unit_price: 12000,
        discount: 0,
        tax: 0,
      },
    ]);
    expect(orderExternalIdOf(event)).toBe("SO-100231");
  });

  it("refuses bad data naming the field, and data of another type", () => {
    const paid = JSON.parse(paidText) as { data: Record<string, unknown> };
    expect(issues({ ...paid, data: { ...paid.data, amount: 0 } })).toEqual(["data.amount:too_small"]);
    expect(issues({ ...paid, data: { ...paid.data, currency: "krw" } })).toEqual([
      "data.currency:invalid_format",
    ]);
    expect(issues({ ...paid, data: { ...paid.data, note: "x" } })).toEqual(["data:unrecognized_keys"]);
    expect(issues({ ...paid, type: "order.teleported" })).toEqual(["type:invalid_union"]);
    expect(issues({ ...paid, occurred_at: "2200-01-01T00:00:00Z" })).toEqual(["occurred_at:custom"]);
    const consent = JSON.parse(consentText) as { data: Record<string, unknown> };
    expect(
      issues({ ...consent, data: { ...consent.data, consents: [{ channel: "fax", status: "granted" }] } }),
    ).toEqual(["data.consents.0.channel:invalid_value"]);
    expect(
      issues({
        ...consent,
        data: {
          ...consent.data,
          consents: [
            { channel: "sms", status: "granted" },
            { channel: "sms", status: "withdrawn" },
          ],
        },
      }),
    ).toEqual(["data.consents:custom"]);
    expect(commerceWebhookBatch.safeParse({ store: "x", events: [] }).success).toBe(false);
  });

  it("order.refunded: items and shipping optional (an amount alone still parses), each SKU once, stored as sent", () => {
    const refunded = JSON.parse(refundedText) as { data: Record<string, unknown> };
    const event = commerceEvent.parse(refunded);
    expect(storedPayload(event)).toEqual({
      order_id: "SO-100231",
      refund_id: "re_4Fq9Lm",
      amount: 35000,
      currency: "KRW",
      reason: "One serum arrived damaged",
      items: [{ sku: "SERUM-30", amount: 32000 }],
      shipping: 3000,
    });
    const { items: _items, shipping: _shipping, ...amountOnly } = refunded.data;
    expect(commerceEvent.safeParse({ ...refunded, data: amountOnly }).success).toBe(true);
    expect(
      issues({
        ...refunded,
        data: {
          ...refunded.data,
          items: [
            { sku: "SERUM-30", amount: 1 },
            { sku: "SERUM-30", amount: 2 },
          ],
        },
      }),
    ).toEqual(["data.items:custom"]);
    expect(issues({ ...refunded, data: { ...refunded.data, items: [] } })).toEqual(["data.items:too_small"]);
    expect(issues({ ...refunded, data: { ...refunded.data, shipping: 0 } })).toEqual([
      "data.shipping:too_small",
    ]);
    expect(
      issues({ ...refunded, data: { ...refunded.data, items: [{ sku: "SERUM-30", amount: 0 }] } }),
    ).toEqual(["data.items.0.amount:too_small"]);
  });

  it("keeps no plaintext email in what is stored", () => {
    const consent = commerceEvent.parse(JSON.parse(consentText));
    expect(storedPayload(consent)).toEqual({
      member_id: "jisoo_p",
      consents: [
        { channel: "sms", status: "granted" },
        { channel: "kakao", status: "granted" },
        { channel: "night_ads", status: "withdrawn" },
      ],
      source: "checkout_form",
      email_sha256: sha256Hex("jisoo.park@example.com"),
    });
    const order = storedPayload(commerceEvent.parse(JSON.parse(orderText)));
    expect(order.order).toMatchObject({
      customer: { email_sha256: commerceEmailHash("jisoo.park@example.com") },
    });
    expect(JSON.stringify(order)).not.toMatch(/jisoo|Park|Mapo|9876/);
    const cart = storedPayload(commerceEvent.parse(JSON.parse(cartText)));
    expect(cart.email).toBeUndefined();
    expect(cart.email_sha256).toBe(sha256Hex("jisoo.park@example.com"));
  });
});

describe("Cafe24 webhooks → normalised events", () => {
  it("90023 (order placed) is order.created without an order body: Cafe24 sends no items", () => {
    expect(map(order90023)).toEqual({
      mallId: "leadrailmall",
      skipped: {},
      events: [
        {
          id: idOf(90023, order90023),
          type: "order.created",
          occurred_at: "2026-12-04T01:12:40.000Z",
          data: { order_id: "20261204-0000317" },
        },
      ],
    });
  });

  it("90025 (payment status) paid is order.paid: the amount in won, KST read as +09:00, one payment per order", () => {
    expect(map(paid90025).events).toEqual([
      {
        id: idOf(90025, paid90025),
        type: "order.paid",
        occurred_at: "2026-12-04T01:14:05.000Z",
        data: {
          order_id: "20261204-0000317",
          amount: 48000,
          currency: "KRW",
          method: "card",
          payment_id: "20261204-0000317:payment",
        },
      },
    ]);
    const unpaid = paid90025.replace('"paid": "T"', '"paid": "F"');
    expect(map(unpaid)).toEqual({ mallId: "leadrailmall", events: [], skipped: { not_paid: 1 } });
  });

  it("90032 (sign-up) is member.joined and a consent.changed from its sms and news_mail flags", () => {
    const id = idOf(90032, member90032);
    expect(map(member90032).events).toEqual([
      {
        id: `${id}:member`,
        type: "member.joined",
        occurred_at: "2026-12-04T00:58:21.000Z",
        data: {
          member_id: "minji88",
          email: "Minji.Kim@Example.com",
          first_name: "김민지",
          phone: "010-1234-5678",
        },
      },
      {
        id: `${id}:consent`,
        type: "consent.changed",
        occurred_at: "2026-12-04T00:58:21.000Z",
        data: {
          email: "Minji.Kim@Example.com",
          member_id: "minji88",
          consents: [
            { channel: "sms", status: "granted" },
            { channel: "email", status: "withdrawn" },
          ],
          source: "cafe24:member_join",
        },
      },
    ]);
  });

  it("90147 (accounts deleted) is one member.withdrawn per member of its list", () => {
    const id = idOf(90147, deleted90147);
    expect(map(deleted90147).events).toEqual([
      {
        id: `${id}:minji88`,
        type: "member.withdrawn",
        occurred_at: receivedAt.toISOString(),
        data: { member_id: "minji88" },
      },
      {
        id: `${id}:jisoo_p`,
        type: "member.withdrawn",
        occurred_at: receivedAt.toISOString(),
        data: { member_id: "jisoo_p" },
      },
    ]);
  });

  it("90148 (points) is points.changed with the balance; an event number not in the table is skipped", () => {
    expect(map(points90148).events).toEqual([
      {
        id: idOf(90148, points90148),
        type: "points.changed",
        occurred_at: "2026-12-04T01:20:00.000Z",
        data: { member_id: "minji88", delta: 480, balance: 1480 },
      },
    ]);
    expect(map(app90077)).toEqual({ mallId: "leadrailmall", events: [], skipped: { unmapped_event: 1 } });
  });

  it("90024 (shipping status) is order.delivered when T, order.shipped when M, nothing before shipping", () => {
    expect(map(delivered90024)).toEqual({
      mallId: "leadrailmall",
      events: [
        {
          id: idOf(90024, delivered90024),
          type: "order.delivered",
          occurred_at: receivedAt.toISOString(),
          data: { order_id: "20261204-0000317" },
        },
      ],
      skipped: {},
    });
    const inTransit = delivered90024.replace('"shipping_status": "T"', '"shipping_status": "M"');
    expect(map(inTransit).events).toEqual([
      {
        id: idOf(90024, inTransit),
        type: "order.shipped",
        occurred_at: receivedAt.toISOString(),
        data: { order_id: "20261204-0000317" },
      },
    ]);
    for (const status of ["F", "W"]) {
      const waiting = delivered90024.replace('"shipping_status": "T"', `"shipping_status": "${status}"`);
      expect(map(waiting), status).toEqual({
        mallId: "leadrailmall",
        events: [],
        skipped: { not_shipped: 1 },
      });
    }
  });

  it("every event it makes is a valid normalised event", () => {
    for (const text of [order90023, delivered90024, paid90025, member90032, deleted90147, points90148])
      for (const event of map(text).events) expect(commerceEvent.safeParse(event).success).toBe(true);
  });

  it("a payload without a mall is a 422 naming it", () => {
    try {
      parseCafe24Webhook({ event_no: 90023, resource: { order_id: "1" } });
      throw new Error("expected a refusal");
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      expect(error.errors.map((e) => `${e.field}:${e.category}`)).toEqual(["resource.mall_id:missing"]);
    }
  });
});

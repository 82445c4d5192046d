import { describe, expect, it } from "vitest";
import { parseStoreJson } from "../../api/adapters/json.ts";
import {
  type ShopifyDelivery,
  type ShopifyTopic,
  shopifyTopicOfPath,
  shopifyTopicPath,
  shopifyTopics,
  shopifyTopicToCommerceEvents,
} from "../../api/adapters/shopify-events.ts";
import { commerceEvent } from "../../domain/commerce/event-message.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import checkoutText from "../fixtures/shopify/webhooks/checkouts-update.json?raw";
import emailConsentText from "../fixtures/shopify/webhooks/customers_email_marketing_consent-update.json?raw";
import smsConsentText from "../fixtures/shopify/webhooks/customers_marketing_consent-update.json?raw";
import customerCreatedText from "../fixtures/shopify/webhooks/customers-create.json?raw";
import customerDeletedText from "../fixtures/shopify/webhooks/customers-delete.json?raw";
import customerUpdatedText from "../fixtures/shopify/webhooks/customers-update.json?raw";
import shippedText from "../fixtures/shopify/webhooks/fulfillments-create.json?raw";
import deliveredText from "../fixtures/shopify/webhooks/fulfillments-update.json?raw";
import cancelledText from "../fixtures/shopify/webhooks/orders-cancelled.json?raw";
import paidText from "../fixtures/shopify/webhooks/orders-paid.json?raw";
import productCreatedText from "../fixtures/shopify/webhooks/products-create.json?raw";
import productUpdatedText from "../fixtures/shopify/webhooks/products-update.json?raw";
import returnText from "../fixtures/shopify/webhooks/returns-close.json?raw";

type Json = Record<string, unknown>;
const fixture = (text: string): Json => parseStoreJson(text) as Json;

const eventId = "b54557e4-bdd9-4b37-8a5f-bf7d70fcd043";
const delivery = (overrides: Partial<ShopifyDelivery> = {}): ShopifyDelivery => ({
  eventId,
  triggeredAt: "2026-03-22T10:00:00.000Z",
  receivedAt: new Date("2026-03-22T10:00:02.000Z"),
  currency: "USD",
  ...overrides,
});
const map = (name: ShopifyTopic, body: Json, overrides: Partial<ShopifyDelivery> = {}) =>
  shopifyTopicToCommerceEvents(name, body, delivery(overrides));

const fieldsOf = (work: () => unknown): string[] => {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationFailed) return error.errors.map((e) => `${e.field}:${e.category}`);
    throw error;
  }
  throw new Error("expected a ValidationFailed");
};

const order = "820982911946154508";

describe("Shopify topics → normalised events", () => {
  it("has one line per topic, each at its path; orders/create and refunds/create keep their own routes", () => {
    expect(Object.fromEntries(Object.entries(shopifyTopics).map(([name, { type }]) => [name, type]))).toEqual(
      {
        "orders/paid": "order.paid",
        "orders/cancelled": "order.cancelled",
        "fulfillments/create": "order.shipped",
        "fulfillments/update": "order.delivered",
        "returns/close": "order.returned",
        "customers/create": "member.joined",
        "customers/update": "member.updated",
        "customers/delete": "member.withdrawn",
        "customers_email_marketing_consent/update": "consent.changed",
        "customers_marketing_consent/update": "consent.changed",
        "products/create": "product.created",
        "products/update": "product.updated",
        "checkouts/update": "cart.abandoned",
      },
    );
    expect(shopifyTopicPath("customers_email_marketing_consent/update")).toBe(
      "customers_email_marketing_consent-update",
    );
    expect(shopifyTopicOfPath("orders-paid")).toBe("orders/paid");
    expect(shopifyTopicOfPath("customers_marketing_consent-update")).toBe(
      "customers_marketing_consent/update",
    );
    expect(shopifyTopicOfPath("orders-create")).toBeUndefined();
    expect(shopifyTopicOfPath("refunds-create")).toBeUndefined();
    expect(shopifyTopicOfPath("orders-edited")).toBeUndefined();
    expect(shopifyTopicOfPath("orders/paid")).toBeUndefined();
  });

  it("orders/paid is order.paid of the total not outstanding, in cents, once per order; the 64-bit id exact", () => {
    expect(map("orders/paid", fixture(paidText))).toEqual({
      events: [
        {
          id: `shopify:orders/paid:${eventId}`,
          type: "order.paid",
          occurred_at: "2026-03-14T14:31:07.000Z",
          data: {
            order_id: order,
            amount: 9734,
            currency: "USD",
            method: "shopify_payments",
            payment_id: `${order}:orders/paid`,
          },
        },
      ],
      skipped: {},
    });
    const partly = { ...fixture(paidText), total_outstanding: "20.00" };
    expect(map("orders/paid", partly).events[0]?.data).toMatchObject({ amount: 7734 });
    const free = { ...fixture(paidText), total_price: "0.00", total_price_set: null };
    expect(map("orders/paid", free)).toEqual({ events: [], skipped: { zero_payment: 1 } });
  });

  it("orders/cancelled is order.cancelled with Shopify's reason, at cancelled_at", () => {
    expect(map("orders/cancelled", fixture(cancelledText)).events).toEqual([
      {
        id: `shopify:orders/cancelled:${eventId}`,
        type: "order.cancelled",
        occurred_at: "2026-03-15T13:12:44.000Z",
        data: { order_id: order, reason: "customer" },
      },
    ]);
  });

  it("fulfillments/create is order.shipped with carrier and tracking; a cancelled fulfilment ships nothing", () => {
    expect(map("fulfillments/create", fixture(shippedText)).events).toEqual([
      {
        id: `shopify:fulfillments/create:${eventId}`,
        type: "order.shipped",
        occurred_at: "2026-03-15T15:04:19.000Z",
        data: {
          order_id: order,
          shipment_id: "5632017580076",
          carrier: "UPS",
          tracking_number: "1Z999AA10123456784",
        },
      },
    ]);
    const onlyList = { ...fixture(shippedText), tracking_number: null, tracking_company: null };
    expect(map("fulfillments/create", onlyList).events[0]?.data).toEqual({
      order_id: order,
      shipment_id: "5632017580076",
      tracking_number: "1Z999AA10123456784",
    });
    expect(map("fulfillments/create", { ...fixture(shippedText), status: "cancelled" })).toEqual({
      events: [],
      skipped: { not_shipped: 1 },
    });
  });

  it("fulfillments/update delivered is order.delivered, named by the shipment; another update is skipped", () => {
    const expected = {
      events: [
        {
          id: "shopify:fulfillment:5632017580076:delivered",
          type: "order.delivered",
          occurred_at: "2026-03-18T18:37:02.000Z",
          data: { order_id: order, shipment_id: "5632017580076" },
        },
      ],
      skipped: {},
    };
    expect(map("fulfillments/update", fixture(deliveredText))).toEqual(expected);
    // A later update of the delivered fulfilment (another event id) is the same delivery.
    expect(map("fulfillments/update", fixture(deliveredText), { eventId: "other-event" })).toEqual(expected);
    expect(map("fulfillments/update", { ...fixture(deliveredText), shipment_status: "in_transit" })).toEqual({
      events: [],
      skipped: { not_delivered: 1 },
    });
  });

  it("returns/close is order.returned of the return's order, at the time Shopify says it happened", () => {
    expect(map("returns/close", fixture(returnText)).events).toEqual([
      {
        id: `shopify:returns/close:${eventId}`,
        type: "order.returned",
        occurred_at: "2026-03-22T10:00:00.000Z",
        data: { order_id: order },
      },
    ]);
    const flat = { id: 9386852396, status: "closed", order_id: 1234 };
    expect(map("returns/close", flat, { triggeredAt: undefined }).events).toEqual([
      {
        id: `shopify:returns/close:${eventId}`,
        type: "order.returned",
        occurred_at: "2026-03-22T10:00:02.000Z",
        data: { order_id: "1234" },
      },
    ]);
    expect(fieldsOf(() => map("returns/close", { id: 9386852396, status: "closed" }))).toEqual([
      "order.id:missing",
    ]);
  });

  it("customers/create, update and delete are member events with the Shopify customer id as member id", () => {
    expect(map("customers/create", fixture(customerCreatedText)).events).toEqual([
      {
        id: `shopify:customers/create:${eventId}`,
        type: "member.joined",
        occurred_at: "2025-11-02T23:40:12.000Z",
        data: { member_id: "6940095564097", email: "ava.chen@example.com" },
      },
    ]);
    expect(map("customers/update", fixture(customerUpdatedText)).events).toEqual([
      {
        id: `shopify:customers/update:${eventId}`,
        type: "member.updated",
        occurred_at: "2026-03-20T12:15:40.000Z",
        data: { member_id: "6940095564097", email: "ava.chen@mail.example.com" },
      },
    ]);
    expect(map("customers/delete", fixture(customerDeletedText)).events).toEqual([
      {
        id: `shopify:customers/delete:${eventId}`,
        type: "member.withdrawn",
        occurred_at: "2026-03-22T10:00:00.000Z",
        data: { member_id: "6940095564097" },
      },
    ]);
    expect(map("customers/create", { ...fixture(customerCreatedText), email: null }).events[0]?.data).toEqual(
      {
        member_id: "6940095564097",
      },
    );
  });

  it("the email consent topic is consent.changed on email: subscribed granted, unsubscribed withdrawn", () => {
    expect(map("customers_email_marketing_consent/update", fixture(emailConsentText)).events).toEqual([
      {
        id: `shopify:customers_email_marketing_consent/update:${eventId}`,
        type: "consent.changed",
        occurred_at: "2026-03-14T14:22:31.000Z",
        data: {
          email: "ava.chen@example.com",
          member_id: "6940095564097",
          consents: [{ channel: "email", status: "granted" }],
          source: "shopify:email_marketing_consent",
        },
      },
    ]);
    const withdrawn = {
      ...fixture(emailConsentText),
      email_marketing_consent: { state: "unsubscribed", consent_updated_at: null },
    };
    expect(map("customers_email_marketing_consent/update", withdrawn).events[0]).toMatchObject({
      occurred_at: "2026-03-22T10:00:00.000Z",
      data: { consents: [{ channel: "email", status: "withdrawn" }] },
    });
    const pending = { ...fixture(emailConsentText), email_marketing_consent: { state: "pending" } };
    expect(map("customers_email_marketing_consent/update", pending)).toEqual({
      events: [],
      skipped: { unmapped_consent_state: 1 },
    });
    const noEmail = { ...fixture(emailConsentText), email_address: null };
    expect(map("customers_email_marketing_consent/update", noEmail)).toEqual({
      events: [],
      skipped: { missing_email: 1 },
    });
  });

  it("the SMS consent topic names no email (skipped); with one it is consent.changed on sms", () => {
    expect(map("customers_marketing_consent/update", fixture(smsConsentText))).toEqual({
      events: [],
      skipped: { missing_email: 1 },
    });
    const withEmail = { ...fixture(smsConsentText), email: "ava.chen@example.com" };
    expect(map("customers_marketing_consent/update", withEmail).events).toEqual([
      {
        id: `shopify:customers_marketing_consent/update:${eventId}`,
        type: "consent.changed",
        occurred_at: "2026-03-21T23:02:11.000Z",
        data: {
          email: "ava.chen@example.com",
          member_id: "6940095564097",
          consents: [{ channel: "sms", status: "withdrawn" }],
          source: "shopify:sms_marketing_consent",
        },
      },
    ]);
  });

  it("products/create and update carry the first variant's SKU and price in the shop's currency", () => {
    expect(map("products/create", fixture(productCreatedText)).events).toEqual([
      {
        id: `shopify:products/create:${eventId}`,
        type: "product.created",
        occurred_at: "2026-02-01T14:00:00.000Z",
        data: {
          product_id: "9782123692332",
          sku: "SERUM-C-30",
          name: "Vitamin C Serum",
          price: 3400,
          currency: "USD",
        },
      },
    ]);
    expect(map("products/update", fixture(productUpdatedText)).events).toEqual([
      {
        id: `shopify:products/update:${eventId}`,
        type: "product.updated",
        occurred_at: "2026-03-01T17:45:10.000Z",
        data: {
          product_id: "9782123692332",
          sku: "SERUM-C-30",
          name: "Vitamin C Brightening Serum",
          price: 3150,
          currency: "USD",
        },
      },
    ]);
    // A yen shop: no decimals. A variant without a SKU is named as an order line of it is.
    const yen = {
      ...fixture(productCreatedText),
      variants: [{ sku: "", price: "4800" }],
    };
    expect(map("products/create", yen, { currency: "JPY" }).events[0]?.data).toEqual({
      product_id: "9782123692332",
      sku: "SHOPIFY-9782123692332",
      name: "Vitamin C Serum",
      price: 4800,
      currency: "JPY",
    });
    expect(map("products/create", { ...fixture(productCreatedText), variants: [] }).events[0]?.data).toEqual({
      product_id: "9782123692332",
      sku: "SHOPIFY-9782123692332",
      name: "Vitamin C Serum",
    });
    expect(
      fieldsOf(() =>
        map("products/create", { ...fixture(productCreatedText), variants: [{ price: "34.005" }] }),
      ),
    ).toEqual(["variants.0.price:malformed"]);
  });

  it("checkouts/update of an open checkout is cart.abandoned by token; a completed one is skipped", () => {
    expect(map("checkouts/update", fixture(checkoutText)).events).toEqual([
      {
        id: `shopify:checkouts/update:${eventId}`,
        type: "cart.abandoned",
        occurred_at: "2026-03-14T01:09:52.000Z",
        data: {
          cart_id: "ae0ed4e40b4fe3c339cc9be09ea0d41b",
          member_id: "6940095564097",
          email: "ava.chen@example.com",
          items: [
            { sku: "SERUM-C-30", quantity: 2, unit_price: 3400 },
            { sku: "TONER-150", quantity: 1, unit_price: 2250 },
          ],
          total: 9050,
          currency: "USD",
        },
      },
    ]);
    // Prices in the customer's currency, not the shop's: the amounts are left out, the items kept.
    const euros = { ...fixture(checkoutText), presentment_currency: "EUR" };
    expect(map("checkouts/update", euros).events[0]?.data).toEqual({
      cart_id: "ae0ed4e40b4fe3c339cc9be09ea0d41b",
      member_id: "6940095564097",
      email: "ava.chen@example.com",
      items: [
        { sku: "SERUM-C-30", quantity: 2 },
        { sku: "TONER-150", quantity: 1 },
      ],
    });
    const completed = { ...fixture(checkoutText), completed_at: "2026-03-13T21:12:00-04:00" };
    expect(map("checkouts/update", completed)).toEqual({ events: [], skipped: { completed: 1 } });
    const noLink = { ...fixture(checkoutText), abandoned_checkout_url: null };
    expect(map("checkouts/update", noLink)).toEqual({ events: [], skipped: { no_recovery_url: 1 } });
  });

  it("every event of every fixture is a valid normalised event", () => {
    const cases: [ShopifyTopic, string][] = [
      ["orders/paid", paidText],
      ["orders/cancelled", cancelledText],
      ["fulfillments/create", shippedText],
      ["fulfillments/update", deliveredText],
      ["returns/close", returnText],
      ["customers/create", customerCreatedText],
      ["customers/update", customerUpdatedText],
      ["customers/delete", customerDeletedText],
      ["customers_email_marketing_consent/update", emailConsentText],
      ["products/create", productCreatedText],
      ["products/update", productUpdatedText],
      ["checkouts/update", checkoutText],
    ];
    for (const [name, text] of cases) {
      const { events } = map(name, fixture(text));
      expect(events, name).toHaveLength(1);
      for (const event of events) expect(commerceEvent.safeParse(event).success, name).toBe(true);
    }
  });

  it("refuses a missing or malformed event id, a bad time and a payload of another shape, naming the field", () => {
    expect(fieldsOf(() => map("orders/paid", fixture(paidText), { eventId: undefined }))).toEqual([
      "x-shopify-event-id:missing",
    ]);
    expect(fieldsOf(() => map("orders/paid", fixture(paidText), { eventId: "a b" }))).toEqual([
      "x-shopify-event-id:malformed",
    ]);
    expect(fieldsOf(() => map("orders/paid", { ...fixture(paidText), updated_at: "yesterday" }))).toEqual([
      "updated_at:malformed",
    ]);
    expect(
      fieldsOf(() => map("customers/delete", fixture(customerDeletedText), { triggeredAt: "soon" })),
    ).toEqual(["x-shopify-triggered-at:malformed"]);
    expect(fieldsOf(() => map("orders/paid", { id: 1, total_price: "1.00" }))).toEqual(["currency:missing"]);
    expect(fieldsOf(() => map("fulfillments/create", fixture(customerCreatedText)))).toEqual([
      "order_id:missing",
    ]);
    // What the reader gives is checked as the normalised event: a 321-character address is refused.
    const long = { ...fixture(customerCreatedText), email: `${"a".repeat(310)}@example.com` };
    expect(fieldsOf(() => map("customers/create", long))).toEqual(["data.email:too_long"]);
  });
});

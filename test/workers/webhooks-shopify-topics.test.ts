import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { stores } from "../../db/schema/sales.ts";
import type { CommerceEventMessage } from "../../domain/commerce/event-message.ts";
import type { Env } from "../../domain/platform/env.ts";
import usdText from "../fixtures/shopify/orders-create-usd.json?raw";
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
import { type ApiResponse, call, expectProblem, ids, rand, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";
import { shopifySignature } from "../support/shopify.ts";

const secret = `shpss_${rand()}${rand()}`;
type Json = Record<string, unknown>;

// ── a recording events queue ──

interface Recorder {
  queue: Queue;
  messages: CommerceEventMessage[];
}

function recorder(): Recorder {
  const messages: CommerceEventMessage[] = [];
  const queue = {
    async send() {
      throw new Error("the webhooks send with sendBatch");
    },
    async sendBatch(batch: Iterable<MessageSendRequest<CommerceEventMessage>>) {
      for (const { body } of batch) messages.push(JSON.parse(JSON.stringify(body)));
    },
  } as unknown as Queue;
  return { queue, messages };
}

interface Delivery {
  body: string;
  queue: Recorder;
  shop?: string;
  eventId?: string | null;
  /** `X-Shopify-Webhook-Id`; a new one unless told (null: none). */
  webhookId?: string | null;
  /** The `X-Shopify-Topic` header; the path's topic unless told (null: none). */
  topicHeader?: string | null;
  signature?: string | null;
  secretBinding?: string;
}

/** The path segment's topic, as Shopify names it in `X-Shopify-Topic`. */
const topicOf = (segment: string): string => segment.replace("-", "/");

async function deliver(segment: string, delivery: Delivery): Promise<ApiResponse> {
  const signature =
    delivery.signature === undefined ? await shopifySignature(delivery.body, secret) : delivery.signature;
  const headers: Record<string, string> = {
    "x-shopify-shop-domain": delivery.shop ?? shop,
    "x-shopify-api-version": "2026-04",
    "x-shopify-triggered-at": "2026-03-22T10:00:00.000Z",
  };
  const topic = delivery.topicHeader === undefined ? topicOf(segment) : delivery.topicHeader;
  if (topic !== null) headers["x-shopify-topic"] = topic;
  const eventId = delivery.eventId === undefined ? crypto.randomUUID() : delivery.eventId;
  if (eventId !== null) headers["x-shopify-event-id"] = eventId;
  const webhookId = delivery.webhookId === undefined ? crypto.randomUUID() : delivery.webhookId;
  if (webhookId !== null) headers["x-shopify-webhook-id"] = webhookId;
  if (signature !== null) headers["x-shopify-hmac-sha256"] = signature;
  return call("POST", `/webhooks/shopify/${segment}`, {
    key: null,
    rawBody: delivery.body,
    headers,
    env: {
      SHOPIFY_WEBHOOK_SECRET: delivery.secretBinding ?? secret,
      EVENTS_QUEUE: delivery.queue.queue,
    } as Partial<Env>,
  });
}

let tenant: SalesTenant;
let shop: string;
let storeId: number;

beforeAll(async () => {
  tenant = await createSalesTenant("USD");
  shop = `lumen-${rand()}.myshopify.com`;
  const [row] = await withDb((db) =>
    db
      .insert(stores)
      .values({
        brandId: tenant.brand.internal,
        marketId: tenant.market.internal,
        platform: "shopify",
        externalRef: shop,
        name: "Lumen Skin US",
      })
      .returning({ id: stores.id }),
  );
  if (!row) throw new Error("no store row");
  storeId = row.id;
});

const order = "820982911946154508";
const customer = "6940095564097";

/** Each topic's fixture and the one event it becomes (its id aside: it is the delivery's). */
const cases: [string, string, Omit<Json, "id">][] = [
  [
    "orders-paid",
    paidText,
    {
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
  [
    "orders-cancelled",
    cancelledText,
    {
      type: "order.cancelled",
      occurred_at: "2026-03-15T13:12:44.000Z",
      data: { order_id: order, reason: "customer" },
    },
  ],
  [
    "fulfillments-create",
    shippedText,
    {
      type: "order.shipped",
      occurred_at: "2026-03-15T15:04:19.000Z",
      data: {
        order_id: order,
        shipment_id: "5632017580076",
        carrier: "UPS",
        tracking_number: "1Z999AA10123456784",
      },
    },
  ],
  [
    "fulfillments-update",
    deliveredText,
    {
      type: "order.delivered",
      occurred_at: "2026-03-18T18:37:02.000Z",
      data: { order_id: order, shipment_id: "5632017580076" },
    },
  ],
  [
    "returns-close",
    returnText,
    { type: "order.returned", occurred_at: "2026-03-22T10:00:00.000Z", data: { order_id: order } },
  ],
  [
    "customers-create",
    customerCreatedText,
    {
      type: "member.joined",
      occurred_at: "2025-11-02T23:40:12.000Z",
      data: { member_id: customer, email: "ava.chen@example.com" },
    },
  ],
  [
    "customers-update",
    customerUpdatedText,
    {
      type: "member.updated",
      occurred_at: "2026-03-20T12:15:40.000Z",
      data: { member_id: customer, email: "ava.chen@mail.example.com" },
    },
  ],
  [
    "customers-delete",
    customerDeletedText,
    { type: "member.withdrawn", occurred_at: "2026-03-22T10:00:00.000Z", data: { member_id: customer } },
  ],
  [
    "customers_email_marketing_consent-update",
    emailConsentText,
    {
      type: "consent.changed",
      occurred_at: "2026-03-14T14:22:31.000Z",
      data: {
        email: "ava.chen@example.com",
        member_id: customer,
        consents: [{ channel: "email", status: "granted" }],
        source: "shopify:email_marketing_consent",
      },
    },
  ],
  [
    "products-create",
    productCreatedText,
    {
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
  ],
  [
    "products-update",
    productUpdatedText,
    {
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
  ],
  [
    "checkouts-update",
    checkoutText,
    {
      type: "cart.abandoned",
      occurred_at: "2026-03-14T01:09:52.000Z",
      data: {
        cart_id: "ae0ed4e40b4fe3c339cc9be09ea0d41b",
        member_id: customer,
        email: "ava.chen@example.com",
        items: [
          { sku: "SERUM-C-30", quantity: 2, unit_price: 3400 },
          { sku: "TONER-150", quantity: 1, unit_price: 2250 },
        ],
        total: 9050,
        currency: "USD",
      },
    },
  ],
];

type EventRow = { platform_event_id: string; type: string; status: string };

async function storedEvents(): Promise<EventRow[]> {
  const result = await withDb((db) =>
    db.execute<EventRow>(sql`
      SELECT platform_event_id, type::text, status::text FROM commerce_events
       WHERE store_id = ${storeId} ORDER BY id`),
  );
  return result.rows;
}

describe("POST /webhooks/shopify/{topic}", () => {
  it("each topic with a good signature is a 202 and exactly its normalised event on the events queue", async () => {
    for (const [segment, body, expected] of cases) {
      const queue = recorder();
      const eventId = crypto.randomUUID();
      const before = Date.now();
      const response = await deliver(segment, { body, queue, eventId });
      const after = Date.now();
      expect(response.status, `${segment}: ${response.text}`).toBe(202);
      expect(response.body, segment).toEqual({ received: 1, enqueued: 1, skipped: {} });
      const id =
        segment === "fulfillments-update"
          ? "shopify:fulfillment:5632017580076:delivered"
          : `shopify:${topicOf(segment)}:${eventId}`;
      expect(queue.messages, segment).toEqual([
        {
          v: 1,
          type: "commerce",
          storeId,
          receivedAt: queue.messages[0]?.receivedAt,
          event: { id, ...expected },
        },
      ]);
      const receivedAt = Date.parse(queue.messages[0]?.receivedAt ?? "");
      expect(receivedAt, segment).toBeGreaterThanOrEqual(before);
      expect(receivedAt, segment).toBeLessThanOrEqual(after);
    }
  });

  it("a delivery that is no event is a 202 naming why, and queues nothing", async () => {
    const queue = recorder();
    const sms = await deliver("customers_marketing_consent-update", { body: smsConsentText, queue });
    expect(sms.status, sms.text).toBe(202);
    expect(sms.body).toEqual({ received: 1, enqueued: 0, skipped: { missing_email: 1 } });
    const inTransit = deliveredText.replace(
      '"shipment_status": "delivered"',
      '"shipment_status": "in_transit"',
    );
    expect(inTransit).not.toBe(deliveredText);
    const update = await deliver("fulfillments-update", { body: inTransit, queue });
    expect(update.body).toEqual({ received: 1, enqueued: 0, skipped: { not_delivered: 1 } });
    expect(queue.messages).toEqual([]);
  });

  it("verifies X-Shopify-Hmac-Sha256: a bad or missing one is a 401 and nothing is queued; no secret is a 503", async () => {
    const queue = recorder();
    expectProblem(
      await deliver("orders-paid", {
        body: paidText,
        queue,
        signature: await shopifySignature(paidText, "other"),
      }),
      401,
    );
    expectProblem(await deliver("orders-paid", { body: paidText, queue, signature: null }), 401);
    // Signed, then altered: the signature is over the exact bytes.
    expectProblem(
      await deliver("orders-paid", {
        body: paidText.replace('"97.34"', '"0.01"'),
        queue,
        signature: await shopifySignature(paidText, secret),
      }),
      401,
    );
    expectProblem(await deliver("orders-paid", { body: paidText, queue, secretBinding: "" }), 503);
    expect(queue.messages).toEqual([]);
  });

  it("a shop no store is registered for is a 404, and nothing is queued", async () => {
    const queue = recorder();
    const problem = expectProblem(
      await deliver("orders-paid", { body: paidText, queue, shop: `nobody-${rand()}.myshopify.com` }),
      404,
    );
    expect(problem.detail).toMatch(/^No store is registered for the Shopify shop nobody-/);
    expect(queue.messages).toEqual([]);
  });

  it("a topic not handled is a 404 naming it, signed or not, and nothing is queued", async () => {
    const queue = recorder();
    const edited = expectProblem(await deliver("orders-edited", { body: paidText, queue }), 404);
    expect(edited.detail).toMatch(
      /^The Shopify topic orders\/edited is not handled; handled: orders\/paid, /,
    );
    expectProblem(await deliver("carts-update", { body: "{}", queue, signature: null }), 404);
    expect(queue.messages).toEqual([]);
  });

  it("refuses a missing event id, a topic header of another topic and a body not JSON, queuing nothing", async () => {
    const queue = recorder();
    expectProblem(
      await deliver("orders-paid", { body: paidText, queue, eventId: null, webhookId: null }),
      422,
      [{ field: "x-shopify-event-id", category: "missing" }],
    );
    expectProblem(
      await deliver("orders-paid", { body: paidText, queue, topicHeader: "orders/updated" }),
      422,
      [{ field: "x-shopify-topic", category: "not_allowed" }],
    );
    expectProblem(await deliver("orders-paid", { body: "{not json", queue }), 400);
    expectProblem(await deliver("orders-paid", { body: JSON.stringify({ id: 1 }), queue }), 422, [
      { field: "currency", category: "missing" },
      { field: "total_price", category: "missing" },
    ]);
    expect(queue.messages).toEqual([]);
    // A sender without X-Shopify-Event-Id: the webhook id names the event.
    const webhookId = crypto.randomUUID();
    const response = await deliver("orders-cancelled", {
      body: cancelledText,
      queue,
      eventId: null,
      webhookId,
    });
    expect(response.status, response.text).toBe(202);
    expect(queue.messages.map((message) => message.event.id)).toEqual([
      `shopify:orders/cancelled:${webhookId}`,
    ]);
  });

  it("the order and refund webhooks keep their own paths and answers", async () => {
    const queue = recorder();
    const orderId = `83${String(Math.floor(Math.random() * 1e15)).padStart(15, "0")}1`;
    const body = usdText
      .replaceAll(order, orderId)
      .replaceAll("ava.chen@example.com", `ava.${rand()}@example.com`);
    const response = await deliver("orders-create", { body, queue });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ created: true });
    expect(queue.messages).toEqual([]);
  });

  it("through the consumer: a redelivery is stored once; the order is paid once, shipped and delivered", async () => {
    // An order placed unpaid, through the ledger route.
    const orderId = `84${String(Math.floor(Math.random() * 1e15)).padStart(15, "0")}3`;
    const email = `ava.${rand()}@example.com`;
    const placed = usdText
      .replaceAll(order, orderId)
      .replaceAll("ava.chen@example.com", email)
      .replace('"financial_status": "paid"', '"financial_status": "pending"')
      .replace('"total_outstanding": "0.00"', '"total_outstanding": "97.34"');
    const created = await deliver("orders-create", { body: placed, queue: recorder() });
    expect(created.status, created.text).toBe(200);
    const orderRef = (created.body as { order: string }).order;

    const queue = recorder();
    const paid = paidText.replaceAll(order, orderId);
    const paidEventId = crypto.randomUUID();
    const shippedEventId = crypto.randomUUID();
    for (const [segment, body, eventId] of [
      ["orders-paid", paid, paidEventId],
      // Shopify delivers the same event again.
      ["orders-paid", paid, paidEventId],
      ["fulfillments-create", shippedText.replaceAll(order, orderId), shippedEventId],
      ["fulfillments-update", deliveredText.replaceAll(order, orderId), crypto.randomUUID()],
      // A later update of the delivered fulfilment: the same delivery.
      ["fulfillments-update", deliveredText.replaceAll(order, orderId), crypto.randomUUID()],
      [
        "customers_email_marketing_consent-update",
        emailConsentText.replaceAll("ava.chen@example.com", email),
        "c-1",
      ],
    ] as const) {
      const response = await deliver(segment, { body, queue, eventId });
      expect(response.status, `${segment}: ${response.text}`).toBe(202);
    }
    expect(queue.messages).toHaveLength(6);
    const { report, acked, retried } = await consumeEventsBatch(queue.messages);
    expect(retried).toEqual([]);
    expect(acked).toHaveLength(6);
    expect(report.parts.commerce).toMatchObject({ received: 6, stored: 4, duplicates: 2 });
    expect((await storedEvents()).map((row) => `${row.platform_event_id} ${row.type}:${row.status}`)).toEqual(
      [
        `shopify:orders/paid:${paidEventId} order.paid:applied`,
        `shopify:fulfillments/create:${shippedEventId} order.shipped:applied`,
        "shopify:fulfillment:5632017580076:delivered order.delivered:applied",
        "shopify:customers_email_marketing_consent/update:c-1 consent.changed:applied",
      ],
    );

    const orderId64 = ids.decode("order", orderRef);
    const payments = await withDb((db) =>
      db.execute(
        sql`SELECT amount::int, method, external_id, platform FROM payments WHERE order_id = ${orderId64}`,
      ),
    );
    expect(payments.rows).toEqual([
      {
        amount: 9734,
        method: "shopify_payments",
        external_id: `${orderId}:orders/paid`,
        platform: "shopify",
      },
    ]);
    const view = await call("GET", `/api/v1/orders/${orderRef}`);
    expect(view.status, view.text).toBe(200);
    expect((view.body as Json).fulfilment).toMatchObject({
      status: "delivered",
      history: [
        {
          status: "shipped",
          occurred_at: "2026-03-15T15:04:19.000Z",
          shipment_id: "5632017580076",
          carrier: "UPS",
          tracking_number: "1Z999AA10123456784",
        },
        { status: "delivered", occurred_at: "2026-03-18T18:37:02.000Z", shipment_id: "5632017580076" },
      ],
    });
  });
});

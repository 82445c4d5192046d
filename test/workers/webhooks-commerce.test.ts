import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { leadrailSignature } from "../../api/adapters/email-signatures.ts";
import { stores } from "../../db/schema/sales.ts";
import type { CommerceEventMessage } from "../../domain/commerce/event-message.ts";
import { sha256Hex } from "../../domain/contacts/email.ts";
import type { Env } from "../../domain/platform/env.ts";
import { applyStoredEvents } from "../../queues/events/commerce.ts";
import cafe24OrderText from "../fixtures/cafe24/order-krw.json?raw";
import order90023 from "../fixtures/cafe24/webhooks/90023-order-placed.json?raw";
import paid90025 from "../fixtures/cafe24/webhooks/90025-payment-paid.json?raw";
import member90032 from "../fixtures/cafe24/webhooks/90032-member-joined.json?raw";
import deleted90147 from "../fixtures/cafe24/webhooks/90147-members-deleted.json?raw";
import points90148 from "../fixtures/cafe24/webhooks/90148-points-changed.json?raw";
import cartText from "../fixtures/commerce/cart-abandoned.json?raw";
import consentText from "../fixtures/commerce/consent-changed.json?raw";
import cancelledText from "../fixtures/commerce/order-cancelled.json?raw";
import orderText from "../fixtures/commerce/order-created.json?raw";
import paidText from "../fixtures/commerce/order-paid.json?raw";
import refundedText from "../fixtures/commerce/order-refunded.json?raw";
import { call, expectProblem, ids, rand, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
import { ledgerSnapshot, noDrift, storedAndRecomputed } from "../support/ledger.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

const commerceSecret = `whsec_${rand()}${rand()}`;
const cafe24Secret = `cafe24_${rand()}${rand()}`;

type Json = Record<string, unknown>;
const fixture = (text: string): Json => JSON.parse(text) as Json;

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

// ── tenants: a brand, a KRW market and a store of it ──

interface Shop extends SalesTenant {
  storeId: number;
  storeRef: string;
  mallId: string;
}

async function shop(platform = "shopify"): Promise<Shop> {
  const tenant = await createSalesTenant("KRW");
  const mallId = platform === "cafe24" ? `mall${rand()}` : `shop-${rand()}.myshopify.com`;
  const [row] = await withDb((db) =>
    db
      .insert(stores)
      .values({
        brandId: tenant.brand.internal,
        marketId: tenant.market.internal,
        platform,
        externalRef: mallId,
        name: `Store ${mallId}`,
      })
      .returning({ id: stores.id }),
  );
  if (!row) throw new Error("no store row");
  return { ...tenant, storeId: row.id, storeRef: ids.encode("store", row.id), mallId };
}

async function postCommerce(
  body: string,
  queue: Recorder,
  signature?: string | null,
  secret = commerceSecret,
) {
  const headers: Record<string, string> = {};
  const value =
    signature === undefined
      ? await leadrailSignature(Uint8Array.from(new TextEncoder().encode(body)), commerceSecret)
      : signature;
  if (value !== null) headers["x-leadrail-signature"] = value;
  return call("POST", "/webhooks/commerce", {
    key: null,
    rawBody: body,
    headers,
    env: { COMMERCE_WEBHOOK_SECRET: secret, EVENTS_QUEUE: queue.queue } as Partial<Env>,
  });
}

async function cafe24Signature(body: string, secret = cafe24Secret): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return btoa(String.fromCharCode(...mac));
}

async function postCafe24(body: string, queue: Recorder, signature?: string) {
  return call("POST", "/webhooks/cafe24", {
    key: null,
    rawBody: body,
    headers: { "x-cafe24-hmac-sha256": signature ?? (await cafe24Signature(body)) },
    env: { CAFE24_WEBHOOK_SECRET: cafe24Secret, EVENTS_QUEUE: queue.queue } as Partial<Env>,
  });
}

/** The events of `events` for `store`, posted signed; the queue messages they became. */
async function send(store: Shop, events: Json[]): Promise<CommerceEventMessage[]> {
  const queue = recorder();
  const response = await postCommerce(JSON.stringify({ store: store.storeRef, events }), queue);
  expect(response.status, response.text).toBe(202);
  expect(response.body).toEqual({ received: events.length, enqueued: events.length, skipped: {} });
  return queue.messages;
}

/** One events batch through the real consumer: how many messages were acked and retried. */
async function consume(bodies: unknown[], overrides: Partial<Env> = {}) {
  const { report, acked, retried, delays } = await consumeEventsBatch(bodies, overrides);
  return { report, acked: acked.length, retried: retried.length, delays };
}

type EventRow = {
  platform_event_id: string;
  type: string;
  status: string;
  error: string | null;
  order_external_id: string | null;
  has_order: boolean;
  applied: boolean;
  payload: Json;
};

async function storedEvents(store: Shop): Promise<EventRow[]> {
  const result = await withDb((db) =>
    db.execute<EventRow>(sql`
      SELECT platform_event_id, type::text, status::text, error, order_external_id,
             order_id IS NOT NULL AS has_order, applied_at IS NOT NULL AS applied, payload
        FROM commerce_events WHERE store_id = ${store.storeId} ORDER BY id`),
  );
  return result.rows;
}

async function ledger(store: Shop) {
  const result = await withDb((db) =>
    db.execute<Json>(sql`
      SELECT o.external_id, o.platform, o.subtotal::int, o.discount_total::int, o.tax_total::int,
             o.shipping_total::int, o.total::int, a.invoiced::int, a.paid::int, a.outstanding::int,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('amount', p.amount, 'method', p.method,
                'external_id', p.external_id, 'platform', p.platform) ORDER BY p.id), '[]'::jsonb)
                FROM payments p WHERE p.order_id = o.id) AS payments
        FROM orders o JOIN brand_client_accounts a ON a.id = o.account_id
       WHERE o.brand_id = ${store.brand.internal} ORDER BY o.id`),
  );
  return result.rows;
}

const orderEvent = (overrides: Json = {}): Json => ({ ...fixture(orderText), ...overrides });
const paidEvent = (overrides: Json = {}): Json => ({ ...fixture(paidText), ...overrides });

/** SO-100231: 2 × 32,000 − 4,000 + 12,000 + 3,000 shipping = 75,000, paid by card. */
const expectedOrder = {
  external_id: "SO-100231",
  platform: "shopify",
  subtotal: 76_000,
  discount_total: 4_000,
  tax_total: 0,
  shipping_total: 3_000,
  total: 75_000,
};

describe("POST /webhooks/commerce", () => {
  it("verifies the signature: a bad or missing one is a 401 and nothing is queued; no secret is a 503", async () => {
    const store = await shop();
    const body = JSON.stringify({ store: store.storeRef, events: [fixture(cartText)] });
    const queue = recorder();
    expectProblem(await postCommerce(body, queue, `sha256=${"0".repeat(64)}`), 401);
    expectProblem(await postCommerce(body, queue, null), 401);
    expectProblem(
      await postCommerce(
        body,
        queue,
        await leadrailSignature(Uint8Array.from(new TextEncoder().encode(body)), "other"),
      ),
      401,
    );
    expectProblem(await postCommerce(body, queue, undefined, ""), 503);
    expect(queue.messages).toEqual([]);
    expect(await storedEvents(store)).toEqual([]);
  });

  it("refuses a bad body with a 422 naming the field (a batch, one event, the store), queuing nothing", async () => {
    const store = await shop();
    const queue = recorder();
    const badPaid = paidEvent({ data: { ...(fixture(paidText).data as Json), amount: -5 } });
    expectProblem(
      await postCommerce(JSON.stringify({ store: store.storeRef, events: [badPaid] }), queue),
      422,
      [{ field: "events.0.data.amount", category: "out_of_range" }],
    );
    expectProblem(await postCommerce(JSON.stringify({ store: store.storeRef, ...badPaid }), queue), 422, [
      { field: "data.amount", category: "out_of_range" },
    ]);
    expectProblem(
      await postCommerce(
        JSON.stringify({ store: ids.encode("store", 2 ** 40), events: [paidEvent()] }),
        queue,
      ),
      422,
      [{ field: "store", category: "not_found" }],
    );
    expect(queue.messages).toEqual([]);
  });

  it("order.created ingests the order with exact totals; the event is stored applied, without the customer", async () => {
    const store = await shop();
    const messages = await send(store, [orderEvent()]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ v: 1, type: "commerce", storeId: store.storeId });
    const { report, acked } = await consume(messages);
    expect(acked).toBe(1);
    expect(report.parts.commerce).toMatchObject({ received: 1, stored: 1, applied: 1, duplicates: 0 });
    expect(await ledger(store)).toEqual([
      { ...expectedOrder, invoiced: 75_000, paid: 0, outstanding: 75_000, payments: [] },
    ]);
    const [row] = await storedEvents(store);
    expect(row).toMatchObject({
      platform_event_id: "evt_01JEQ3K9Y8ORDER0001",
      type: "order.created",
      status: "applied",
      error: null,
      order_external_id: "SO-100231",
      has_order: true,
      applied: true,
    });
    expect(((row?.payload.order ?? {}) as Json).customer).toEqual({
      email_sha256: sha256Hex("jisoo.park@example.com"),
    });
    expect(JSON.stringify(row?.payload)).not.toContain("Mapo");
  });

  it("the same event twice (in one batch, and redelivered) is stored once and applied once", async () => {
    const store = await shop();
    const messages = await send(store, [orderEvent(), paidEvent(), orderEvent(), paidEvent()]);
    const first = await consume(messages);
    expect(first.report.parts.commerce).toMatchObject({ received: 4, stored: 2, duplicates: 2, applied: 2 });
    const again = await consume(messages);
    expect(again.acked).toBe(4);
    expect(again.report.parts.commerce).toMatchObject({ received: 4, stored: 0, duplicates: 4, applied: 0 });
    expect(await ledger(store)).toEqual([
      {
        ...expectedOrder,
        invoiced: 75_000,
        paid: 75_000,
        outstanding: 0,
        payments: [{ amount: 75_000, method: "card", external_id: "pay_7Hc2kQ", platform: "shopify" }],
      },
    ]);
    expect((await storedEvents(store)).map((r) => `${r.type}:${r.status}`)).toEqual([
      "order.created:applied",
      "order.paid:applied",
    ]);
  });

  it("a payment before its order waits (pending) and is applied when the order arrives, once", async () => {
    const store = await shop();
    const paid = await send(store, [paidEvent()]);
    const first = await consume(paid);
    expect(first.report.parts.commerce).toMatchObject({ stored: 1, pending: 1, applied: 0 });
    expect(await storedEvents(store)).toMatchObject([
      {
        type: "order.paid",
        status: "pending",
        error: "Waiting for its order.",
        has_order: false,
        applied: false,
      },
    ]);
    expect(await ledger(store)).toEqual([]);

    const created = await send(store, [orderEvent()]);
    const second = await consume(created);
    expect(second.report.parts.commerce).toMatchObject({ stored: 1, applied: 1, released: 1 });
    expect(
      (await storedEvents(store)).map((r) => [r.type, r.status, r.error, r.has_order, r.applied]),
    ).toEqual([
      ["order.paid", "applied", null, true, true],
      ["order.created", "applied", null, true, true],
    ]);
    const paidLedger = [
      {
        ...expectedOrder,
        invoiced: 75_000,
        paid: 75_000,
        outstanding: 0,
        payments: [{ amount: 75_000, method: "card", external_id: "pay_7Hc2kQ", platform: "shopify" }],
      },
    ];
    expect(await ledger(store)).toEqual(paidLedger);
    // Both redelivered: nothing changes.
    await consume([...paid, ...created]);
    expect(await ledger(store)).toEqual(paidLedger);
  });

  it("a payment queued before its order in the same batch is applied in that batch", async () => {
    const store = await shop();
    const messages = await send(store, [paidEvent(), orderEvent()]);
    const { report } = await consume(messages);
    expect(report.parts.commerce).toMatchObject({ stored: 2, applied: 2, pending: 0 });
    expect((await ledger(store))[0]).toMatchObject({ paid: 75_000, outstanding: 0 });
  });

  it("an order.paid for an order that came with its full payment records no second payment", async () => {
    const store = await shop();
    const order = fixture(orderText);
    const data = order.data as Json;
    const withPayment = {
      ...order,
      data: {
        ...data,
        order: {
          ...(data.order as Json),
          payment: { amount: 75_000, method: "card", external_id: "pay_with_order" },
        },
      },
    };
    await consume(await send(store, [withPayment, paidEvent()]));
    expect((await ledger(store))[0]).toMatchObject({
      paid: 75_000,
      outstanding: 0,
      payments: [{ amount: 75_000, method: "card", external_id: "pay_with_order", platform: "shopify" }],
    });
    expect((await storedEvents(store)).map((r) => `${r.type}:${r.status}`)).toEqual([
      "order.created:applied",
      "order.paid:applied",
    ]);
  });

  it("an order.paid reporting what the order has been paid, after a part came with the order, records only the rest", async () => {
    const store = await shop();
    const order = fixture(orderText);
    const data = order.data as Json;
    const partlyPaid = {
      ...order,
      data: {
        ...data,
        order: {
          ...(data.order as Json),
          payment: { amount: 30_000, method: "points", external_id: "pay_points" },
        },
      },
    };
    await consume(await send(store, [partlyPaid, paidEvent()]));
    expect((await ledger(store))[0]).toMatchObject({
      paid: 75_000,
      outstanding: 0,
      payments: [
        { amount: 30_000, method: "points", external_id: "pay_points", platform: "shopify" },
        { amount: 45_000, method: "card", external_id: "pay_7Hc2kQ", platform: "shopify" },
      ],
    });
  });

  it("consent.changed writes the consent per brand and channel, with every change in the history", async () => {
    const store = await shop();
    const email = `jisoo.${rand()}@example.com`;
    const consent = (id: string, at: string, consents: Json[]) => ({
      ...fixture(consentText),
      id,
      occurred_at: at,
      data: { email, member_id: "jisoo_p", consents, source: "checkout_form" },
    });
    await consume(
      await send(store, [
        consent("c-1", "2026-12-04T02:00:00Z", [
          { channel: "sms", status: "granted" },
          { channel: "kakao", status: "granted" },
          { channel: "night_ads", status: "withdrawn" },
        ]),
      ]),
    );
    // A later change, then an older one delivered late: the late one is history only.
    await consume(
      await send(store, [
        consent("c-2", "2026-12-05T08:00:00Z", [{ channel: "sms", status: "withdrawn" }]),
        consent("c-0", "2026-12-01T00:00:00Z", [{ channel: "kakao", status: "withdrawn" }]),
      ]),
    );
    const rows = await withDb(async (db) => {
      const contact = await db.execute<{ id: string }>(
        sql`SELECT c.id FROM contacts c JOIN emails e ON e.id = c.email_id WHERE e.sha256 = ${sha256Hex(email)}`,
      );
      const contactId = contact.rows[0]?.id;
      const current = await db.execute(sql`
        SELECT channel::text, status::text, at, source FROM consents
         WHERE brand_id = ${store.brand.internal} AND contact_id = ${contactId} ORDER BY channel`);
      const history = await db.execute(sql`
        SELECT channel::text, status::text, at, source FROM consent_history
         WHERE brand_id = ${store.brand.internal} AND contact_id = ${contactId} ORDER BY at, channel`);
      return { contacts: contact.rows.length, current: current.rows, history: history.rows };
    });
    const at = (iso: string) => new Date(iso).toISOString();
    const norm = (list: Record<string, unknown>[]) =>
      list.map((r) => ({ ...r, at: at(String(r.at instanceof Date ? r.at.toISOString() : r.at)) }));
    expect(rows.contacts).toBe(1);
    // Ordered by the channel's name.
    expect(norm(rows.current)).toEqual([
      { channel: "kakao", status: "granted", at: "2026-12-04T02:00:00.000Z", source: "checkout_form" },
      { channel: "night_ads", status: "withdrawn", at: "2026-12-04T02:00:00.000Z", source: "checkout_form" },
      { channel: "sms", status: "withdrawn", at: "2026-12-05T08:00:00.000Z", source: "checkout_form" },
    ]);
    expect(norm(rows.history)).toEqual([
      { channel: "kakao", status: "withdrawn", at: "2026-12-01T00:00:00.000Z", source: "checkout_form" },
      { channel: "kakao", status: "granted", at: "2026-12-04T02:00:00.000Z", source: "checkout_form" },
      { channel: "night_ads", status: "withdrawn", at: "2026-12-04T02:00:00.000Z", source: "checkout_form" },
      { channel: "sms", status: "granted", at: "2026-12-04T02:00:00.000Z", source: "checkout_form" },
      { channel: "sms", status: "withdrawn", at: "2026-12-05T08:00:00.000Z", source: "checkout_form" },
    ]);
    expect((await storedEvents(store)).map((r) => `${r.platform_event_id}:${r.status}`)).toEqual([
      "c-1:applied",
      "c-2:applied",
      "c-0:applied",
    ]);
  });

  describe("fulfilment: shipped, delivered, returned, exchanged", () => {
    const fulfilmentEvent = (type: string, id: string, at: string, data: Json = {}): Json => ({
      id,
      type,
      occurred_at: at,
      data: { order_id: "SO-100231", ...data },
    });
    const shipped = (id: string, at: string) =>
      fulfilmentEvent("order.shipped", id, at, {
        shipment_id: "shp_881",
        carrier: "CJ Logistics",
        tracking_number: "6543 2109 8765",
      });
    const delivered = (id: string, at: string) =>
      fulfilmentEvent("order.delivered", id, at, { shipment_id: "shp_881" });
    const historyEntry = (status: string, event: string, at: string, details: Json = {}) => ({
      status,
      occurred_at: at,
      event_id: event,
      shipment_id: null,
      carrier: null,
      tracking_number: null,
      reason: null,
      ...details,
    });
    const shippedEntry = (event: string, at: string) =>
      historyEntry("shipped", event, at, {
        shipment_id: "shp_881",
        carrier: "CJ Logistics",
        tracking_number: "6543 2109 8765",
      });
    const deliveredEntry = (event: string, at: string) =>
      historyEntry("delivered", event, at, { shipment_id: "shp_881" });

    /** The order's fulfilment as `GET /api/v1/orders/{id}` shows it. */
    async function fulfilmentOf(store: Shop) {
      const found = await withDb((db) =>
        db.execute<{ id: string }>(sql`SELECT id FROM orders WHERE brand_id = ${store.brand.internal}`),
      );
      expect(found.rows).toHaveLength(1);
      const response = await call("GET", `/api/v1/orders/${ids.encode("order", Number(found.rows[0]?.id))}`);
      expect(response.status, response.text).toBe(200);
      return (response.body as Json).fulfilment;
    }

    it("shipped then delivered: the order is delivered, with both in its history", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent()]));
      expect(await fulfilmentOf(store)).toEqual({ status: null, history: [] });
      const first = await consume(await send(store, [shipped("ship-1", "2026-12-05T03:00:00Z")]));
      expect(first.report.parts.commerce).toMatchObject({ stored: 1, applied: 1, pending: 0, unapplied: 0 });
      expect(await fulfilmentOf(store)).toEqual({
        status: "shipped",
        history: [shippedEntry("ship-1", "2026-12-05T03:00:00.000Z")],
      });
      await consume(await send(store, [delivered("deliver-1", "2026-12-06T09:30:00Z")]));
      expect(await fulfilmentOf(store)).toEqual({
        status: "delivered",
        history: [
          shippedEntry("ship-1", "2026-12-05T03:00:00.000Z"),
          deliveredEntry("deliver-1", "2026-12-06T09:30:00.000Z"),
        ],
      });
      expect(
        (await storedEvents(store)).map((r) => [r.type, r.status, r.error, r.has_order, r.applied]),
      ).toEqual([
        ["order.created", "applied", null, true, true],
        ["order.shipped", "applied", null, true, true],
        ["order.delivered", "applied", null, true, true],
      ]);
    });

    it("an older event delivered late is history only: the status stays the latest by when it happened", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent()]));
      await consume(await send(store, [delivered("deliver-1", "2026-12-06T09:30:00Z")]));
      await consume(await send(store, [shipped("ship-1", "2026-12-05T03:00:00Z")]));
      expect(await fulfilmentOf(store)).toEqual({
        status: "delivered",
        history: [
          shippedEntry("ship-1", "2026-12-05T03:00:00.000Z"),
          deliveredEntry("deliver-1", "2026-12-06T09:30:00.000Z"),
        ],
      });
      // In one batch too: the latest by time wins, whatever the order of arrival.
      await consume(
        await send(store, [
          fulfilmentEvent("order.exchanged", "exchange-1", "2026-12-09T00:00:00Z", { reason: "Wrong size" }),
          fulfilmentEvent("order.returned", "return-1", "2026-12-08T00:00:00Z", {
            reason: "Changed my mind",
            items: [{ sku: "SERUM-30", quantity: 1 }],
          }),
        ]),
      );
      expect(await fulfilmentOf(store)).toEqual({
        status: "exchanged",
        history: [
          shippedEntry("ship-1", "2026-12-05T03:00:00.000Z"),
          deliveredEntry("deliver-1", "2026-12-06T09:30:00.000Z"),
          historyEntry("returned", "return-1", "2026-12-08T00:00:00.000Z", { reason: "Changed my mind" }),
          historyEntry("exchanged", "exchange-1", "2026-12-09T00:00:00.000Z", { reason: "Wrong size" }),
        ],
      });
    });

    it("the same event twice (in one batch, and redelivered) is one history row", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent()]));
      const messages = await send(store, [
        shipped("ship-1", "2026-12-05T03:00:00Z"),
        shipped("ship-1", "2026-12-05T03:00:00Z"),
      ]);
      const first = await consume(messages);
      expect(first.report.parts.commerce).toMatchObject({ stored: 1, duplicates: 1, applied: 1 });
      const again = await consume(messages);
      expect(again.report.parts.commerce).toMatchObject({ stored: 0, duplicates: 2, applied: 0 });
      expect(await fulfilmentOf(store)).toEqual({
        status: "shipped",
        history: [shippedEntry("ship-1", "2026-12-05T03:00:00.000Z")],
      });
    });

    it("a shipment before its order waits (pending) and is applied when the order arrives", async () => {
      const store = await shop();
      const first = await consume(await send(store, [shipped("ship-1", "2026-12-05T03:00:00Z")]));
      expect(first.report.parts.commerce).toMatchObject({ stored: 1, pending: 1, applied: 0 });
      expect(await storedEvents(store)).toMatchObject([
        { type: "order.shipped", status: "pending", error: "Waiting for its order.", has_order: false },
      ]);
      const second = await consume(await send(store, [orderEvent()]));
      expect(second.report.parts.commerce).toMatchObject({ stored: 1, applied: 1, released: 1 });
      expect(
        (await storedEvents(store)).map((r) => [r.type, r.status, r.error, r.has_order, r.applied]),
      ).toEqual([
        ["order.shipped", "applied", null, true, true],
        ["order.created", "applied", null, true, true],
      ]);
      expect(await fulfilmentOf(store)).toEqual({
        status: "shipped",
        history: [shippedEntry("ship-1", "2026-12-05T03:00:00.000Z")],
      });
    });
  });

  describe("cancelled and refunded: credit notes and refunds through the ledger", () => {
    const cancelledEvent = (overrides: Json = {}): Json => ({ ...fixture(cancelledText), ...overrides });
    const refundedEvent = (overrides: Json = {}, data: Json = {}): Json => {
      const base = fixture(refundedText);
      return { ...base, ...overrides, data: { ...(base.data as Json), ...data } };
    };
    /** Amount only: no items, no shipping. */
    const amountOnly = (id: string, refundId: string, amount: number): Json => ({
      id,
      type: "order.refunded",
      occurred_at: "2026-12-07T00:00:00Z",
      data: { order_id: "SO-100231", refund_id: refundId, amount, currency: "KRW" },
    });

    async function orderIdOf(store: Shop): Promise<number> {
      const found = await withDb((db) =>
        db.execute<{ id: string }>(sql`SELECT id FROM orders WHERE brand_id = ${store.brand.internal}`),
      );
      expect(found.rows).toHaveLength(1);
      return Number(found.rows[0]?.id);
    }

    /** What `GET /api/v1/orders/{id}` shows of the order's credit, cancellation and account. */
    async function creditOf(store: Shop) {
      const response = await call("GET", `/api/v1/orders/${ids.encode("order", await orderIdOf(store))}`);
      expect(response.status, response.text).toBe(200);
      const order = response.body as Json;
      const invoice = order.invoice as Json;
      const { id: _id, currency: _currency, ...account } = order.account as Json;
      return {
        credited_total: order.credited_total,
        invoice_credited: invoice.credited_total,
        lines: (invoice.items as Json[]).map((item) => [item.description, item.amount, item.credited_total]),
        items: (order.items as Json[]).map((item) => [item.sku, item.credited_total]),
        cancellation: order.cancellation,
        account,
      };
    }

    /** The refunds and credit notes of the store's brand, in the order they were written. */
    async function documents(store: Shop) {
      const result = await withDb((db) =>
        db.execute<Json>(sql`SELECT jsonb_build_object(
          'refunds', (SELECT coalesce(jsonb_agg(jsonb_build_array(r.external_id, r.amount,
              (SELECT sku FROM products WHERE id = r.product_id), r.order_id IS NOT NULL, r.reason) ORDER BY r.id),
              '[]'::jsonb) FROM refunds r WHERE r.brand_id = ${store.brand.internal}),
          'credit_notes', (SELECT coalesce(jsonb_agg(jsonb_build_object('number', cn.number, 'amount', cn.amount,
              'refund', (SELECT external_id || ':' || amount FROM refunds WHERE id = cn.refund_id),
              'refunded', cn.refund_id IS NOT NULL, 'reason', cn.reason,
              'items', (SELECT jsonb_agg(jsonb_build_array(ii.description, ci.amount) ORDER BY ci.id)
                          FROM credit_note_items ci JOIN invoice_items ii ON ii.id = ci.invoice_item_id
                         WHERE ci.credit_note_id = cn.id)) ORDER BY cn.id), '[]'::jsonb)
              FROM credit_notes cn WHERE cn.brand_id = ${store.brand.internal})) AS docs`),
      );
      return result.rows[0]?.docs as { refunds: unknown[][]; credit_notes: Json[] };
    }

    async function accountIdOf(store: Shop): Promise<number> {
      const found = await withDb((db) =>
        db.execute<{ id: string }>(
          sql`SELECT account_id AS id FROM orders WHERE brand_id = ${store.brand.internal}`,
        ),
      );
      return Number(found.rows[0]?.id);
    }

    /** The account's stored totals equal their recomputation from its rows, with no drift. */
    async function expectConsistent(store: Shop) {
      const state = await storedAndRecomputed(await accountIdOf(store));
      expect(state.stored).toEqual(state.recomputed);
      expect(state.drift).toEqual(noDrift);
    }

    const statuses = async (store: Shop) =>
      (await storedEvents(store)).map((r) => [r.type, r.status, r.error, r.has_order]);

    const fullyCredited = [
      ["Hydra serum 30 ml", 60_000, 60_000],
      ["Sheet mask 5-pack", 12_000, 12_000],
      ["Shipping", 3_000, 3_000],
    ];
    const cancellation = { cancelled_at: "2026-12-04T03:20:00.000Z", reason: "Customer changed their mind" };

    it("an unpaid order cancelled: one credit-only note of its total, nothing outstanding, no refund", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent()]));
      const { report } = await consume(await send(store, [cancelledEvent()]));
      expect(report.parts.commerce).toMatchObject({ stored: 1, applied: 1, failed: 0, pending: 0 });
      expect(await creditOf(store)).toEqual({
        credited_total: 75_000,
        invoice_credited: 75_000,
        lines: fullyCredited,
        items: [
          ["SERUM-30", 60_000],
          ["MASK-5", 12_000],
        ],
        cancellation,
        account: { invoiced: 75_000, credited: 75_000, paid: 0, refunded: 0, balance: 0, outstanding: 0 },
      });
      expect(await documents(store)).toEqual({
        refunds: [],
        credit_notes: [
          {
            number: 1,
            amount: 75_000,
            refund: null,
            refunded: false,
            reason: "Customer changed their mind",
            items: fullyCredited.map(([description, amount]) => [description, amount]),
          },
        ],
      });
      expect(await statuses(store)).toEqual([
        ["order.created", "applied", null, true],
        ["order.cancelled", "applied", null, true],
      ]);
      await expectConsistent(store);
    });

    it("a paid order cancelled: the credit note is a refund of what was paid; balance and outstanding 0", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent(), paidEvent()]));
      await consume(await send(store, [cancelledEvent()]));
      expect(await creditOf(store)).toMatchObject({
        credited_total: 75_000,
        lines: fullyCredited,
        cancellation,
        account: {
          invoiced: 75_000,
          credited: 75_000,
          paid: 75_000,
          refunded: 75_000,
          balance: 0,
          outstanding: 0,
        },
      });
      expect(await documents(store)).toEqual({
        refunds: [[null, 75_000, null, true, "Customer changed their mind"]],
        credit_notes: [
          {
            number: 1,
            amount: 75_000,
            refund: null,
            refunded: true,
            reason: "Customer changed their mind",
            items: fullyCredited.map(([description, amount]) => [description, amount]),
          },
        ],
      });
      await expectConsistent(store);
    });

    it("a partly paid order cancelled: the paid part refunded on its own note, the rest credited only", async () => {
      const store = await shop();
      await consume(
        await send(store, [
          orderEvent(),
          paidEvent({ data: { ...(fixture(paidText).data as Json), amount: 30_000 } }),
        ]),
      );
      await consume(await send(store, [cancelledEvent()]));
      expect((await creditOf(store)).account).toEqual({
        invoiced: 75_000,
        credited: 75_000,
        paid: 30_000,
        refunded: 30_000,
        balance: 0,
        outstanding: 0,
      });
      expect((await documents(store)).credit_notes).toEqual([
        {
          number: 1,
          amount: 30_000,
          refund: null,
          refunded: true,
          reason: "Customer changed their mind",
          items: [["Hydra serum 30 ml", 30_000]],
        },
        {
          number: 2,
          amount: 45_000,
          refund: null,
          refunded: false,
          reason: "Customer changed their mind",
          items: [
            ["Hydra serum 30 ml", 30_000],
            ["Sheet mask 5-pack", 12_000],
            ["Shipping", 3_000],
          ],
        },
      ]);
      await expectConsistent(store);
    });

    it("cancelled twice (another event, and redelivered): the second writes nothing", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent(), paidEvent()]));
      const first = await send(store, [cancelledEvent()]);
      await consume(first);
      const after = await ledgerSnapshot(await accountIdOf(store));
      const again = await consume([
        ...first,
        ...(await send(store, [cancelledEvent({ id: "evt-cancel-2", occurred_at: "2026-12-05T00:00:00Z" })])),
      ]);
      expect(again.report.parts.commerce).toMatchObject({ stored: 1, duplicates: 1, applied: 1, failed: 0 });
      expect(await ledgerSnapshot(await accountIdOf(store))).toEqual(after);
      // The first cancellation's time and reason stay.
      expect((await creditOf(store)).cancellation).toEqual(cancellation);
      expect((await documents(store)).refunds).toHaveLength(1);
    });

    it("a cancellation before its order waits (pending) and is applied when the order arrives", async () => {
      const store = await shop();
      const first = await consume(await send(store, [cancelledEvent()]));
      expect(first.report.parts.commerce).toMatchObject({ stored: 1, pending: 1, applied: 0 });
      expect(await statuses(store)).toEqual([
        ["order.cancelled", "pending", "Waiting for its order.", false],
      ]);
      const second = await consume(await send(store, [orderEvent()]));
      expect(second.report.parts.commerce).toMatchObject({ stored: 1, applied: 1, released: 1 });
      expect(await statuses(store)).toEqual([
        ["order.cancelled", "applied", null, true],
        ["order.created", "applied", null, true],
      ]);
      expect(await creditOf(store)).toMatchObject({
        credited_total: 75_000,
        cancellation,
        account: { invoiced: 75_000, credited: 75_000, paid: 0, refunded: 0, balance: 0, outstanding: 0 },
      });
      await expectConsistent(store);
    });

    it("refunded with items and shipping: one refund per SKU and one of shipping, through the waterfall", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent(), paidEvent()]));
      const { report } = await consume(await send(store, [refundedEvent()]));
      expect(report.parts.commerce).toMatchObject({ stored: 1, applied: 1, failed: 0 });
      expect(await creditOf(store)).toEqual({
        credited_total: 35_000,
        invoice_credited: 35_000,
        lines: [
          ["Hydra serum 30 ml", 60_000, 32_000],
          ["Sheet mask 5-pack", 12_000, 0],
          ["Shipping", 3_000, 3_000],
        ],
        items: [
          ["SERUM-30", 32_000],
          ["MASK-5", 0],
        ],
        cancellation: null,
        account: {
          invoiced: 75_000,
          credited: 35_000,
          paid: 75_000,
          refunded: 35_000,
          balance: 40_000,
          outstanding: 0,
        },
      });
      expect((await documents(store)).refunds).toEqual([
        ["re_4Fq9Lm:SERUM-30", 32_000, "SERUM-30", false, "One serum arrived damaged"],
        ["re_4Fq9Lm:shipping", 3_000, null, true, "One serum arrived damaged"],
      ]);
      await expectConsistent(store);

      // Then cancelled: what the refund did not credit is credited and paid back.
      await consume(await send(store, [cancelledEvent()]));
      expect(await creditOf(store)).toMatchObject({
        credited_total: 75_000,
        lines: fullyCredited,
        account: {
          invoiced: 75_000,
          credited: 75_000,
          paid: 75_000,
          refunded: 75_000,
          balance: 0,
          outstanding: 0,
        },
      });
      expect((await documents(store)).credit_notes.at(-1)).toEqual({
        number: 3,
        amount: 40_000,
        refund: null,
        refunded: true,
        reason: "Customer changed their mind",
        items: [
          ["Hydra serum 30 ml", 28_000],
          ["Sheet mask 5-pack", 12_000],
        ],
      });
      await expectConsistent(store);
    });

    it("refunded by amount only: spread over the product lines in line order, then shipping", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent(), paidEvent()]));
      await consume(await send(store, [amountOnly("evt-refund-a", "re_A", 65_000)]));
      expect((await documents(store)).refunds).toEqual([
        ["re_A:SERUM-30", 60_000, "SERUM-30", false, null],
        ["re_A:MASK-5", 5_000, "MASK-5", false, null],
      ]);
      await consume(await send(store, [amountOnly("evt-refund-b", "re_B", 10_000)]));
      expect((await documents(store)).refunds.slice(2)).toEqual([
        ["re_B:MASK-5", 7_000, "MASK-5", false, null],
        ["re_B:shipping", 3_000, null, true, null],
      ]);
      expect(await creditOf(store)).toMatchObject({
        credited_total: 75_000,
        lines: fullyCredited,
        account: {
          invoiced: 75_000,
          credited: 75_000,
          paid: 75_000,
          refunded: 75_000,
          balance: 0,
          outstanding: 0,
        },
      });
      await expectConsistent(store);
    });

    it("the same refund twice (redelivered, or another event with its refund_id) is refunded once", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent(), paidEvent()]));
      const withItems = await send(store, [refundedEvent()]);
      const byAmount = await send(store, [amountOnly("evt-refund-a", "re_A", 20_000)]);
      await consume([...withItems, ...byAmount]);
      const after = await ledgerSnapshot(await accountIdOf(store));
      const again = await consume([
        ...withItems,
        ...byAmount,
        ...(await send(store, [
          refundedEvent({ id: "evt-refund-again" }),
          amountOnly("evt-refund-a-again", "re_A", 20_000),
        ])),
      ]);
      expect(again.report.parts.commerce).toMatchObject({ stored: 2, duplicates: 2, applied: 2, failed: 0 });
      expect(await ledgerSnapshot(await accountIdOf(store))).toEqual(after);
      expect((await documents(store)).refunds.map((r) => r.slice(0, 2))).toEqual([
        ["re_4Fq9Lm:SERUM-30", 32_000],
        ["re_4Fq9Lm:shipping", 3_000],
        ["re_A:SERUM-30", 20_000],
      ]);
    });

    it("a refund before its order waits (pending), applied when the order and its payment arrive", async () => {
      const store = await shop();
      const first = await consume(await send(store, [refundedEvent()]));
      expect(first.report.parts.commerce).toMatchObject({ stored: 1, pending: 1 });
      expect(await statuses(store)).toEqual([["order.refunded", "pending", "Waiting for its order.", false]]);
      const second = await consume(await send(store, [orderEvent(), paidEvent()]));
      expect(second.report.parts.commerce).toMatchObject({ stored: 2, applied: 2, released: 1 });
      expect((await statuses(store)).map((r) => r.slice(0, 2))).toEqual([
        ["order.refunded", "applied"],
        ["order.created", "applied"],
        ["order.paid", "applied"],
      ]);
      expect((await creditOf(store)).account).toEqual({
        invoiced: 75_000,
        credited: 35_000,
        paid: 75_000,
        refunded: 35_000,
        balance: 40_000,
        outstanding: 0,
      });
    });

    it("a refund larger than what is refundable fails naming amount, and writes nothing", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent(), paidEvent()]));
      const before = await ledgerSnapshot(await accountIdOf(store));
      const { report } = await consume(
        await send(store, [
          amountOnly("evt-too-much", "re_big", 75_001),
          refundedEvent(
            { id: "evt-serum-too-much" },
            { amount: 63_001, items: [{ sku: "SERUM-30", amount: 60_001 }] },
          ),
          // The serum part fits; the shipping part does not: the serum refund is rolled back with it.
          refundedEvent({ id: "evt-shipping-too-much" }, { amount: 37_000, shipping: 5_000 }),
          refundedEvent({ id: "evt-not-adding-up" }, { amount: 36_000 }),
          refundedEvent({ id: "evt-unknown-sku" }, { items: [{ sku: "NOPE-1", amount: 32_000 }] }),
          refundedEvent({ id: "evt-usd" }, { currency: "USD" }),
        ]),
      );
      expect(report.parts.commerce).toMatchObject({ stored: 6, failed: 6, applied: 0 });
      expect(await ledgerSnapshot(await accountIdOf(store))).toEqual(before);
      const errors = (await storedEvents(store))
        .slice(2)
        .map((r) => [r.platform_event_id, r.status, r.error]);
      expect(errors).toEqual([
        [
          "evt-too-much",
          "failed",
          "The refund cannot be applied; nothing was written. (amount: Exceeds what the order can still be credited: 75000 KRW.)",
        ],
        [
          "evt-serum-too-much",
          "failed",
          "The refund is larger than what can be refunded; nothing was written. (amount: Exceeds what is refundable for this product on this account: 60000 KRW (invoiced minus already credited).)",
        ],
        [
          "evt-shipping-too-much",
          "failed",
          "The refund is larger than what can be refunded; nothing was written. (amount: Exceeds what is refundable for this order's shipping: 3000 KRW (invoiced minus already credited).)",
        ],
        [
          "evt-not-adding-up",
          "failed",
          "The refund cannot be applied; nothing was written. (amount: The items and shipping add up to 35000 KRW, not 36000.)",
        ],
        [
          "evt-unknown-sku",
          "failed",
          "The refund cannot be applied; nothing was written. (items.0.sku: The brand has no product NOPE-1.)",
        ],
        [
          "evt-usd",
          "failed",
          "The refund cannot be applied; nothing was written. (currency: The account's currency is KRW.)",
        ],
      ]);
    });

    it("a refund of an unpaid order fails naming amount: it exceeds the account's balance", async () => {
      const store = await shop();
      await consume(await send(store, [orderEvent()]));
      await consume(await send(store, [amountOnly("evt-unpaid", "re_unpaid", 1_000)]));
      const [, refund] = await storedEvents(store);
      expect(refund?.status).toBe("failed");
      expect(refund?.error).toBe(
        "The refund is larger than what can be refunded; nothing was written. (amount: Exceeds the account's balance (paid minus refunded): 0 KRW.)",
      );
      expect((await documents(store)).refunds).toEqual([]);
    });
  });

  it("an order the ledger refuses fails alone, naming why; the rest of the batch is applied", async () => {
    const store = await shop();
    const order = fixture(orderText);
    const usd = {
      ...order,
      id: "evt-usd",
      data: { order_id: "SO-USD", order: { ...((order.data as Json).order as Json), currency: "USD" } },
    };
    const { report } = await consume(await send(store, [usd, fixture(cartText)]));
    expect(report.parts.commerce).toMatchObject({ stored: 2, failed: 1, applied: 1 });
    const [failed] = await storedEvents(store);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toContain("currency");
    expect(await ledger(store)).toEqual([]);
  });

  it("a store its events name cannot be deleted (409), and keeps them", async () => {
    const store = await shop();
    await consume(await send(store, [fixture(cartText)]));
    expectProblem(await call("DELETE", `/api/v1/stores/${store.storeRef}`), 409);
    expect(await storedEvents(store)).toHaveLength(1);
  });

  it("a database it cannot reach retries the batch with back-off, storing nothing", async () => {
    const store = await shop();
    const messages = await send(store, [fixture(cartText)]);
    const result = await consume(messages, {
      DB_WS_PROXY: "127.0.0.1:9",
      DATABASE_URL: "postgres://postgres@127.0.0.1:9/none",
      CAPTURE_RETRY_BASE_SECONDS: "3",
    } as Partial<Env>);
    expect({ acked: result.acked, retried: result.retried, delays: result.delays }).toEqual({
      acked: 0,
      retried: 1,
      delays: [3],
    });
    expect(await storedEvents(store)).toEqual([]);
  });
});

describe("POST /webhooks/cafe24", () => {
  const forMall = (text: string, mallId: string) => text.replaceAll('"leadrailmall"', JSON.stringify(mallId));

  it("verifies X-Cafe24-Hmac-SHA256: a bad signature is a 401 and nothing is queued", async () => {
    const store = await shop("cafe24");
    const queue = recorder();
    const body = forMall(paid90025, store.mallId);
    expectProblem(await postCafe24(body, queue, await cafe24Signature(body, "other")), 401);
    expectProblem(await postCafe24(body, queue, ""), 401);
    expect(queue.messages).toEqual([]);
    expectProblem(await postCafe24(forMall(paid90025, `mall${rand()}`), queue), 404);
    expect(queue.messages).toEqual([]);
  });

  it("a payment and then its order: stored, the payment waits, the order without items is kept unapplied", async () => {
    const store = await shop("cafe24");
    const queue = recorder();
    const paid = forMall(paid90025, store.mallId);
    expect((await postCafe24(paid, queue)).body).toEqual({ received: 1, enqueued: 1, skipped: {} });
    expect((await postCafe24(forMall(order90023, store.mallId), queue)).status).toBe(202);
    // Cafe24 delivers again: the same body is the same event.
    expect((await postCafe24(paid, queue)).status).toBe(202);
    await consume(queue.messages);
    expect(
      (await storedEvents(store)).map((r) => [r.type, r.status, r.order_external_id, r.payload]),
    ).toEqual([
      [
        "order.paid",
        "pending",
        "20261204-0000317",
        {
          order_id: "20261204-0000317",
          amount: 48000,
          currency: "KRW",
          method: "card",
          payment_id: "20261204-0000317:payment",
        },
      ],
      ["order.created", "unapplied", "20261204-0000317", { order_id: "20261204-0000317" }],
    ]);
  });

  it("a waiting payment is applied by re-running the appliers once its order came through the API", async () => {
    const store = await shop("cafe24");
    const queue = recorder();
    const cafe24Order = JSON.parse(cafe24OrderText) as Json;
    const orderId = String(cafe24Order.order_id);
    const paid = forMall(paid90025, store.mallId).replaceAll("20261204-0000317", orderId);
    await postCafe24(paid, queue);
    await consume(queue.messages);
    expect((await storedEvents(store)).map((r) => r.status)).toEqual(["pending"]);
    const created = await call("POST", "/api/v1/orders/cafe24", {
      body: { mall_id: store.mallId, order: cafe24Order },
    });
    expect(created.status, created.text).toBe(201);
    const rerun = await withDb((db) =>
      db.transaction((tx) =>
        applyStoredEvents(tx, ids, { storeId: store.storeId, statuses: ["pending", "unapplied"] }),
      ),
    );
    expect(rerun).toEqual({
      considered: 1,
      applied: 1,
      pending: 0,
      unapplied: 0,
      failed: 0,
      relayJobIds: [],
      refreshEmailIds: [],
    });
    expect((await storedEvents(store)).map((r) => [r.status, r.has_order, r.applied])).toEqual([
      ["applied", true, true],
    ]);
    // The API order came with its payment: the event adds none.
    const [row] = await ledger(store);
    expect(((row?.payments ?? []) as unknown[]).length).toBe(1);
    expect(row?.outstanding).toBe(0);
  });

  it("a sign-up is a member.joined and its SMS and email consent, both applied", async () => {
    const store = await shop("cafe24");
    const queue = recorder();
    const email = `minji.${rand()}@example.com`;
    const body = forMall(member90032, store.mallId).replace("Minji.Kim@Example.com", email);
    expect((await postCafe24(body, queue)).body).toEqual({ received: 1, enqueued: 2, skipped: {} });
    await consume(queue.messages);
    expect((await storedEvents(store)).map((r) => `${r.type}:${r.status}`)).toEqual([
      "member.joined:applied",
      "consent.changed:applied",
    ]);
    const member = await withDb((db) =>
      db.execute(sql`
        SELECT m.external_id, m.state::text, e.sha256 FROM members m
          JOIN contacts c ON c.id = m.contact_id JOIN emails e ON e.id = c.email_id
         WHERE m.store_id = ${store.storeId}`),
    );
    expect(member.rows).toEqual([{ external_id: "minji88", state: "active", sha256: sha256Hex(email) }]);
    const consents = await withDb((db) =>
      db.execute(sql`
        SELECT k.channel::text, k.status::text, k.source FROM consents k
          JOIN contacts c ON c.id = k.contact_id JOIN emails e ON e.id = c.email_id
         WHERE k.brand_id = ${store.brand.internal} AND e.sha256 = ${sha256Hex(email)} ORDER BY k.channel`),
    );
    expect(consents.rows).toEqual([
      { channel: "sms", status: "granted", source: "cafe24:member_join" },
      { channel: "email", status: "withdrawn", source: "cafe24:member_join" },
    ]);
  });

  it("accounts deleted (90147) withdraw each listed member: a known one soft-deleted, an unknown one kept by its id", async () => {
    const store = await shop("cafe24");
    const queue = recorder();
    const email = `minji.${rand()}@example.com`;
    await postCafe24(forMall(member90032, store.mallId).replace("Minji.Kim@Example.com", email), queue);
    await postCafe24(forMall(deleted90147, store.mallId), queue);
    await consume(queue.messages);
    const members = await withDb((db) =>
      db.execute(sql`
        SELECT m.external_id, m.state::text, m.contact_id IS NOT NULL AS has_contact,
               (SELECT count(*)::int FROM member_history h WHERE h.member_id = m.id) AS history
          FROM members m WHERE m.store_id = ${store.storeId} ORDER BY m.external_id`),
    );
    expect(members.rows).toEqual([
      { external_id: "jisoo_p", state: "withdrawn", has_contact: false, history: 1 },
      { external_id: "minji88", state: "withdrawn", has_contact: true, history: 2 },
    ]);
    const relationship = await withDb((db) =>
      db.execute(sql`
        SELECT cb.state::text, cb.unsubscribe_source FROM contact_brands cb
          JOIN contacts c ON c.id = cb.contact_id JOIN emails e ON e.id = c.email_id
         WHERE cb.brand_id = ${store.brand.internal} AND e.sha256 = ${sha256Hex(email)}`),
    );
    expect(relationship.rows).toEqual([
      { state: "unsubscribed", unsubscribe_source: "cafe24:member_withdrawn" },
    ]);
  });

  it("points (90148) are a ledger row with Cafe24's balance, which the member's balance follows", async () => {
    const store = await shop("cafe24");
    const queue = recorder();
    await postCafe24(forMall(points90148, store.mallId), queue);
    await consume(queue.messages);
    const points = await withDb((db) =>
      db.execute(sql`
        SELECT p.delta::int, p.balance_after::int, p.platform_balance::int, p.balance_mismatch,
               mp.balance::int AS member_balance, mp.computed_balance::int, mp.mismatch
          FROM points_ledger p
          JOIN member_points mp ON mp.store_id = p.store_id AND mp.member_external_id = p.member_external_id
         WHERE p.store_id = ${store.storeId} AND p.member_external_id = 'minji88'`),
    );
    expect(points.rows).toEqual([
      {
        delta: 480,
        balance_after: 480,
        platform_balance: 1480,
        balance_mismatch: true,
        member_balance: 1480,
        computed_balance: 480,
        mismatch: true,
      },
    ]);
  });
});

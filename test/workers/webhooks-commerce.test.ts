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
import orderText from "../fixtures/commerce/order-created.json?raw";
import paidText from "../fixtures/commerce/order-paid.json?raw";
import { call, expectProblem, ids, rand, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
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

  it("a type with no applier yet is stored unapplied, as received", async () => {
    const store = await shop();
    // order.refunded has none yet (domain/commerce/appliers.ts); carts are stored without the plaintext
    // email and applied (test/workers/commerce-catalog-events.test.ts).
    const refunded = {
      id: "evt-refund-1",
      type: "order.refunded",
      occurred_at: "2026-12-07T00:00:00Z",
      data: { order_id: "SO-100231", refund_id: "re_1", amount: 32000, currency: "KRW", reason: "Damaged" },
    };
    const { report } = await consume(await send(store, [refunded]));
    expect(report.parts.commerce).toMatchObject({ stored: 1, unapplied: 1 });
    expect(await storedEvents(store)).toEqual([
      {
        platform_event_id: "evt-refund-1",
        type: "order.refunded",
        status: "unapplied",
        error: "No applier for this type yet.",
        order_external_id: "SO-100231",
        has_order: false,
        applied: false,
        payload: {
          order_id: "SO-100231",
          refund_id: "re_1",
          amount: 32000,
          currency: "KRW",
          reason: "Damaged",
        },
      },
    ]);
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

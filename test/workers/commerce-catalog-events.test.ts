import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { stores } from "../../db/schema/sales.ts";
import { recoverAbandonedCarts } from "../../domain/commerce/carts.ts";
import { waitingForSku } from "../../domain/commerce/products.ts";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { applyStoredEvents } from "../../queues/events/commerce.ts";
import cartText from "../fixtures/commerce/cart-abandoned.json?raw";
import orderText from "../fixtures/commerce/order-created.json?raw";
import { ids, rand, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

type Json = Record<string, unknown>;
const fixture = (text: string): Json => JSON.parse(text) as Json;

interface Shop extends SalesTenant {
  storeId: number;
}

/** A brand, a KRW market and a Shopify store of it. */
async function shop(): Promise<Shop> {
  const tenant = await createSalesTenant("KRW");
  const [row] = await withDb((db) =>
    db
      .insert(stores)
      .values({
        brandId: tenant.brand.internal,
        marketId: tenant.market.internal,
        platform: "shopify",
        externalRef: `shop-${rand()}.myshopify.com`,
        name: "Store",
      })
      .returning({ id: stores.id }),
  );
  if (!row) throw new Error("no store row");
  return { ...tenant, storeId: row.id };
}

/** The events as one batch of the events queue (the messages the webhook would enqueue), consumed. */
async function consume(store: Shop, events: Json[]) {
  const bodies = events.map((event) => ({
    v: 1,
    type: "commerce",
    storeId: store.storeId,
    receivedAt: "2026-12-10T00:00:00.000Z",
    event,
  }));
  const { report, acked, retried } = await consumeEventsBatch(bodies);
  expect({ acked: acked.length, retried: retried.length }).toEqual({ acked: events.length, retried: 0 });
  return report.parts.commerce;
}

async function rows<T = Json>(query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await withDb((db) => db.execute<T & Record<string, unknown>>(query));
  return result.rows as T[];
}

async function statuses(store: Shop) {
  return rows<{ id: string; status: string; error: string | null }>(sql`
    SELECT c.platform_event_id AS id, c.status::text, c.error FROM commerce_events c
     WHERE c.store_id = ${store.storeId} ORDER BY c.id`);
}

const iso = (value: unknown) => new Date(String(value)).toISOString();

// ── products ──

const productEvent = (type: string, id: string, at: string, data: Json): Json => ({
  id,
  type,
  occurred_at: at,
  data: { product_id: "prod_881", ...data },
});

async function catalog(store: Shop) {
  return rows(sql`
    SELECT p.sku, p.name, p.name_changed_at IS NOT NULL AS named_by_event
      FROM products p WHERE p.brand_id = ${store.brand.internal} ORDER BY p.sku`);
}

async function mappings(store: Shop) {
  const found = await rows(sql`
    SELECT sp.platform_product_id, p.sku, sp.price::int AS price, sp.currency, sp.changed_at, c.platform_event_id AS event
      FROM store_products sp JOIN products p ON p.id = sp.product_id JOIN commerce_events c ON c.id = sp.event_id
     WHERE sp.store_id = ${store.storeId} ORDER BY sp.platform_product_id`);
  return found.map((r): Json => ({ ...r, changed_at: iso(r.changed_at) }));
}

async function productHistory(store: Shop) {
  const found = await rows(sql`
    SELECT c.platform_event_id AS event, h.type::text, p.sku AS product, h.sku, h.name, h.price::int AS price,
           h.currency, h.occurred_at
      FROM store_product_history h JOIN products p ON p.id = h.product_id JOIN commerce_events c ON c.id = h.event_id
     WHERE h.store_id = ${store.storeId} ORDER BY h.occurred_at, h.id`);
  return found.map((r): Json => ({ ...r, occurred_at: iso(r.occurred_at) }));
}

describe("product.created, product.updated", () => {
  const created = productEvent("product.created", "p-1", "2026-12-01T00:00:00Z", {
    sku: "SERUM-30",
    name: "Hydra serum 30 ml",
    price: 32_000,
    currency: "KRW",
  });

  it("creates the brand's product by SKU, maps the store's product to it with its price, once", async () => {
    const store = await shop();
    expect(await consume(store, [created, created])).toMatchObject({ stored: 1, duplicates: 1, applied: 1 });
    expect(await consume(store, [created])).toMatchObject({ stored: 0, duplicates: 1, applied: 0 });
    expect(await catalog(store)).toEqual([
      { sku: "SERUM-30", name: "Hydra serum 30 ml", named_by_event: true },
    ]);
    expect(await mappings(store)).toEqual([
      {
        platform_product_id: "prod_881",
        sku: "SERUM-30",
        price: 32_000,
        currency: "KRW",
        changed_at: "2026-12-01T00:00:00.000Z",
        event: "p-1",
      },
    ]);
    expect(await productHistory(store)).toEqual([
      {
        event: "p-1",
        type: "product.created",
        product: "SERUM-30",
        sku: "SERUM-30",
        name: "Hydra serum 30 ml",
        price: 32_000,
        currency: "KRW",
        occurred_at: "2026-12-01T00:00:00.000Z",
      },
    ]);
    expect(await statuses(store)).toEqual([{ id: "p-1", status: "applied", error: null }]);
  });

  it("a later update renames and reprices; an older one delivered late is history only", async () => {
    const store = await shop();
    await consume(store, [created]);
    // A newer update without a SKU (the mapping names the product) and without a currency (the market's).
    await consume(store, [
      productEvent("product.updated", "p-3", "2026-12-03T00:00:00Z", {
        name: "Hydra serum 30 ml (new)",
        price: 29_000,
      }),
    ]);
    // Sent between the two, delivered after both: it changes neither the name nor the price.
    await consume(store, [
      productEvent("product.updated", "p-2", "2026-12-02T00:00:00Z", {
        sku: "SERUM-30",
        name: "Hydra serum (old)",
        price: 30_000,
        currency: "KRW",
      }),
    ]);
    expect(await catalog(store)).toEqual([
      { sku: "SERUM-30", name: "Hydra serum 30 ml (new)", named_by_event: true },
    ]);
    expect(await mappings(store)).toEqual([
      {
        platform_product_id: "prod_881",
        sku: "SERUM-30",
        price: 29_000,
        currency: "KRW",
        changed_at: "2026-12-03T00:00:00.000Z",
        event: "p-3",
      },
    ]);
    expect((await productHistory(store)).map((h) => [h.event, h.name, h.price, h.occurred_at])).toEqual([
      ["p-1", "Hydra serum 30 ml", 32_000, "2026-12-01T00:00:00.000Z"],
      ["p-2", "Hydra serum (old)", 30_000, "2026-12-02T00:00:00.000Z"],
      ["p-3", "Hydra serum 30 ml (new)", 29_000, "2026-12-03T00:00:00.000Z"],
    ]);
    expect((await statuses(store)).map((s) => s.status)).toEqual(["applied", "applied", "applied"]);
  });

  it("in one batch, the newest event by time wins each field it names, whatever the order of arrival", async () => {
    const store = await shop();
    await consume(store, [
      productEvent("product.updated", "p-3", "2026-12-03T00:00:00Z", { price: 27_000 }),
      created,
      productEvent("product.updated", "p-2", "2026-12-02T00:00:00Z", {
        name: "Hydra serum 30 ml v2",
        price: 28_000,
      }),
    ]);
    expect(await catalog(store)).toEqual([
      { sku: "SERUM-30", name: "Hydra serum 30 ml v2", named_by_event: true },
    ]);
    expect(await mappings(store)).toMatchObject([
      {
        sku: "SERUM-30",
        price: 27_000,
        currency: "KRW",
        changed_at: "2026-12-03T00:00:00.000Z",
        event: "p-3",
      },
    ]);
    expect((await productHistory(store)).map((h) => h.event)).toEqual(["p-1", "p-2", "p-3"]);
  });

  it("without a SKU and never mapped it waits (pending); the product's first event naming one releases it", async () => {
    const store = await shop();
    const early = productEvent("product.updated", "p-9", "2026-12-05T00:00:00Z", {
      name: "Renamed",
      price: 25_000,
    });
    expect(await consume(store, [early])).toMatchObject({ stored: 1, pending: 1, applied: 0 });
    // Another one without a SKU: both wait.
    const between = productEvent("product.updated", "p-8", "2026-12-04T00:00:00Z", { price: 26_000 });
    expect(await consume(store, [between])).toMatchObject({ stored: 1, pending: 1, released: 0 });
    expect(await statuses(store)).toEqual([
      { id: "p-9", status: "pending", error: waitingForSku },
      { id: "p-8", status: "pending", error: waitingForSku },
    ]);
    expect(await catalog(store)).toEqual([]);
    // The older product.created arrives: it creates the product, and the waiting updates (newer) apply on top.
    expect(await consume(store, [created])).toMatchObject({ stored: 1, applied: 1, pending: 0, released: 2 });
    expect(await statuses(store)).toEqual([
      { id: "p-9", status: "applied", error: null },
      { id: "p-8", status: "applied", error: null },
      { id: "p-1", status: "applied", error: null },
    ]);
    expect(await catalog(store)).toEqual([{ sku: "SERUM-30", name: "Renamed", named_by_event: true }]);
    expect(await mappings(store)).toMatchObject([
      { sku: "SERUM-30", price: 25_000, changed_at: "2026-12-05T00:00:00.000Z", event: "p-9" },
    ]);
    expect((await productHistory(store)).map((h) => [h.event, h.product, h.sku, h.price])).toEqual([
      ["p-1", "SERUM-30", "SERUM-30", 32_000],
      ["p-8", "SERUM-30", null, 26_000],
      ["p-9", "SERUM-30", null, 25_000],
    ]);
  });

  it("a product an event created is the one a later order of that SKU uses; the order does not rename it", async () => {
    const store = await shop();
    await consume(store, [created]);
    const [product] = await rows<{ id: string }>(
      sql`SELECT id FROM products WHERE brand_id = ${store.brand.internal} AND sku = 'SERUM-30'`,
    );
    const order = fixture(orderText);
    const data = order.data as Json;
    const body = {
      ...order,
      data: {
        ...data,
        order: { ...(data.order as Json), customer: { email: `buyer.${rand()}@example.com` } },
      },
    };
    expect(await consume(store, [body])).toMatchObject({ applied: 1, failed: 0 });
    const items = await rows(sql`
      SELECT p.sku, i.product_id::text = ${String(product?.id)} AS event_product, i.name, p.name AS product_name
        FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id
       WHERE o.brand_id = ${store.brand.internal} ORDER BY i.line_no`);
    expect(items).toEqual([
      { sku: "SERUM-30", event_product: true, name: "Hydra serum 30 ml", product_name: "Hydra serum 30 ml" },
      { sku: "MASK-5", event_product: false, name: "Sheet mask 5-pack", product_name: "Sheet mask 5-pack" },
    ]);
    expect(await catalog(store)).toEqual([
      { sku: "MASK-5", name: "Sheet mask 5-pack", named_by_event: false },
      { sku: "SERUM-30", name: "Hydra serum 30 ml", named_by_event: true },
    ]);
    // A product the order created first is renamed by a later event of it.
    await consume(store, [
      productEvent("product.created", "p-mask", "2026-12-06T00:00:00Z", {
        product_id: "prod_900",
        sku: "MASK-5",
        name: "Sheet mask, 5 pack",
      }),
    ]);
    expect(await catalog(store)).toEqual([
      { sku: "MASK-5", name: "Sheet mask, 5 pack", named_by_event: true },
      { sku: "SERUM-30", name: "Hydra serum 30 ml", named_by_event: true },
    ]);
    expect(await mappings(store)).toMatchObject([
      { platform_product_id: "prod_881", sku: "SERUM-30", price: 32_000 },
      { platform_product_id: "prod_900", sku: "MASK-5", price: null, currency: null },
    ]);
  });
});

// ── reviews ──

const reviewEvent = (id: string, at: string, data: Json = {}): Json => ({
  id,
  type: "review.posted",
  occurred_at: at,
  data: { review_id: "rev_31", product_id: "prod_881", member_id: "jisoo_p", rating: 4, ...data },
});

async function storeReviews(store: Shop) {
  const found = await rows(sql`
    SELECT r.platform_review_id, r.platform_product_id, p.sku AS product, r.member_external_id, r.rating,
           r.posted_at, c.platform_event_id AS event, r.brand_id::text = ${String(store.brand.internal)} AS of_brand
      FROM reviews r LEFT JOIN products p ON p.id = r.product_id JOIN commerce_events c ON c.id = r.event_id
     WHERE r.store_id = ${store.storeId} ORDER BY r.platform_review_id`);
  return found.map((r): Json => ({ ...r, posted_at: iso(r.posted_at) }));
}

describe("review.posted", () => {
  it("stores the review once; its product is linked when the product's event comes, before or after", async () => {
    const store = await shop();
    const review = reviewEvent("r-1", "2026-12-04T00:00:00Z");
    expect(await consume(store, [review, review])).toMatchObject({ stored: 1, duplicates: 1, applied: 1 });
    expect(await consume(store, [review])).toMatchObject({ stored: 0, applied: 0 });
    const stored = {
      platform_review_id: "rev_31",
      platform_product_id: "prod_881",
      product: null,
      member_external_id: "jisoo_p",
      rating: 4,
      posted_at: "2026-12-04T00:00:00.000Z",
      event: "r-1",
      of_brand: true,
    };
    expect(await storeReviews(store)).toEqual([stored]);
    await consume(store, [
      productEvent("product.created", "p-1", "2026-12-01T00:00:00Z", {
        sku: "SERUM-30",
        name: "Hydra serum",
      }),
    ]);
    expect(await storeReviews(store)).toEqual([{ ...stored, product: "SERUM-30" }]);
    // A review of a mapped product is linked at once; one of no product has none.
    await consume(store, [
      reviewEvent("r-2", "2026-12-05T00:00:00Z", { review_id: "rev_32", rating: 5 }),
      reviewEvent("r-3", "2026-12-05T00:00:00Z", { review_id: "rev_33", product_id: undefined, rating: 1 }),
    ]);
    expect((await storeReviews(store)).map((r) => [r.platform_review_id, r.product, r.rating])).toEqual([
      ["rev_31", "SERUM-30", 4],
      ["rev_32", "SERUM-30", 5],
      ["rev_33", null, 1],
    ]);
  });

  it("a newer posting of the same review moves it; an older one delivered late does not", async () => {
    const store = await shop();
    await consume(store, [reviewEvent("r-1", "2026-12-04T00:00:00Z")]);
    await consume(store, [reviewEvent("r-3", "2026-12-06T00:00:00Z", { rating: 2 })]);
    await consume(store, [reviewEvent("r-2", "2026-12-05T00:00:00Z", { rating: 5 })]);
    expect(await storeReviews(store)).toMatchObject([
      { platform_review_id: "rev_31", rating: 2, posted_at: "2026-12-06T00:00:00.000Z", event: "r-3" },
    ]);
    expect((await statuses(store)).map((s) => s.status)).toEqual(["applied", "applied", "applied"]);
  });
});

// ── abandoned carts ──

const cartEvent = (email: string, overrides: Json = {}, data: Json = {}): Json => {
  const cart = fixture(cartText);
  return { ...cart, ...overrides, data: { ...(cart.data as Json), email, ...data } };
};

async function carts(store: Shop) {
  const found = await rows(sql`
    SELECT ac.platform_cart_id, e.sha256 AS contact_email_sha256, ac.member_external_id, ac.currency,
           ac.total::int AS total, ac.items, ac.abandoned_at, o.external_id AS recovered_order, ac.recovered_at,
           c.platform_event_id AS event
      FROM abandoned_carts ac
      LEFT JOIN contacts ct ON ct.id = ac.contact_id LEFT JOIN emails e ON e.id = ct.email_id
      LEFT JOIN orders o ON o.id = ac.recovered_order_id
      LEFT JOIN commerce_events c ON c.id = ac.event_id
     WHERE ac.store_id = ${store.storeId} ORDER BY ac.platform_cart_id`);
  return found.map(
    (r): Json => ({
      ...r,
      abandoned_at: iso(r.abandoned_at),
      recovered_at: r.recovered_at === null ? null : iso(r.recovered_at),
    }),
  );
}

/** The order fixture placed by `email` at `placedAt`, as platform order `orderId`. */
function orderBy(email: string, orderId: string, placedAt: string): Json {
  const order = fixture(orderText);
  const data = order.data as Json;
  return {
    ...order,
    id: `evt-${orderId}`,
    occurred_at: placedAt,
    data: { order_id: orderId, order: { ...(data.order as Json), placed_at: placedAt, customer: { email } } },
  };
}

describe("cart.abandoned", () => {
  it("stores the cart once, its contact found or created by the email's hash, no plaintext anywhere but emails", async () => {
    const store = await shop();
    const email = `Jisoo.${rand()}@Example.com`;
    const address = email.toLowerCase();
    const cart = cartEvent(email);
    expect(await consume(store, [cart, cart])).toMatchObject({ stored: 1, duplicates: 1, applied: 1 });
    expect(await consume(store, [cart])).toMatchObject({ stored: 0, applied: 0 });
    const stored = {
      platform_cart_id: "cart_5512",
      contact_email_sha256: sha256Hex(address),
      member_external_id: "jisoo_p",
      currency: "KRW",
      total: 32_000,
      items: [{ sku: "SERUM-30", quantity: 1, unit_price: 32_000 }],
      abandoned_at: "2026-12-04T03:30:00.000Z",
      recovered_order: null,
      recovered_at: null,
      event: "evt_01JEQ3P4CART0000001",
    };
    expect(await carts(store)).toEqual([stored]);
    const identity = await rows(sql`
      SELECT e.address, count(c.id)::int AS contacts FROM emails e JOIN contacts c ON c.email_id = e.id
       WHERE e.sha256 = ${sha256Hex(address)} GROUP BY e.address`);
    expect(identity).toEqual([{ address, contacts: 1 }]);
    const [event] = await rows<{ payload: Json }>(
      sql`SELECT payload FROM commerce_events WHERE store_id = ${store.storeId}`,
    );
    expect(event?.payload).toEqual({
      cart_id: "cart_5512",
      member_id: "jisoo_p",
      email_sha256: sha256Hex(address),
      items: [{ sku: "SERUM-30", quantity: 1, unit_price: 32_000 }],
      total: 32_000,
      currency: "KRW",
    });
    const raw = await rows(
      sql`SELECT to_jsonb(ac)::text AS row FROM abandoned_carts ac WHERE store_id = ${store.storeId}`,
    );
    expect(JSON.stringify(raw).toLowerCase()).not.toContain(address);
  });

  it("a newer abandonment of the cart replaces its items and total; an older one delivered late does not", async () => {
    const store = await shop();
    const email = `minji.${rand()}@example.com`;
    await consume(store, [cartEvent(email)]);
    const newer = cartEvent(
      email,
      { id: "cart-2", occurred_at: "2026-12-04T05:00:00Z" },
      {
        items: [
          { sku: "SERUM-30", quantity: 2, unit_price: 32_000 },
          { sku: "MASK-5", quantity: 1, unit_price: 12_000 },
        ],
        total: undefined,
        currency: undefined,
      },
    );
    const older = cartEvent(
      email,
      { id: "cart-0", occurred_at: "2026-12-04T01:00:00Z" },
      { items: [{ sku: "MASK-5", quantity: 3 }], total: 36_000 },
    );
    await consume(store, [newer]);
    await consume(store, [older]);
    // No total: Σ quantity × unit price; no currency: the store market's.
    expect(await carts(store)).toMatchObject([
      {
        currency: "KRW",
        total: 76_000,
        items: [
          { sku: "SERUM-30", quantity: 2, unit_price: 32_000 },
          { sku: "MASK-5", quantity: 1, unit_price: 12_000 },
        ],
        abandoned_at: "2026-12-04T05:00:00.000Z",
        event: "cart-2",
      },
    ]);
    expect((await statuses(store)).map((s) => s.status)).toEqual(["applied", "applied", "applied"]);
    // Without a price for every item, the total is unknown.
    await consume(store, [
      cartEvent(
        email,
        { id: "cart-3", occurred_at: "2026-12-04T06:00:00Z" },
        { items: [{ sku: "MASK-5", quantity: 3 }], total: undefined },
      ),
    ]);
    expect(await carts(store)).toMatchObject([{ total: null, items: [{ sku: "MASK-5", quantity: 3 }] }]);
  });

  it("is recovered by its contact's first order in the brand placed after it was abandoned", async () => {
    const store = await shop();
    const email = `jisoo.${rand()}@example.com`;
    await consume(store, [cartEvent(email)]);
    // An order placed before the cart was abandoned does not recover it; nor one of someone else.
    await consume(store, [
      orderBy(email, "SO-BEFORE", "2026-12-04T01:00:00Z"),
      orderBy(`other.${rand()}@example.com`, "SO-OTHER", "2026-12-04T04:00:00Z"),
    ]);
    expect(await recover(store)).toBe(0);
    await consume(store, [
      orderBy(email, "SO-LATER", "2026-12-06T10:00:00Z"),
      orderBy(email, "SO-AFTER", "2026-12-05T09:00:00Z"),
    ]);
    expect(await recover(store)).toBe(1);
    expect(await carts(store)).toMatchObject([
      { recovered_order: "SO-AFTER", recovered_at: "2026-12-05T09:00:00.000Z" },
    ]);
    // Again: nothing more to mark.
    expect(await recover(store)).toBe(0);
    expect(await carts(store)).toMatchObject([{ recovered_order: "SO-AFTER" }]);
  });

  it("a cart whose recovering order was delivered first is recovered when it is applied", async () => {
    const store = await shop();
    const email = `jisoo.${rand()}@example.com`;
    await consume(store, [orderBy(email, "SO-FIRST", "2026-12-04T08:00:00Z")]);
    await consume(store, [cartEvent(email.toUpperCase())]);
    expect(await carts(store)).toMatchObject([
      {
        contact_email_sha256: sha256Hex(email),
        recovered_order: "SO-FIRST",
        recovered_at: "2026-12-04T08:00:00.000Z",
      },
    ]);
  });

  it("re-applied from what was stored (the email's hash), it finds the contact of a known email", async () => {
    const store = await shop();
    const email = `jisoo.${rand()}@example.com`;
    await consume(store, [cartEvent(email)]);
    // As if it had been stored before carts had an applier: unapplied, and no cart row.
    await withDb(async (db) => {
      await db.execute(sql`DELETE FROM abandoned_carts WHERE store_id = ${store.storeId}`);
      await db.execute(
        sql`UPDATE commerce_events SET status = 'unapplied' WHERE store_id = ${store.storeId}`,
      );
    });
    const rerun = await withDb((db) =>
      db.transaction((tx) => applyStoredEvents(tx, ids, { storeId: store.storeId, statuses: ["unapplied"] })),
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
    expect(await carts(store)).toMatchObject([
      { platform_cart_id: "cart_5512", contact_email_sha256: sha256Hex(email), total: 32_000 },
    ]);
  });

  it("a cart whose email does not normalise fails, naming it; one without an email has no contact", async () => {
    const store = await shop();
    const report = await consume(store, [
      cartEvent("not-an-email", { id: "cart-bad" }),
      cartEvent("x", { id: "cart-anon" }, { cart_id: "cart_anon", email: undefined }),
    ]);
    expect(report).toMatchObject({ stored: 2, applied: 1, failed: 1 });
    expect(await statuses(store)).toEqual([
      { id: "cart-bad", status: "failed", error: "email: not a usable address (malformed)." },
      { id: "cart-anon", status: "applied", error: null },
    ]);
    expect(await carts(store)).toMatchObject([
      { platform_cart_id: "cart_anon", contact_email_sha256: null, member_external_id: "jisoo_p" },
    ]);
  });
});

/** `recoverAbandonedCarts` for the store's brand, as the funnel calls it: how many carts it marked. */
const recover = (store: Shop) => withDb((db) => recoverAbandonedCarts(db, { brandId: store.brand.internal }));

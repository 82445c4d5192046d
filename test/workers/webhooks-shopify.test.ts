import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { refunds } from "../../db/schema/billing.ts";
import { brandClientAccounts, orders, stores } from "../../db/schema/sales.ts";
import { subscriptions } from "../../db/schema/subscriptions.ts";
import eurText from "../fixtures/shopify/orders-create-subscription-eur.json?raw";
import usdText from "../fixtures/shopify/orders-create-usd.json?raw";
import refundText from "../fixtures/shopify/refunds-create-partial.json?raw";
import { type ApiResponse, call, expectProblem, ids, ok, rand, withDb } from "../support/api.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";
import { shopifySignature } from "../support/shopify.ts";

const secret = `shpss_${rand()}${rand()}`;

/** The webhook signature under `key` (this file's secret unless told). */
const sign = (body: string, key = secret): Promise<string> => shopifySignature(body, key);

interface Delivery {
  shop: string;
  body: string;
  signature?: string | null;
  secretBinding?: string;
}

/** What the webhooks answer (orders: `order` and `created`; refunds: `refunds`). */
interface Answer {
  order: string;
  created: boolean;
  refunds: { id: string; created: boolean }[];
}

async function deliver(
  topic: "orders-create" | "refunds-create",
  delivery: Delivery,
): Promise<ApiResponse<Answer>> {
  const signature = delivery.signature === undefined ? await sign(delivery.body) : delivery.signature;
  const headers: Record<string, string> = {
    "x-shopify-topic": topic.replace("-", "/"),
    "x-shopify-shop-domain": delivery.shop,
    "x-shopify-api-version": "2026-04",
    "x-shopify-webhook-id": crypto.randomUUID(),
  };
  if (signature !== null) headers["x-shopify-hmac-sha256"] = signature;
  return call<Answer>("POST", `/webhooks/shopify/${topic}`, {
    key: null,
    rawBody: delivery.body,
    headers,
    env: { SHOPIFY_WEBHOOK_SECRET: delivery.secretBinding ?? secret },
  });
}

/** A random 64-bit-sized Shopify id: beyond 2^53, so it only survives as exact digits. */
const bigId = (): string => `82${String(Math.floor(Math.random() * 1e15)).padStart(15, "0")}7`;

/** The USD fixture as a new order: its own id and customer, the exact text Shopify would send. */
function usdOrder(): { body: string; orderId: string; email: string } {
  const orderId = bigId();
  const email = `ava.${rand()}@example.com`;
  const body = usdText.replaceAll("820982911946154508", orderId).replaceAll("ava.chen@example.com", email);
  return { body, orderId, email };
}

async function ordersWith(externalId: string): Promise<(typeof orders.$inferSelect)[]> {
  return withDb((db) => db.select().from(orders).where(eq(orders.externalId, externalId)));
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

describe("POST /webhooks/shopify/orders-create", () => {
  it("stores a signed order with the exact totals of the payload, for the shop's brand and market", async () => {
    const { body, orderId } = usdOrder();
    const response = await deliver("orders-create", { shop, body });
    expect(response.status, response.text).toBe(200);
    expect(response.body.created).toBe(true);
    const order = await ok("GET", `/api/v1/orders/${response.body.order}`);
    expect(order).toMatchObject({
      brand: tenant.brand.id,
      market: tenant.market.code,
      store: ids.encode("store", storeId),
      platform: "shopify",
      external_id: orderId,
      currency: "USD",
      subtotal: 9050,
      discount_total: 905,
      tax_total: 723,
      shipping_total: 866,
      total: 9734,
      credited_total: 0,
      placed_at: "2026-03-14T14:22:31.000Z",
      campaign: "spring_glow",
      marketing: {
        utm_source: "instagram",
        utm_medium: "paid_social",
        utm_campaign: "spring_glow",
        fbclid: "IwAR2xyz",
        referrer: "https://l.instagram.com/",
      },
      coupons: [{ code: "WELCOME10", discount: 905 }],
    });
    expect(
      order.items.map((item: Record<string, unknown>) => [
        item.sku,
        item.offer_code,
        item.quantity,
        item.total,
      ]),
    ).toEqual([
      ["SERUM-C-30", "50398373085484", 2, 6663],
      ["TONER-150", "50451770802476", 1, 2205],
    ]);
    expect(order.invoice.amount).toBe(9734);
    expect(order.payments.map((payment: { amount: number }) => payment.amount)).toEqual([9734]);
    const [stored] = await ordersWith(orderId);
    if (!stored) throw new Error("order not stored");
    const [account] = await withDb((db) =>
      db.select().from(brandClientAccounts).where(eq(brandClientAccounts.id, stored.accountId)),
    );
    expect(account).toMatchObject({
      invoiced: 9734,
      paid: 9734,
      outstanding: 0,
      balance: 9734,
      currency: "USD",
    });
  });

  it("answers a re-delivered webhook with the first order and stores nothing more", async () => {
    const { body, orderId } = usdOrder();
    const first = await deliver("orders-create", { shop, body });
    const again = await deliver("orders-create", { shop, body });
    expect(first.body.created).toBe(true);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ order: first.body.order, created: false });
    expect(await ordersWith(orderId)).toHaveLength(1);
  });

  it("refuses a wrong, forged or missing signature with 401 and stores nothing", async () => {
    const { body, orderId } = usdOrder();
    const forged = await deliver("orders-create", {
      shop,
      body,
      signature: await sign(body, "not-the-secret"),
    });
    expectProblem(forged, 401);
    const tampered = await deliver("orders-create", {
      shop,
      body: body.replace('"total_price": "97.34"', '"total_price": "9.73"'),
      signature: await sign(body),
    });
    expectProblem(tampered, 401);
    expectProblem(await deliver("orders-create", { shop, body, signature: null }), 401);
    expectProblem(await deliver("orders-create", { shop, body, signature: "" }), 401);
    expect(await ordersWith(orderId)).toEqual([]);
  });

  it("refuses a shop no store is registered for (404) and a missing shop header (422), storing nothing", async () => {
    const { body, orderId } = usdOrder();
    const unknown = await deliver("orders-create", { shop: `nobody-${rand()}.myshopify.com`, body });
    expectProblem(unknown, 404);
    const noShop = await deliver("orders-create", { shop: "", body });
    expectProblem(noShop, 422, [{ field: "x-shopify-shop-domain", category: "missing" }]);
    expect(await ordersWith(orderId)).toEqual([]);
  });

  it("answers 503 when the secret is not configured, and 422 for a payload the adapter cannot read", async () => {
    const { body, orderId } = usdOrder();
    const unconfigured = await deliver("orders-create", { shop, body, secretBinding: "" });
    expectProblem(unconfigured, 503);
    const bad = body
      .replace('"price": "34.00"', '"price": "34,00"')
      .replace('"amount": "34.00"', '"amount": "34,00"');
    expectProblem(await deliver("orders-create", { shop, body: bad }), 422, [
      { field: "line_items.0.price", category: "malformed" },
    ]);
    expectProblem(await deliver("orders-create", { shop, body: "{not json" }), 400);
    expect(await ordersWith(orderId)).toEqual([]);
  });

  it("creates the subscription of a selling-plan line and renews it on the contract's next order", async () => {
    const eur = await createSalesTenant("EUR");
    const eurShop = `lumen-de-${rand()}.myshopify.com`;
    await withDb((db) =>
      db.insert(stores).values({
        brandId: eur.brand.internal,
        marketId: eur.market.internal,
        platform: "shopify",
        externalRef: eurShop,
        name: "Lumen Skin DE",
      }),
    );
    const customerId = String(7_000_000_000_000 + Math.floor(Math.random() * 1e9));
    const first = eurText
      .replaceAll("7019283746501", customerId)
      .replaceAll("lena.fischer@example.de", `lena.${rand()}@example.de`)
      .replaceAll("6200407294252", bigId());
    const created = await deliver("orders-create", { shop: eurShop, body: first });
    expect(created.status, created.text).toBe(200);
    const renewal = first
      .replace(/"id": \d+,\n {2}"admin_graphql_api_id": "gid:\/\/shopify\/Order\/\d+"/, `"id": ${bigId()}`)
      .replace('"source_name": "web"', '"source_name": "subscription_contract"');
    const renewed = await deliver("orders-create", { shop: eurShop, body: renewal });
    expect(renewed.status, renewed.text).toBe(200);
    expect(renewed.body.created).toBe(true);
    const firstOrder = await ok("GET", `/api/v1/orders/${created.body.order}`);
    const renewedOrder = await ok("GET", `/api/v1/orders/${renewed.body.order}`);
    expect(firstOrder.total).toBe(5041);
    expect(firstOrder.items[0].subscription).not.toBeNull();
    expect(renewedOrder.items[0].subscription).toBe(firstOrder.items[0].subscription);
    const subscriptionId = ids.decode("subscription", firstOrder.items[0].subscription);
    if (subscriptionId === null) throw new Error("not a subscription id");
    const [subscription] = await withDb((db) =>
      db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)),
    );
    expect(subscription).toMatchObject({
      platform: "shopify",
      occurrences: 2,
      externalId: `${customerId}:691207455:50398373085499`,
    });
  });
});

describe("POST /webhooks/shopify/refunds-create", () => {
  it("credits the refunded line (subtotal + tax) to the order's account, once", async () => {
    const { body, orderId } = usdOrder();
    expect((await deliver("orders-create", { shop, body })).status).toBe(200);
    const refundId = String(900_000_000 + Math.floor(Math.random() * 1e8));
    const refund = refundText.replaceAll("820982911946154508", orderId).replaceAll("929361464", refundId);
    const response = await deliver("refunds-create", { shop, body: refund });
    expect(response.status, response.text).toBe(200);
    const [recorded] = response.body.refunds;
    expect(response.body.refunds).toHaveLength(1);
    expect(recorded?.created).toBe(true);
    const [stored] = await ordersWith(orderId);
    if (!stored) throw new Error("order not stored");
    expect(stored.creditedTotal).toBe(3332);
    const [account] = await withDb((db) =>
      db.select().from(brandClientAccounts).where(eq(brandClientAccounts.id, stored.accountId)),
    );
    expect(account).toMatchObject({
      invoiced: 9734,
      credited: 3332,
      paid: 9734,
      refunded: 3332,
      balance: 6402,
    });

    const again = await deliver("refunds-create", { shop, body: refund });
    expect(again.status, again.text).toBe(200);
    expect(again.body.refunds).toEqual([{ id: recorded?.id, created: false }]);
    const [count] = await withDb((db) =>
      db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM refunds WHERE account_id = ${stored.accountId}`,
      ),
    ).then((result) => result.rows);
    expect(count?.n).toBe(1);
  });

  it("records a shipping_refund adjustment as a shipping refund of the order, beside the line's refund", async () => {
    const { body, orderId } = usdOrder();
    expect((await deliver("orders-create", { shop, body })).status).toBe(200);
    const refundId = String(900_000_000 + Math.floor(Math.random() * 1e8));
    const adjustment = {
      id: 7360425002,
      order_id: 0,
      refund_id: 0,
      amount: "-5.00",
      amount_set: { shop_money: { amount: "-5.00", currency_code: "USD" } },
      tax_amount: "0.00",
      tax_amount_set: { shop_money: { amount: "0.00", currency_code: "USD" } },
      kind: "shipping_refund",
      reason: "Shipping refund",
    };
    const refund = refundText
      .replaceAll("820982911946154508", orderId)
      .replaceAll("929361464", refundId)
      .replace('"order_adjustments": []', `"order_adjustments": [${JSON.stringify(adjustment)}]`);
    const response = await deliver("refunds-create", { shop, body: refund });
    expect(response.status, response.text).toBe(200);
    expect(response.body.refunds.map((r: { created: boolean }) => r.created)).toEqual([true, true]);
    const [stored] = await ordersWith(orderId);
    if (!stored) throw new Error("order not stored");
    // The line's 33.32 and 5.00 of shipping.
    expect(stored.creditedTotal).toBe(3832);
    const rows = await withDb((db) =>
      db
        .select({
          productId: refunds.productId,
          orderId: refunds.orderId,
          externalId: refunds.externalId,
          amount: refunds.amount,
        })
        .from(refunds)
        .where(eq(refunds.accountId, stored.accountId))
        .orderBy(refunds.id),
    );
    expect(rows).toEqual([
      { productId: expect.any(Number), orderId: null, externalId: `${refundId}:1058498311`, amount: 3332 },
      { productId: null, orderId: stored.id, externalId: `${refundId}:shipping:7360425002`, amount: 500 },
    ]);
    const again = await deliver("refunds-create", { shop, body: refund });
    expect(again.body.refunds.map((r: { created: boolean }) => r.created)).toEqual([false, false]);
  });

  it("refuses an unsigned refund (401) and a refund of an order never ingested (404), writing nothing", async () => {
    const orderId = bigId();
    const refund = refundText.replaceAll("820982911946154508", orderId);
    expectProblem(await deliver("refunds-create", { shop, body: refund, signature: null }), 401);
    expectProblem(await deliver("refunds-create", { shop, body: refund }), 404);
  });
});

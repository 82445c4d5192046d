import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { accountRfm, type RfmSegment } from "../../db/schema/rfm.ts";
import { classifyAll } from "./acquisition.ts";
import { call, ok, rand, withDb } from "./api.ts";
import { postRefund } from "./ledger.ts";
import { seededRandom } from "./random.ts";
import { createSalesTenant, insertMarket, orderBody, postOrder, type SalesTenant } from "./sales.ts";

/*
 * A realistic sales history for the analytics tests, made through the API (orders with discounts, coupons
 * and campaigns in two currencies, payments, refunds, cancellations, influencers and the classification),
 * plus RFM rows written directly (their job is not part of this area). Then the raw rows it left, read
 * back as they are, for the plain reference computations of test/support/analytics-reference.ts.
 */

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;

export interface AnalyticsHistory {
  krw: SalesTenant;
  usd: SalesTenant;
  /** Another brand, without orders, and its key. */
  other: SalesTenant;
}

const catalog = [
  { sku: "SERUM-30", name: "Vitamin C Serum 30 ml", KRW: 42_000, USD: 3_200 },
  { sku: "MASK-5", name: "Sheet Mask 5-pack", KRW: 9_900, USD: 800 },
  { sku: "CLEANSER-150", name: "Gentle Cleanser 150 ml", KRW: 18_000, USD: 1_450 },
  { sku: "TONER-200", name: "Toner 200 ml", KRW: 25_500, USD: 1_999 },
] as const;
const coupons = ["JANE10", "MINA15", "WELCOME5"] as const;
const campaigns = ["spring-launch", "black-friday"] as const;
const segments: RfmSegment[] = ["champions", "at_risk", "new_customers", "hibernating"];

const day = 86_400_000;
const start = Date.parse("2025-01-01T00:00:00.000Z");
const span = Date.parse("2026-06-20T00:00:00.000Z") - start;

/**
 * Seeds the history: `customers` people, most in the KRW market and some in USD (a few in both, so one
 * email has two accounts), 1–4 orders each from 2025 on (some after the tests' `as_of`), about one order
 * in eight cancelled and one in six partly refunded; the classification runs before the last three
 * customers arrive (so they stay unclassified), and about two accounts in three get an RFM segment.
 */
export async function seedAnalyticsHistory(seed: number, customers = 28): Promise<AnalyticsHistory> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const krw = await createSalesTenant("KRW");
  const usd: SalesTenant = { ...krw, market: await insertMarket("USD", "America/New_York") };
  const other = await createSalesTenant("KRW");

  for (const [name, handle, code] of [
    ["Jane", "jane.glow", "JANE10"],
    ["Mina", null, "MINA15"],
  ] as const)
    await ok("POST", "/api/v1/influencers", {
      key: krw.key,
      body: { brand: krw.brand.id, name, ...(handle ? { handle } : {}), coupon_codes: [code] },
    });
  await ok("POST", "/api/v1/acquisition-rules", {
    key: krw.key,
    body: { brand: krw.brand.id, type: "influencer_coupon", priority: 10 },
  });

  const placed: { order: Json; tenant: SalesTenant; lines: { sku: string; total: number }[] }[] = [];
  const placeFor = async (tenant: SalesTenant, email: string, at: number) => {
    const currency = tenant.market.currency as "KRW" | "USD";
    const products = [...catalog].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 3));
    const items = products.map((p) => {
      const quantity = 1 + Math.floor(random() * 2);
      const discount = random() < 0.4 ? Math.floor((p[currency] * quantity) / 10) : 0;
      return { sku: p.sku, name: p.name, quantity, unit_price: p[currency], discount };
    });
    const discounts = items.reduce((sum, i) => sum + i.discount, 0);
    const shipping = random() < 0.5 ? 0 : currency === "KRW" ? 3_000 : 499;
    const total = items.reduce((sum, i) => sum + i.quantity * i.unit_price - i.discount, 0) + shipping;
    const coupon = random() < 0.45 ? pick(coupons) : undefined;
    const campaign = random() < 0.5 ? pick(campaigns) : undefined;
    const body = orderBody(tenant, {
      placed_at: new Date(at).toISOString(),
      customer: { email },
      billing_address: undefined,
      shipping_address: undefined,
      items,
      shipping,
      // The store's attribution of the discounts to the coupon: all of them, or (WELCOME5) sometimes none.
      coupons: coupon
        ? [{ code: coupon.toLowerCase(), discount: coupon === "WELCOME5" && random() < 0.5 ? 0 : discounts }]
        : [],
      campaign,
      marketing: {},
      payment: { amount: total, method: "card", external_id: `pay-${rand()}` },
    });
    const response = await postOrder(tenant, body);
    expect(response.status, response.text).toBe(201);
    placed.push({
      order: response.body,
      tenant,
      lines: items.map((i) => ({ sku: i.sku, total: i.quantity * i.unit_price - i.discount })),
    });
  };

  const people: { email: string; tenants: SalesTenant[] }[] = [];
  for (let i = 0; i < customers; i += 1) {
    const draw = random();
    const tenants = draw < 0.6 ? [krw] : draw < 0.9 ? [usd] : [krw, usd];
    people.push({ email: `c${i}.${rand()}@example.com`, tenants });
  }
  const late = people.slice(-3);
  for (const person of people.slice(0, -3))
    for (const tenant of person.tenants) {
      let at = start + Math.floor(random() * span);
      const orders = random() < 0.45 ? 1 : 1 + Math.ceil(random() * 3);
      for (let n = 0; n < orders; n += 1) {
        await placeFor(tenant, person.email, at);
        at += Math.floor((3 + random() * 160) * day) + Math.floor(random() * day);
      }
    }
  await classifyAll(krw.key, { brand: krw.brand.id }, 50);
  for (const person of late)
    for (const tenant of person.tenants) {
      await placeFor(tenant, person.email, start + Math.floor(random() * span));
      await placeFor(tenant, person.email, start + span + 5 * day);
    }

  // Cancellations first (a full credit), then partial refunds of products of other orders.
  for (const entry of placed) {
    const draw = random();
    if (draw < 0.12) {
      const response = await call("POST", `/api/v1/orders/${entry.order.id}/cancel`, {
        key: krw.key,
        body: {
          reason: "customer asked",
          cancelled_at: new Date(Date.parse(entry.order.placed_at) + day).toISOString(),
        },
      });
      expect(response.status, response.text).toBe(201);
    } else if (draw < 0.3) {
      const line = pick(entry.lines);
      const item = entry.order.items.find((i: Json) => i.sku === line.sku);
      const response = await postRefund(
        {
          account: entry.order.account.id,
          product: item.product,
          amount: Math.max(1, Math.floor(line.total / 2)),
          currency: entry.tenant.market.currency,
          refunded_at: new Date(Date.parse(entry.order.placed_at) + 10 * day).toISOString(),
        },
        krw.key,
      );
      expect(response.status, response.text).toBe(201);
    }
  }

  // RFM segments for about two accounts in three (the scores themselves do not matter here).
  await withDb(async (db) => {
    const accounts = await db.execute<{ id: number | string; currency: string }>(
      sql`SELECT id, currency FROM brand_client_accounts WHERE brand_id = ${krw.brand.internal} ORDER BY id`,
    );
    const rows = accounts.rows
      .filter(() => random() < 0.67)
      .map((a) => ({
        accountId: Number(a.id),
        brandId: krw.brand.internal,
        currency: a.currency,
        asOf: "2026-06-30",
        recencyDays: 10,
        frequency: 1,
        monetary: 0,
        r: 3,
        f: 3,
        m: 3,
        segment: pick(segments),
        computedAt: new Date(),
      }));
    if (rows.length > 0) await db.insert(accountRfm).values(rows);
  });
  return { krw, usd, other };
}

/** The raw rows of one brand the reference computations read. */
export interface RawRows {
  orders: {
    id: number;
    accountId: number;
    currency: string;
    placedAt: number;
    cancelled: boolean;
    total: number;
    creditedTotal: number;
    discountTotal: number;
    campaignId: number | null;
  }[];
  orderItems: { orderId: number; productId: number }[];
  orderCoupons: { orderId: number; couponId: number; discount: number }[];
  coupons: Map<number, string>;
  campaigns: Map<number, { code: string; name: string }>;
  products: Map<number, { sku: string; name: string }>;
  acquisition: Map<number, { source: string; influencerId: number | null }>;
  influencers: Map<number, { name: string; handle: string | null }>;
  segments: Map<number, string>;
}

export async function readRawRows(brandId: number): Promise<RawRows> {
  return withDb(async (db) => {
    const all = async (statement: ReturnType<typeof sql>) => (await db.execute<Json>(statement)).rows;
    const orders = await all(sql`SELECT * FROM orders WHERE brand_id = ${brandId}`);
    const orderItems = await all(
      sql`SELECT oi.order_id, oi.product_id FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.brand_id = ${brandId}`,
    );
    const orderCoupons = await all(
      sql`SELECT oc.* FROM order_coupons oc JOIN orders o ON o.id = oc.order_id WHERE o.brand_id = ${brandId}`,
    );
    const couponRows = await all(sql`SELECT id, code FROM coupons WHERE brand_id = ${brandId}`);
    const campaignRows = await all(sql`SELECT id, code, name FROM campaigns WHERE brand_id = ${brandId}`);
    const productRows = await all(sql`SELECT id, sku, name FROM products WHERE brand_id = ${brandId}`);
    const acquisitionRows = await all(sql`SELECT * FROM account_acquisition WHERE brand_id = ${brandId}`);
    const influencerRows = await all(sql`SELECT * FROM influencers WHERE brand_id = ${brandId}`);
    const rfmRows = await all(sql`SELECT account_id, segment FROM account_rfm WHERE brand_id = ${brandId}`);
    return {
      orders: orders.map((o: Json) => ({
        id: Number(o.id),
        accountId: Number(o.account_id),
        currency: o.currency,
        placedAt: new Date(o.placed_at).getTime(),
        cancelled: o.cancelled_at !== null,
        total: Number(o.total),
        creditedTotal: Number(o.credited_total),
        discountTotal: Number(o.discount_total),
        campaignId: o.campaign_id === null ? null : Number(o.campaign_id),
      })),
      orderItems: orderItems.map((i: Json) => ({
        orderId: Number(i.order_id),
        productId: Number(i.product_id),
      })),
      orderCoupons: orderCoupons.map((c: Json) => ({
        orderId: Number(c.order_id),
        couponId: Number(c.coupon_id),
        discount: Number(c.discount),
      })),
      coupons: new Map(couponRows.map((c: Json) => [Number(c.id), c.code])),
      campaigns: new Map(campaignRows.map((c: Json) => [Number(c.id), { code: c.code, name: c.name }])),
      products: new Map(productRows.map((p: Json) => [Number(p.id), { sku: p.sku, name: p.name }])),
      acquisition: new Map(
        acquisitionRows.map((a: Json) => [
          Number(a.account_id),
          { source: a.source, influencerId: a.influencer_id === null ? null : Number(a.influencer_id) },
        ]),
      ),
      influencers: new Map(
        influencerRows.map((i: Json) => [Number(i.id), { name: i.name, handle: i.handle }]),
      ),
      segments: new Map(rfmRows.map((r: Json) => [Number(r.account_id), r.segment])),
    };
  });
}

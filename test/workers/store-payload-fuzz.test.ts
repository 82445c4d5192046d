import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { parseStoreJson } from "../../api/adapters/json.ts";
import { brandClientAccounts, stores } from "../../db/schema/sales.ts";
import krwText from "../fixtures/cafe24/order-krw.json?raw";
import cafe24UsdText from "../fixtures/cafe24/order-usd-global.json?raw";
import jpyText from "../fixtures/shopify/orders-create-jpy.json?raw";
import eurText from "../fixtures/shopify/orders-create-subscription-eur.json?raw";
import usdText from "../fixtures/shopify/orders-create-usd.json?raw";
import refundText from "../fixtures/shopify/refunds-create-partial.json?raw";
import { call, rand, withDb } from "../support/api.ts";
import { noDrift, storedAndRecomputed } from "../support/ledger.ts";
import { seededRandom } from "../support/random.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";
import { shopifySignature } from "../support/shopify.ts";

/**
 * Real store payloads (the Shopify and Cafe24 fixtures), each changed in one to three places: a value
 * replaced by one of another type or out of any range, a field dropped, a list emptied or doubled. Signed
 * and delivered as the platforms would, they may be refused, never with a 5xx; what is accepted leaves
 * every touched account's totals equal to their recomputation from the ledger rows.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const secret = `shpss_${rand()}${rand()}`;

/** Every path to a value inside `value` (object keys and list indexes), the root excluded. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => [[...prefix, index], ...paths(item, [...prefix, index])]);
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([key, item]) => [
      [...prefix, key],
      ...paths(item, [...prefix, key]),
    ]);
  return [];
}

function mutate(original: Json, next: () => number): Json {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const copy = structuredClone(original);
  for (let n = 0; n < pick([1, 1, 2, 3]); n += 1) {
    const path = pick(paths(copy));
    if (!path) break;
    const key = path[path.length - 1] as string | number;
    let parent: Json = copy;
    for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[step] ?? null;
    if (parent === null || typeof parent !== "object") continue;
    const holder = parent as Record<string | number, Json>;
    const current = holder[key] ?? null;
    const replacement = pick<() => Json | undefined>([
      () => undefined,
      () => null,
      () => "",
      () => "abc",
      () => -1,
      () => 0,
      () => 1e20,
      () => 0.1,
      () => "1e400",
      () => "-0.00",
      () => "NaN",
      () => "12.345",
      () => "0000-01-01T00:00:00Z",
      () => "x".repeat(5_000),
      () => "\u0000",
      () => true,
      () => [],
      () => ({}),
      () => (Array.isArray(current) ? [...current, ...current] : current),
      () =>
        typeof current === "number"
          ? -current
          : typeof current === "string"
            ? `${current}${current}`
            : current,
    ])();
    if (replacement === undefined) {
      if (Array.isArray(holder)) holder.splice(Number(key), 1);
      else delete holder[key];
    } else holder[key] = replacement;
  }
  return copy;
}

let tenant: SalesTenant;
let cafe24Tenant: SalesTenant;
let shop: string;
let mall: string;

beforeAll(async () => {
  [tenant, cafe24Tenant] = await Promise.all([createSalesTenant("USD"), createSalesTenant("KRW")]);
  shop = `fuzz-${rand()}.myshopify.com`;
  mall = `fuzzmall${rand().slice(0, 8)}`;
  await withDb((db) =>
    db.insert(stores).values([
      {
        brandId: tenant.brand.internal,
        marketId: tenant.market.internal,
        platform: "shopify",
        externalRef: shop,
        name: "Fuzz Shopify",
      },
      {
        brandId: cafe24Tenant.brand.internal,
        marketId: cafe24Tenant.market.internal,
        platform: "cafe24",
        externalRef: mall,
        name: "Fuzz Cafe24",
      },
    ]),
  );
});

describe("store payloads, each changed in a few places", () => {
  it("are stored or refused with a 4xx, never a 5xx, and leave the ledger exact", async () => {
    const next = seededRandom(20261123);
    const failures: string[] = [];
    const accepted: Record<string, number> = {};
    const record = (what: string, payload: Json, response: { status: number; text: string }) => {
      if (response.status < 300) accepted[what] = (accepted[what] ?? 0) + 1;
      if (response.status >= 500)
        failures.push(
          `${what} ${JSON.stringify(payload).slice(0, 400)} → ${response.status} ${response.text.slice(0, 300)}`,
        );
    };
    const deliver = async (topic: "orders-create" | "refunds-create", payload: Json) => {
      const body = JSON.stringify(payload);
      return call("POST", `/webhooks/shopify/${topic}`, {
        key: null,
        rawBody: body,
        headers: {
          "x-shopify-topic": topic.replace("-", "/"),
          "x-shopify-shop-domain": shop,
          "x-shopify-hmac-sha256": await shopifySignature(body, secret),
          "x-shopify-webhook-id": crypto.randomUUID(),
        },
        env: { SHOPIFY_WEBHOOK_SECRET: secret },
      });
    };

    // Orders the refunds name: the USD fixture once as it is, with a fresh id.
    const orderId = `82${Math.floor(next() * 1e15)}7`;
    const base = parseStoreJson(usdText.replaceAll("820982911946154508", orderId)) as Json;
    const placed = await deliver("orders-create", base);
    expect(placed.status, placed.text).toBe(200);

    const shopifyOrders = [usdText, eurText, jpyText].map((text) => parseStoreJson(text) as Json);
    for (let round = 0; round < 60; round += 1) {
      const original = shopifyOrders[round % shopifyOrders.length] ?? null;
      const payload = mutate(original, next);
      // A fresh order id most of the time, so most deliveries are new orders rather than re-sends.
      if (payload && typeof payload === "object" && !Array.isArray(payload) && next() < 0.9)
        payload.id = `83${round}${Math.floor(next() * 1e12)}`;
      record("shopify orders/create", payload, await deliver("orders-create", payload));
    }
    const refund = parseStoreJson(refundText.replaceAll("820982911946154508", orderId)) as Json;
    for (let round = 0; round < 30; round += 1) {
      const payload = mutate(refund, next);
      if (payload && typeof payload === "object" && !Array.isArray(payload) && next() < 0.9)
        payload.id = `93${round}${Math.floor(next() * 1e12)}`;
      record("shopify refunds/create", payload, await deliver("refunds-create", payload));
    }
    const cafe24Orders = [krwText, cafe24UsdText].map((text) => parseStoreJson(text) as Json);
    for (let round = 0; round < 40; round += 1) {
      const order = mutate(cafe24Orders[round % cafe24Orders.length] ?? null, next);
      if (order && typeof order === "object" && !Array.isArray(order) && next() < 0.9)
        order.order_id = `20261123-${String(round).padStart(7, "0")}-${rand().slice(0, 4)}`;
      const body = { mall_id: mall, order };
      record("cafe24 order", body, await call("POST", "/api/v1/orders/cafe24", { body }));
    }
    expect(failures).toEqual([]);
    // Changed in a few places, many payloads still make a valid order or refund: the ledger is reached.
    expect(Object.keys(accepted).sort()).toEqual([
      "cafe24 order",
      "shopify orders/create",
      "shopify refunds/create",
    ]);

    for (const brandId of [tenant.brand.internal, cafe24Tenant.brand.internal]) {
      const accounts = await withDb((db) =>
        db
          .select({ id: brandClientAccounts.id })
          .from(brandClientAccounts)
          .where(eq(brandClientAccounts.brandId, brandId)),
      );
      expect(accounts.length).toBeGreaterThan(0);
      for (const { id } of accounts) {
        const { stored, recomputed, drift } = await storedAndRecomputed(id);
        expect({ id, stored, drift }).toEqual({ id, stored: recomputed, drift: noDrift });
      }
    }
  }, 120_000);
});

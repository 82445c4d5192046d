import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { stores } from "../../db/schema/sales.ts";
import {
  call,
  createTenant,
  expectProblem,
  ids,
  insertApiKey,
  numericIdFields,
  ok,
  rand,
  withDb,
} from "../support/api.ts";
import { placeOrder } from "../support/ledger.ts";
import { createMarket, createStore } from "../support/markets.ts";
import { createSalesTenant, customerEmail } from "../support/sales.ts";

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const storeRows = (externalRef: string) =>
  withDb(async (db) => {
    const [row] = await db.select({ n: count() }).from(stores).where(eq(stores.externalRef, externalRef));
    return row?.n;
  });

describe("stores: create, get, list", () => {
  it("registers a store for a brand and market", async () => {
    const tenant = await createTenant();
    const market = await createMarket();
    const shop = `acme-${rand()}.myshopify.com`;
    const response = await call("POST", "/api/v1/stores", {
      body: {
        brand: tenant.brand.id,
        market: market.id,
        platform: "shopify",
        external_ref: shop,
        name: "Acme KR",
      },
    });
    expect(response.status, response.text).toBe(201);
    const store = response.body;
    expect(store).toEqual({
      id: expect.any(String),
      brand: tenant.brand.id,
      market: market.id,
      platform: "shopify",
      external_ref: shop,
      name: "Acme KR",
      created_at: expect.stringMatching(isoPattern),
    });
    expect(response.headers.get("location")).toBe(`/api/v1/stores/${store.id}`);
    expect(await ok("GET", `/api/v1/stores/${store.id}`)).toEqual(store);
    const [row] = await withDb((db) =>
      db
        .select()
        .from(stores)
        .where(eq(stores.id, ids.decode("store", store.id) ?? 0)),
    );
    expect(row).toMatchObject({
      brandId: tenant.internal.brand,
      marketId: ids.decode("market", market.id),
      platform: "shopify",
      externalRef: shop,
      name: "Acme KR",
    });
  });

  it("lists a brand's stores oldest first, with a cursor and filters", async () => {
    const tenant = await createTenant();
    const kr = await createMarket();
    const us = await createMarket({ country: "US", currency: "USD", timeZone: "America/New_York" });
    const made = [
      await createStore(tenant.brand.id, kr.id),
      await createStore(tenant.brand.id, us.id),
      await createStore(tenant.brand.id, kr.id, { platform: "cafe24", externalRef: `mall${rand()}` }),
    ];
    const first = await ok("GET", `/api/v1/stores?brand=${tenant.brand.id}&limit=2`);
    expect(first).toEqual({ data: made.slice(0, 2), next_cursor: made[1]?.id });
    const second = await ok(
      "GET",
      `/api/v1/stores?brand=${tenant.brand.id}&limit=2&cursor=${first.next_cursor}`,
    );
    expect(second).toEqual({ data: made.slice(2), next_cursor: null });

    expect(await ok("GET", `/api/v1/stores?market=${kr.id}`)).toEqual({
      data: [made[0], made[2]],
      next_cursor: null,
    });
    expect(await ok("GET", `/api/v1/stores?brand=${tenant.brand.id}&platform=cafe24`)).toEqual({
      data: [made[2]],
      next_cursor: null,
    });
    expect(await ok("GET", `/api/v1/stores?market=${us.id}&platform=cafe24`)).toEqual({
      data: [],
      next_cursor: null,
    });
    expect(numericIdFields(first)).toEqual([]);
  });

  it("allows the same shop id on another platform", async () => {
    const tenant = await createTenant();
    const market = await createMarket();
    const ref = `shop${rand()}`;
    const shopify = await createStore(tenant.brand.id, market.id, { platform: "shopify", externalRef: ref });
    const cafe24 = await createStore(tenant.brand.id, market.id, { platform: "cafe24", externalRef: ref });
    expect(shopify.id).not.toBe(cafe24.id);
    expect(await storeRows(ref)).toBe(2);
  });
});

describe("stores: errors", () => {
  it("names every bad field and writes nothing", async () => {
    const response = await call("POST", "/api/v1/stores", {
      body: { brand: "", market: 7, platform: "Shop ify", external_ref: "   ", shop: "x" },
    });
    expectProblem(response, 422, [
      { field: "brand", category: "too_short" },
      { field: "market", category: "malformed" },
      { field: "platform", category: "malformed" },
      { field: "external_ref", category: "too_short" },
      { field: "name", category: "missing" },
      { field: "shop", category: "not_allowed" },
    ]);
  });

  it("refuses ids of the wrong kind and ids of nothing", async () => {
    const tenant = await createTenant();
    const market = await createMarket();
    const ref = `ref-${rand()}`;
    const body = { platform: "shopify", external_ref: ref, name: "S" };
    expectProblem(
      await call("POST", "/api/v1/stores", { body: { ...body, brand: market.id, market: tenant.brand.id } }),
      422,
      [
        { field: "brand", category: "malformed" },
        { field: "market", category: "malformed" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/stores", {
        body: { ...body, brand: ids.encode("brand", 2 ** 40), market: ids.encode("market", 2 ** 40) },
      }),
      422,
      [
        { field: "brand", category: "not_found" },
        { field: "market", category: "not_found" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/stores", {
        body: { ...body, brand: tenant.brand.id, market: ids.encode("market", 2 ** 40) },
      }),
      422,
      [{ field: "market", category: "not_found" }],
    );
    expect(await storeRows(ref)).toBe(0);
  });

  it("answers 409 naming `external_ref` when the shop is registered, even by another brand", async () => {
    const [a, b] = [await createTenant(), await createTenant()];
    const market = await createMarket();
    const store = await createStore(a.brand.id, market.id);
    const response = await call("POST", "/api/v1/stores", {
      body: {
        brand: b.brand.id,
        market: market.id,
        platform: "shopify",
        external_ref: store.external_ref,
        name: "Taken",
      },
    });
    const problem = expectProblem(response, 409, [{ field: "external_ref", category: "conflict" }]);
    expect(problem.detail).toBe(`A shopify store "${store.external_ref}" is already registered.`);
    expect(await storeRows(store.external_ref)).toBe(1);
  });

  it("answers 404 for an unknown id and 422 for bad filters", async () => {
    expectProblem(await call("GET", `/api/v1/stores/${ids.encode("store", 2 ** 40)}`), 404);
    expectProblem(await call("GET", `/api/v1/stores/${ids.encode("market", 1)}`), 404);
    expectProblem(await call("GET", "/api/v1/stores?brand=nope&market=nope&platform=A%20B"), 422, [
      { field: "platform", category: "malformed" },
    ]);
    expectProblem(await call("GET", "/api/v1/stores?brand=nope"), 422, [
      { field: "brand", category: "malformed" },
    ]);
  });
});

describe("stores: change and delete", () => {
  it("changes market, shop id and name; brand and platform stay", async () => {
    const tenant = await createTenant();
    const [m1, m2] = [await createMarket(), await createMarket()];
    const store = await createStore(tenant.brand.id, m1.id);
    const shop = `renamed-${rand()}.myshopify.com`;
    const changed = await ok("PATCH", `/api/v1/stores/${store.id}`, {
      body: { market: m2.id, external_ref: shop, name: "Acme KR (new)" },
    });
    expect(changed).toEqual({ ...store, market: m2.id, external_ref: shop, name: "Acme KR (new)" });
    expect(await ok("GET", `/api/v1/stores/${store.id}`)).toEqual(changed);
    // A field left out stays.
    expect(await ok("PATCH", `/api/v1/stores/${store.id}`, { body: { name: "Acme" } })).toEqual({
      ...changed,
      name: "Acme",
    });
  });

  it("refuses a shop id another store has (409), a bad or unknown market and other fields (422), writing nothing", async () => {
    const tenant = await createTenant();
    const market = await createMarket();
    const [store, other] = [
      await createStore(tenant.brand.id, market.id),
      await createStore(tenant.brand.id, market.id),
    ];
    const path = `/api/v1/stores/${store.id}`;
    expectProblem(await call("PATCH", path, { body: { external_ref: other.external_ref } }), 409, [
      { field: "external_ref", category: "conflict" },
    ]);
    expectProblem(await call("PATCH", path, { body: { market: "nope" } }), 422, [
      { field: "market", category: "malformed" },
    ]);
    expectProblem(await call("PATCH", path, { body: { market: ids.encode("market", 2 ** 40) } }), 422, [
      { field: "market", category: "not_found" },
    ]);
    expectProblem(await call("PATCH", path, { body: { brand: tenant.brand.id, name: "" } }), 422, [
      { field: "name", category: "too_short" },
      { field: "brand", category: "not_allowed" },
    ]);
    expect(await ok("GET", path)).toEqual(store);
    expectProblem(
      await call("PATCH", `/api/v1/stores/${ids.encode("store", 2 ** 40)}`, { body: { name: "X" } }),
      404,
    );
  });

  it("deletes a store no order came through; one with orders stays (409)", async () => {
    const tenant = await createSalesTenant();
    const marketId = ids.encode("market", tenant.market.internal);
    const [unused, used] = [
      await createStore(tenant.brand.id, marketId),
      await createStore(tenant.brand.id, marketId),
    ];
    const order = await placeOrder(tenant, customerEmail("store"), "2026-05-01T00:00:00.000Z", [
      { sku: "SERUM-30", unitPrice: 42_000 },
    ]);
    await withDb((db) =>
      db.execute(
        sql`UPDATE orders SET store_id = ${ids.decode("store", used.id)} WHERE id = ${ids.decode("order", order.id)}`,
      ),
    );
    expect(await ok("DELETE", `/api/v1/stores/${unused.id}`)).toEqual(unused);
    expectProblem(await call("GET", `/api/v1/stores/${unused.id}`), 404);
    expect(await storeRows(unused.external_ref)).toBe(0);
    expectProblem(await call("DELETE", `/api/v1/stores/${used.id}`), 409);
    expect(await ok("GET", `/api/v1/stores/${used.id}`)).toEqual(used);
    expectProblem(await call("DELETE", `/api/v1/stores/${unused.id}`), 404);
  });
});

describe("stores: security", () => {
  it("needs a key", async () => {
    expectProblem(await call("GET", "/api/v1/stores", { key: null }), 401);
    expectProblem(await call("POST", "/api/v1/stores", { key: null, body: {} }), 401);
    expectProblem(await call("PATCH", "/api/v1/stores/x", { key: null, body: {} }), 401);
    expectProblem(await call("DELETE", "/api/v1/stores/x", { key: null }), 401);
  });

  it("keeps a brand's key to that brand: 403 on another brand's stores, its own only in lists", async () => {
    const [a, b] = [await createTenant(), await createTenant()];
    const market = await createMarket();
    const keyA = await insertApiKey({ brandIds: [a.internal.brand] });
    const storeB = await createStore(b.brand.id, market.id);

    const ref = `shop-${rand()}.myshopify.com`;
    expectProblem(
      await call("POST", "/api/v1/stores", {
        key: keyA.key,
        body: { brand: b.brand.id, market: market.id, platform: "shopify", external_ref: ref, name: "X" },
      }),
      403,
    );
    // A key for other brands is refused before the brand is even looked up.
    expectProblem(
      await call("POST", "/api/v1/stores", {
        key: keyA.key,
        body: {
          brand: ids.encode("brand", 2 ** 40),
          market: market.id,
          platform: "shopify",
          external_ref: ref,
          name: "X",
        },
      }),
      403,
    );
    expect(await storeRows(ref)).toBe(0);

    const storeA = await createStore(a.brand.id, market.id, { key: keyA.key });
    expect(storeA.brand).toBe(a.brand.id);
    expectProblem(await call("GET", `/api/v1/stores/${storeB.id}`, { key: keyA.key }), 403);
    expectProblem(
      await call("PATCH", `/api/v1/stores/${storeB.id}`, { key: keyA.key, body: { name: "Mine now" } }),
      403,
    );
    expectProblem(await call("DELETE", `/api/v1/stores/${storeB.id}`, { key: keyA.key }), 403);
    expect(await ok("GET", `/api/v1/stores/${storeB.id}`)).toEqual(storeB);
    expect(await ok("GET", `/api/v1/stores/${storeA.id}`, { key: keyA.key })).toEqual(storeA);
    expectProblem(await call("GET", `/api/v1/stores?brand=${b.brand.id}`, { key: keyA.key }), 403);
    expect(await ok("GET", `/api/v1/stores?market=${market.id}`, { key: keyA.key })).toEqual({
      data: [storeA],
      next_cursor: null,
    });
    expect(await ok("GET", `/api/v1/stores?market=${market.id}`)).toEqual({
      data: [storeB, storeA],
      next_cursor: null,
    });
  });
});

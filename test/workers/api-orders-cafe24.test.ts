import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { orders, stores } from "../../db/schema/sales.ts";
import krwText from "../fixtures/cafe24/order-krw.json?raw";
import { call, expectProblem, ids, rand, withDb } from "../support/api.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/** The KRW fixture as a new order of its own (order id and buyer email). */
function krwOrder(): { order: Record<string, unknown>; orderId: string } {
  const orderId = `20260418-${rand().slice(0, 7)}`;
  const email = `minji.${rand()}@example.com`;
  const text = krwText.replaceAll("20260418-0000231", orderId).replaceAll("minji.kim@example.com", email);
  return { order: JSON.parse(text) as Record<string, unknown>, orderId };
}

const storedWith = (externalId: string) =>
  withDb((db) => db.select({ id: orders.id }).from(orders).where(eq(orders.externalId, externalId)));

let tenant: SalesTenant;
let other: SalesTenant;
let mallId: string;
let storeId: number;

beforeAll(async () => {
  [tenant, other] = await Promise.all([createSalesTenant("KRW"), createSalesTenant("KRW")]);
  mallId = `lumenskin${rand().slice(0, 8)}`;
  const [row] = await withDb((db) =>
    db
      .insert(stores)
      .values({
        brandId: tenant.brand.internal,
        marketId: tenant.market.internal,
        platform: "cafe24",
        externalRef: mallId,
        name: "Lumen Skin KR",
      })
      .returning({ id: stores.id }),
  );
  if (!row) throw new Error("no store row");
  storeId = row.id;
});

describe("POST /api/v1/orders/cafe24", () => {
  it("ingests the mall's order for its brand and market with the exact won totals, once", async () => {
    const { order, orderId } = krwOrder();
    const created = await call("POST", "/api/v1/orders/cafe24", {
      key: tenant.key,
      body: { mall_id: mallId, order },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      brand: tenant.brand.id,
      market: tenant.market.code,
      store: ids.encode("store", storeId),
      platform: "cafe24",
      external_id: orderId,
      currency: "KRW",
      subtotal: 86000,
      discount_total: 6020,
      tax_total: 0,
      shipping_total: 3000,
      total: 82980,
      placed_at: "2026-04-18T05:05:09.000Z",
    });
    expect(
      created.body.items.map((item: Record<string, unknown>) => [
        item.sku,
        item.offer_code,
        item.discount,
        item.total,
      ]),
    ).toEqual([
      ["SERUM-C-30", "P00000BK000A", 4480, 59520],
      ["P00000CM", "P00000CM000B", 1540, 20460],
    ]);
    expect(created.body.payments.map((payment: { amount: number }) => payment.amount)).toEqual([82980]);

    const again = await call("POST", "/api/v1/orders/cafe24", {
      key: tenant.key,
      body: { mall_id: mallId, order },
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    expect(await storedWith(orderId)).toHaveLength(1);
  });

  it("refuses another brand's key (403), no key (401) and an unknown mall (422), storing nothing", async () => {
    const { order, orderId } = krwOrder();
    expectProblem(
      await call("POST", "/api/v1/orders/cafe24", { key: other.key, body: { mall_id: mallId, order } }),
      403,
    );
    expectProblem(
      await call("POST", "/api/v1/orders/cafe24", { key: null, body: { mall_id: mallId, order } }),
      401,
    );
    expectProblem(
      await call("POST", "/api/v1/orders/cafe24", {
        key: tenant.key,
        body: { mall_id: `nomall${rand()}`, order },
      }),
      422,
      [{ field: "mall_id", category: "not_found" }],
    );
    expect(await storedWith(orderId)).toEqual([]);
  });

  it("refuses an order the adapter cannot read exactly (won with decimals), naming the field", async () => {
    const { order, orderId } = krwOrder();
    const items = order.items as Record<string, unknown>[];
    const bad = { ...order, items: [{ ...items[0], product_price: "32000.50" }, items[1]] };
    expectProblem(
      await call("POST", "/api/v1/orders/cafe24", { key: tenant.key, body: { mall_id: mallId, order: bad } }),
      422,
      [{ field: "order.items.0.product_price", category: "malformed" }],
    );
    expectProblem(await call("POST", "/api/v1/orders/cafe24", { key: tenant.key, body: { order } }), 422, [
      { field: "mall_id", category: "missing" },
    ]);
    expect(await storedWith(orderId)).toEqual([]);
  });
});

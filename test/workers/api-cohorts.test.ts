import { beforeAll, describe, expect, it } from "vitest";
import { call, expectProblem, ids, ok } from "../support/api.ts";
import { placeOrder, productOf } from "../support/ledger.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/** POST /api/v1/cohorts/preview over accounts made by real order ingestion. */

const preview = (definition: unknown, key?: string, sampleSize?: number) =>
  call("POST", "/api/v1/cohorts/preview", {
    ...(key === undefined ? {} : { key }),
    body: sampleSize === undefined ? { definition } : { definition, sample_size: sampleSize },
  });

describe("POST /api/v1/cohorts/preview", () => {
  let a: SalesTenant;
  let b: SalesTenant;
  let serum: string;
  const emails = {
    one: `one.${crypto.randomUUID().slice(0, 8)}@example.com`,
    two: `two.${crypto.randomUUID().slice(0, 8)}@example.com`,
    three: `three.${crypto.randomUUID().slice(0, 8)}@example.com`,
  };
  const accounts: Record<string, string> = {};

  beforeAll(async () => {
    a = await createSalesTenant();
    b = await createSalesTenant();
    const first = await placeOrder(a, emails.one, "2026-03-01T10:00:00.000Z", [
      { sku: "SERUM", unitPrice: 10_000 },
    ]);
    serum = productOf(first, "SERUM");
    accounts.one = first.account.id;
    await placeOrder(a, emails.one, "2026-03-20T10:00:00.000Z", [{ sku: "CREAM", unitPrice: 8_000 }]);
    accounts.two = (
      await placeOrder(a, emails.two, "2026-03-05T10:00:00.000Z", [{ sku: "CREAM", unitPrice: 30_000 }])
    ).account.id;
    accounts.three = (
      await placeOrder(a, emails.three, "2026-03-07T10:00:00.000Z", [{ sku: "SERUM", unitPrice: 5_000 }])
    ).account.id;
    await placeOrder(b, emails.one, "2026-03-01T10:00:00.000Z", [{ sku: "SERUM", unitPrice: 50_000 }]);
  });

  it("counts and samples the members of an unsaved definition", async () => {
    const definition = {
      op: "and",
      rules: [
        { field: "brand", op: "equals", value: a.brand.id },
        {
          op: "or",
          rules: [
            { field: "total_spent", op: "gte", value: 15_000, currency: "KRW" },
            { field: "product", op: "has", value: [serum] },
          ],
        },
      ],
    };
    const body = await ok("POST", "/api/v1/cohorts/preview", { body: { definition, sample_size: 2 } });
    const market = { id: ids.encode("market", a.market.internal), code: a.market.code, country: "KR" };
    expect(body).toEqual({
      count: 3,
      sample: [
        {
          id: accounts.one,
          brand: a.brand.id,
          market,
          email: emails.one,
          currency: "KRW",
          total_spent: 18_000,
          order_count: 2,
          first_order_at: "2026-03-01T10:00:00.000Z",
          last_order_at: "2026-03-20T10:00:00.000Z",
        },
        {
          id: accounts.two,
          brand: a.brand.id,
          market,
          email: emails.two,
          currency: "KRW",
          total_spent: 30_000,
          order_count: 1,
          first_order_at: "2026-03-05T10:00:00.000Z",
          last_order_at: "2026-03-05T10:00:00.000Z",
        },
      ],
    });
    // Another currency never matches a KRW account.
    const usd = await ok("POST", "/api/v1/cohorts/preview", {
      body: {
        definition: {
          op: "and",
          rules: [
            { field: "brand", op: "equals", value: a.brand.id },
            { field: "total_spent", op: "gte", value: 0, currency: "USD" },
          ],
        },
      },
    });
    expect(usd).toEqual({ count: 0, sample: [] });
  });

  it("holds the key's brand scope: only its brands' accounts, whatever the definition", async () => {
    const body = await ok("POST", "/api/v1/cohorts/preview", {
      key: a.key,
      body: {
        definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 1 }] },
        sample_size: 0,
      },
    });
    expect(body).toEqual({ count: 3, sample: [] });
    const ofB = await ok("POST", "/api/v1/cohorts/preview", {
      key: b.key,
      body: { definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 1 }] } },
    });
    expect(ofB.count).toBe(1);
    expect(ofB.sample.map((member: { brand: string }) => member.brand)).toEqual([b.brand.id]);
  });

  it("is a 403 for a brand, influencer or product outside the key's brands", async () => {
    expectProblem(
      await preview({ op: "and", rules: [{ field: "brand", op: "in", value: [b.brand.id] }] }, a.key),
      403,
    );
    expectProblem(
      await preview(
        { op: "or", rules: [{ op: "and", rules: [{ field: "product", op: "has", value: [serum] }] }] },
        b.key,
      ),
      403,
    );
  });

  it("is a 422 naming the path of each bad field", async () => {
    const response = await preview({
      op: "and",
      rules: [
        { field: "order_count", op: "gte", value: 1 },
        {
          op: "or",
          rules: [
            { field: "last_order_at", op: "within_last_days", value: "30" },
            { field: "average_order_value", op: "gt", value: 100 },
          ],
        },
        { field: "lifetime_value", op: "gte", value: 1 },
        { field: "consent", op: "has", value: "fax" },
      ],
    });
    expectProblem(response, 422, [
      { field: "definition.rules[1].rules[0].value", category: "malformed" },
      { field: "definition.rules[1].rules[1].currency", category: "missing" },
      { field: "definition.rules[2].field", category: "not_allowed" },
      { field: "definition.rules[3].value", category: "not_allowed" },
    ]);
    expectProblem(await preview({ op: "xor", rules: [] }), 422, [
      { field: "definition.op", category: "not_allowed" },
      { field: "definition.rules", category: "too_short" },
    ]);
    expectProblem(
      await call("POST", "/api/v1/cohorts/preview", {
        body: {
          definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 1 }] },
          sample_size: 101,
        },
      }),
      422,
      [{ field: "sample_size", category: "out_of_range" }],
    );
  });

  it("is a 422 for an id that does not decode or names nothing", async () => {
    const response = await preview({
      op: "and",
      rules: [
        { field: "brand", op: "in", value: [a.brand.id, "nope"] },
        {
          op: "or",
          rules: [{ field: "influencer", op: "equals", value: ids.encode("influencer", 2_000_000_000) }],
        },
      ],
    });
    expectProblem(response, 422, [{ field: "definition.rules[0].value[1]", category: "malformed" }]);
    expectProblem(
      await preview({
        op: "or",
        rules: [
          {
            op: "and",
            rules: [{ field: "influencer", op: "equals", value: ids.encode("influencer", 2_000_000_000) }],
          },
        ],
      }),
      422,
      [{ field: "definition.rules[0].rules[0].value", category: "not_found" }],
    );
  });

  it("is in the OpenAPI document", async () => {
    const document = await ok("GET", "/openapi.json");
    expect(Object.keys(document.paths["/api/v1/cohorts/preview"])).toEqual(["post"]);
    expect(document.components.schemas.CohortGroup.properties.op.enum).toEqual(["and", "or"]);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { call, expectProblem, ids } from "../support/api.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/* The analytics endpoints' input: the brand they need, the key's brands, bad values; their OpenAPI entries. */

const paths = ["ltv", "coupon-roi", "campaign-roi", "retention", "acquisition", "scatter"] as const;

let mine: SalesTenant;
let theirs: SalesTenant;

beforeAll(async () => {
  mine = await createSalesTenant("KRW");
  theirs = await createSalesTenant("USD");
});

describe.each(paths)("GET /api/v1/analytics/%s", (path) => {
  const url = (query: string) => `/api/v1/analytics/${path}${query ? `?${query}` : ""}`;

  it("without brand: 400 naming it, with any other bad field beside it", async () => {
    const missing = expectProblem(await call("GET", url(""), { key: mine.key }), 400, [
      { field: "brand", category: "missing" },
    ]);
    expect(missing.type).toBe("urn:leadrail:problem:bad-request");
    expectProblem(await call("GET", url("as_of=yesterday"), { key: mine.key }), 400, [
      { field: "brand", category: "missing" },
      { field: "as_of", category: "malformed" },
    ]);
  });

  it("another brand than the key's: 403; the key's own: 200", async () => {
    expectProblem(await call("GET", url(`brand=${theirs.brand.id}`), { key: mine.key }), 403);
    const own = await call("GET", url(`brand=${mine.brand.id}&as_of=2026-01-01T00:00:00Z`), {
      key: mine.key,
    });
    expect(own.status, own.text).toBe(200);
    expect(own.body).toMatchObject({
      brand: mine.brand.id,
      as_of: "2026-01-01T00:00:00.000Z",
      from: null,
      to: null,
    });
  });

  it("no key: 401", async () => {
    expectProblem(await call("GET", url(`brand=${mine.brand.id}`), { key: null }), 401);
  });

  it("bad values: 422 naming each", async () => {
    const product = ids.encode("product", mine.brand.internal);
    expectProblem(await call("GET", url(`brand=${product}`), { key: mine.key }), 422, [
      { field: "brand", category: "malformed" },
    ]);
    expectProblem(
      await call("GET", url(`brand=${mine.brand.id}&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`), {
        key: mine.key,
      }),
      422,
      [{ field: "to", category: "out_of_range" }],
    );
    expectProblem(
      await call("GET", url(`brand=${mine.brand.id}&from=2100-01-01T00:00:00Z`), { key: mine.key }),
      422,
      [{ field: "from", category: "out_of_range" }],
    );
  });
});

describe("endpoint parameters", () => {
  it("retention: `by` is month, product or segment", async () => {
    expectProblem(
      await call("GET", `/api/v1/analytics/retention?brand=${mine.brand.id}&by=country`, { key: mine.key }),
      422,
      [{ field: "by", category: "not_allowed" }],
    );
  });

  it("scatter: 1 to 5,000 points", async () => {
    for (const points of ["0", "5001", "many"])
      expect(
        (
          await call("GET", `/api/v1/analytics/scatter?brand=${mine.brand.id}&points=${points}`, {
            key: mine.key,
          })
        ).status,
      ).toBe(422);
    const most = await call("GET", `/api/v1/analytics/scatter?brand=${mine.brand.id}&points=5000`, {
      key: mine.key,
    });
    expect(most.status, most.text).toBe(200);
  });
});

describe("the OpenAPI document", () => {
  it("has every analytics endpoint with brand required, its problems and response examples", async () => {
    const document = (await call("GET", "/openapi.json", { key: null })).body;
    for (const path of paths) {
      const operation = document.paths[`/api/v1/analytics/${path}`]?.get;
      expect(operation, path).toBeDefined();
      const brand = operation.parameters.find((p: { name: string }) => p.name === "brand");
      expect(brand).toMatchObject({ in: "query", required: true });
      expect(Object.keys(operation.responses).sort()).toEqual(["200", "400", "401", "403", "422"]);
      expect(JSON.stringify(operation.responses["200"])).toContain("$ref");
    }
    const schemas = document.components.schemas;
    expect(schemas.LtvByAcquisitionMonth.properties.data.items.properties.acquisition_month.example).toBe(
      "2026-03",
    );
    expect(schemas.CouponRoi.properties.data.items.properties.roi.example).toBe(8.975);
    expect(schemas.CustomerScatter.properties.data.properties.totals.items.properties.points.example).toBe(
      5000,
    );
  });
});

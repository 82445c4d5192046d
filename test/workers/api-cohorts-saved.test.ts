import { beforeAll, describe, expect, it } from "vitest";
import { call, expectProblem, ids, ok } from "../support/api.ts";
import { placeOrder, productOf } from "../support/ledger.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/** Saved cohorts: CRUD, live members (JSON and CSV), brand scope, over accounts made by real order ingestion. */

const unique = () => crypto.randomUUID().slice(0, 8);

let a: SalesTenant;
let b: SalesTenant;
let serumOfB: string;
const emails = { one: `one.${unique()}@example.com`, two: `two.${unique()}@example.com`, three: "" };
emails.three = `three.${unique()}@example.com`;
const accounts: Record<"one" | "two" | "three", string> = { one: "", two: "", three: "" };

beforeAll(async () => {
  a = await createSalesTenant();
  b = await createSalesTenant();
  accounts.one = (
    await placeOrder(a, emails.one, "2026-03-01T10:00:00.000Z", [{ sku: "SERUM", unitPrice: 10_000 }])
  ).account.id;
  await placeOrder(a, emails.one, "2026-03-20T10:00:00.000Z", [{ sku: "CREAM", unitPrice: 8_000 }]);
  accounts.two = (
    await placeOrder(a, emails.two, "2026-03-05T10:00:00.000Z", [{ sku: "CREAM", unitPrice: 30_000 }])
  ).account.id;
  accounts.three = (
    await placeOrder(a, emails.three, "2026-03-07T10:00:00.000Z", [{ sku: "SERUM", unitPrice: 5_000 }])
  ).account.id;
  serumOfB = productOf(
    await placeOrder(b, emails.one, "2026-03-01T10:00:00.000Z", [{ sku: "SERUM", unitPrice: 50_000 }]),
    "SERUM",
  );
});

const member = (
  key: "one" | "two" | "three",
  totals: { spent: number; orders: number; first: string; last: string },
) => ({
  id: accounts[key],
  brand: a.brand.id,
  market: { id: ids.encode("market", a.market.internal), code: a.market.code, country: "KR" },
  email: emails[key],
  currency: "KRW",
  total_spent: totals.spent,
  order_count: totals.orders,
  first_order_at: totals.first,
  last_order_at: totals.last,
});
const one = () =>
  member("one", {
    spent: 18_000,
    orders: 2,
    first: "2026-03-01T10:00:00.000Z",
    last: "2026-03-20T10:00:00.000Z",
  });
const two = () =>
  member("two", {
    spent: 30_000,
    orders: 1,
    first: "2026-03-05T10:00:00.000Z",
    last: "2026-03-05T10:00:00.000Z",
  });
const three = () =>
  member("three", {
    spent: 5_000,
    orders: 1,
    first: "2026-03-07T10:00:00.000Z",
    last: "2026-03-07T10:00:00.000Z",
  });

const everyone = { op: "and", rules: [{ field: "order_count", op: "gte", value: 1 }] };
const bigSpenders = {
  op: "and",
  rules: [{ field: "total_spent", op: "gte", value: 15_000, currency: "KRW" }],
};

const create = (body: unknown, key?: string) => call("POST", "/api/v1/cohorts", { key: key ?? a.key, body });

async function createCohort(definition: unknown, name = "Test cohort") {
  const response = await create({ brand: a.brand.id, name, definition });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

describe("saved cohorts: create, get, list, update, delete", () => {
  it("creates a cohort of one brand and answers it with its member count", async () => {
    const response = await create({ brand: a.brand.id, name: " Big spenders ", definition: bigSpenders });
    expect(response.status, response.text).toBe(201);
    const body = response.body;
    expect(ids.decode("cohort", body.id)).toBeGreaterThan(0);
    expect(response.headers.get("location")).toBe(`/api/v1/cohorts/${body.id}`);
    expect(body).toEqual({
      id: body.id,
      brand: a.brand.id,
      name: "Big spenders",
      definition: bigSpenders,
      refresh: "none",
      member_count: 2,
      created_at: body.created_at,
      updated_at: body.created_at,
    });
    expect(Date.parse(body.created_at)).toBeGreaterThan(Date.now() - 60_000);

    expect(await ok("GET", `/api/v1/cohorts/${body.id}`, { key: a.key })).toEqual(body);
    const { member_count: _count, ...listed } = body;
    expect(
      await ok("GET", `/api/v1/cohorts?brand=${a.brand.id}&limit=200`, { key: a.key }).then((page) =>
        page.data.filter((cohort: { id: string }) => cohort.id === body.id),
      ),
    ).toEqual([listed]);
  });

  it("lists a brand's cohorts oldest first with a cursor, and only the key's brands", async () => {
    const brand = await createSalesTenant();
    const made = [];
    for (const name of ["First", "Second", "Third"]) {
      const response = await create({ brand: brand.brand.id, name, definition: everyone }, brand.key);
      expect(response.status, response.text).toBe(201);
      made.push(response.body);
    }
    const strip = ({ member_count: _count, ...cohort }: { member_count: number }) => cohort;
    const first = await ok("GET", "/api/v1/cohorts?limit=2", { key: brand.key });
    expect(first).toEqual({ data: [strip(made[0]), strip(made[1])], next_cursor: made[1].id });
    const second = await ok("GET", `/api/v1/cohorts?limit=2&cursor=${made[1].id}`, { key: brand.key });
    expect(second).toEqual({ data: [strip(made[2])], next_cursor: null });
    // Another brand's key never sees them.
    const ofA = await ok("GET", "/api/v1/cohorts?limit=200", { key: a.key });
    expect(ofA.data.every((cohort: { brand: string }) => cohort.brand === a.brand.id)).toBe(true);
  });

  it("changes name, definition and refresh; the brand stays; delete hides it everywhere", async () => {
    const created = await createCohort(bigSpenders, "Spenders");
    const path = `/api/v1/cohorts/${created.id}`;
    const changed = await ok("PATCH", path, {
      key: a.key,
      body: { name: "Everyone", definition: everyone, refresh: "daily" },
    });
    expect(changed).toEqual({
      ...created,
      name: "Everyone",
      definition: everyone,
      refresh: "daily",
      member_count: 3,
      updated_at: changed.updated_at,
    });
    expect(Date.parse(changed.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    // Only the name: the definition and refresh stay.
    const renamed = await ok("PATCH", path, { key: a.key, body: { name: "All buyers" } });
    expect(renamed).toEqual({ ...changed, name: "All buyers", updated_at: renamed.updated_at });

    const { member_count: _count, ...asItWas } = renamed;
    expect(await ok("DELETE", path, { key: a.key })).toEqual(asItWas);
    expectProblem(await call("GET", path, { key: a.key }), 404);
    expectProblem(await call("PATCH", path, { key: a.key, body: { name: "x" } }), 404);
    expectProblem(await call("DELETE", path, { key: a.key }), 404);
    expectProblem(await call("GET", `${path}/members`, { key: a.key }), 404);
    expectProblem(await call("POST", `${path}/snapshots`, { key: a.key }), 404);
    const listed = await ok("GET", `/api/v1/cohorts?brand=${a.brand.id}&limit=200`, { key: a.key });
    expect(listed.data.map((cohort: { id: string }) => cohort.id)).not.toContain(created.id);
    expectProblem(await call("GET", "/api/v1/cohorts/nope", { key: a.key }), 404);
  });
});

describe("saved cohorts: 422s", () => {
  it("names each bad field, the definition's by its path", async () => {
    expectProblem(
      await create({
        brand: a.brand.id,
        name: "",
        refresh: "hourly",
        definition: {
          op: "and",
          rules: [
            { field: "order_count", op: "gte", value: 1 },
            { op: "or", rules: [{ field: "average_order_value", op: "gt", value: 100 }] },
            { field: "lifetime_value", op: "gte", value: 1 },
          ],
        },
      }),
      422,
      [
        { field: "name", category: "too_short" },
        { field: "definition.rules[1].rules[0].currency", category: "missing" },
        { field: "definition.rules[2].field", category: "not_allowed" },
        { field: "refresh", category: "not_allowed" },
      ],
    );
    expectProblem(await create({ brand: "nope", name: "x", definition: everyone }), 422, [
      { field: "brand", category: "malformed" },
    ]);
    expectProblem(
      await create({ brand: ids.encode("brand", 2_000_000_000), name: "x", definition: everyone }),
      422,
      [{ field: "brand", category: "not_found" }],
    );
    expectProblem(
      await create({
        brand: a.brand.id,
        name: "x",
        definition: { op: "or", rules: [{ field: "product", op: "has", value: ["nope"] }] },
      }),
      422,
      [{ field: "definition.rules[0].value[0]", category: "malformed" }],
    );
    expectProblem(await create({ brand: a.brand.id, name: "x" }), 422, [
      { field: "definition", category: "missing" },
    ]);
  });

  it("PATCH and the member list name theirs too", async () => {
    const created = await createCohort(everyone);
    expectProblem(
      await call("PATCH", `/api/v1/cohorts/${created.id}`, {
        key: a.key,
        body: { definition: { op: "and", rules: [{ field: "r_score", op: "equals", value: 6 }] } },
      }),
      422,
      [{ field: "definition.rules[0].value", category: "out_of_range" }],
    );
    expectProblem(
      await call("PATCH", `/api/v1/cohorts/${created.id}`, { key: a.key, body: { brand: b.brand.id } }),
      422,
      [{ field: "brand", category: "not_allowed" }],
    );
    expectProblem(
      await call("GET", `/api/v1/cohorts/${created.id}/members?cursor=${created.id}`, { key: a.key }),
      422,
      [{ field: "cursor", category: "malformed" }],
    );
    expectProblem(
      await call("GET", `/api/v1/cohorts/${created.id}/members?format=xml`, { key: a.key }),
      422,
      [{ field: "format", category: "not_allowed" }],
    );
    // Nothing was changed by the refused PATCHes.
    expect(await ok("GET", `/api/v1/cohorts/${created.id}`, { key: a.key })).toEqual(created);
  });
});

describe("saved cohorts: brand scope", () => {
  it("a key of another brand cannot read, change, delete, list members of or snapshot a cohort", async () => {
    const created = await createCohort(everyone);
    const path = `/api/v1/cohorts/${created.id}`;
    expectProblem(await call("GET", path, { key: b.key }), 403);
    expectProblem(await call("PATCH", path, { key: b.key, body: { name: "Mine now" } }), 403);
    expectProblem(await call("DELETE", path, { key: b.key }), 403);
    expectProblem(await call("GET", `${path}/members`, { key: b.key }), 403);
    expectProblem(await call("GET", `${path}/members?format=csv`, { key: b.key }), 403);
    expectProblem(await call("POST", `${path}/snapshots`, { key: b.key }), 403);
    expectProblem(await call("GET", `${path}/snapshots`, { key: b.key }), 403);
    expectProblem(await call("GET", `/api/v1/cohorts?brand=${a.brand.id}`, { key: b.key }), 403);
    const listed = await ok("GET", "/api/v1/cohorts?limit=200", { key: b.key });
    expect(listed.data.map((cohort: { id: string }) => cohort.id)).not.toContain(created.id);
    // Untouched by all of that.
    expect(await ok("GET", path, { key: a.key })).toEqual(created);
    expect((await call("GET", `${path}/snapshots`, { key: a.key })).body).toEqual({
      data: [],
      next_cursor: null,
    });
  });

  it("is a 403 to save a cohort for another brand, or naming another brand's product", async () => {
    expectProblem(await create({ brand: b.brand.id, name: "x", definition: everyone }, a.key), 403);
    expectProblem(
      await create(
        {
          brand: a.brand.id,
          name: "x",
          definition: { op: "and", rules: [{ field: "product", op: "has", value: [serumOfB] }] },
        },
        a.key,
      ),
      403,
    );
  });

  it("selects only its own brand's accounts, whatever its definition says", async () => {
    // An unscoped key, a definition naming both brands: still only brand A's accounts.
    const response = await call("POST", "/api/v1/cohorts", {
      body: {
        brand: a.brand.id,
        name: "Both brands",
        definition: { op: "and", rules: [{ field: "brand", op: "in", value: [a.brand.id, b.brand.id] }] },
      },
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body.member_count).toBe(3);
    const members = await ok("GET", `/api/v1/cohorts/${response.body.id}/members`);
    expect(members).toEqual({ data: [one(), two(), three()], next_cursor: null });
  });
});

describe("saved cohorts: members", () => {
  it("pages the live members by account with a cursor", async () => {
    const created = await createCohort(everyone);
    const path = `/api/v1/cohorts/${created.id}/members`;
    const first = await ok("GET", `${path}?limit=2`, { key: a.key });
    expect(first).toEqual({ data: [one(), two()], next_cursor: accounts.two });
    const second = await ok("GET", `${path}?limit=2&cursor=${first.next_cursor}`, { key: a.key });
    expect(second).toEqual({ data: [three()], next_cursor: null });
    const exact = await ok("GET", `${path}?limit=3`, { key: a.key });
    expect(exact).toEqual({ data: [one(), two(), three()], next_cursor: null });
    const none = await createCohort({
      op: "and",
      rules: [{ field: "order_count", op: "gte", value: 100 }],
    });
    expect(none.member_count).toBe(0);
    expect(await ok("GET", `/api/v1/cohorts/${none.id}/members`, { key: a.key })).toEqual({
      data: [],
      next_cursor: null,
    });
  });

  it("exports every member as RFC 4180 CSV, by ?format=csv or Accept: text/csv", async () => {
    const created = await createCohort(everyone);
    const path = `/api/v1/cohorts/${created.id}/members`;
    const market = `${ids.encode("market", a.market.internal)},${a.market.code},KR`;
    const expected =
      "id,brand,market.id,market.code,market.country,email,currency,total_spent,order_count,first_order_at,last_order_at\r\n" +
      `${accounts.one},${a.brand.id},${market},${emails.one},KRW,18000,2,2026-03-01T10:00:00.000Z,2026-03-20T10:00:00.000Z\r\n` +
      `${accounts.two},${a.brand.id},${market},${emails.two},KRW,30000,1,2026-03-05T10:00:00.000Z,2026-03-05T10:00:00.000Z\r\n` +
      `${accounts.three},${a.brand.id},${market},${emails.three},KRW,5000,1,2026-03-07T10:00:00.000Z,2026-03-07T10:00:00.000Z\r\n`;
    const byQuery = await call("GET", `${path}?format=csv&limit=1`, { key: a.key });
    expect(byQuery.status).toBe(200);
    expect(byQuery.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(byQuery.text).toBe(expected);
    const byAccept = await call("GET", path, { key: a.key, headers: { accept: "text/csv" } });
    expect(byAccept.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(byAccept.text).toBe(expected);
    // After a cursor: the rest only.
    const rest = await call("GET", `${path}?format=csv&cursor=${accounts.two}`, { key: a.key });
    const lines = expected.split("\r\n");
    expect(rest.text).toBe(`${lines[0]}\r\n${lines[3]}\r\n`);
    // JSON is preferred when the client says so; an empty cohort is a header alone.
    const json = await call("GET", path, { key: a.key, headers: { accept: "application/json, text/csv" } });
    expect(json.body.data).toHaveLength(3);
    const empty = await createCohort({ op: "and", rules: [{ field: "order_count", op: "gte", value: 100 }] });
    const header = await call("GET", `/api/v1/cohorts/${empty.id}/members?format=csv`, { key: a.key });
    expect(header.text).toBe(`${lines[0]}\r\n`);
  });
});

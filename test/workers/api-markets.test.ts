import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { markets } from "../../db/schema/sales.ts";
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
import { createMarket, createStore } from "../support/markets.ts";

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const marketRows = (code: string) =>
  withDb(async (db) => {
    const [row] = await db.select({ n: count() }).from(markets).where(eq(markets.code, code));
    return row?.n;
  });

describe("markets: create, get, list", () => {
  it("creates a market and returns it with a hash id", async () => {
    const code = `kr-${rand()}`;
    const response = await call("POST", "/api/v1/markets", {
      body: { code, name: "South Korea", country: "KR", currency: "KRW", time_zone: "Asia/Seoul" },
    });
    expect(response.status, response.text).toBe(201);
    const market = response.body;
    expect(market).toEqual({
      id: expect.any(String),
      code,
      name: "South Korea",
      country: "KR",
      currency: "KRW",
      time_zone: "Asia/Seoul",
      created_at: expect.stringMatching(isoPattern),
    });
    expect(ids.decode("market", market.id)).toBeGreaterThan(0);
    expect(response.headers.get("location")).toBe(`/api/v1/markets/${market.id}`);
    expect(await ok("GET", `/api/v1/markets/${market.id}`)).toEqual(market);
    expect(await ok("GET", `/api/v1/markets?code=${code}`)).toEqual({ data: [market], next_cursor: null });
    const [row] = await withDb((db) => db.select().from(markets).where(eq(markets.code, code)));
    expect(row).toMatchObject({ country: "KR", currency: "KRW", timeZone: "Asia/Seoul" });
  });

  it("upper-cases the country and fixes the letter case of a zone, keeping its name", async () => {
    const code = `us-${rand()}`;
    const market = await ok("POST", "/api/v1/markets", {
      body: { code, name: " United States ", country: "us", currency: "USD", time_zone: "america/new_york" },
    });
    expect(market).toMatchObject({
      code,
      name: "United States",
      country: "US",
      currency: "USD",
      time_zone: "America/New_York",
    });
    // A valid alias is stored as sent, not as the runtime's canonical spelling of it.
    const india = await ok("POST", "/api/v1/markets", {
      body: {
        code: `in-${rand()}`,
        name: "India",
        country: "IN",
        currency: "INR",
        time_zone: "Asia/Kolkata",
      },
    });
    expect(india.time_zone).toBe("Asia/Kolkata");
    const utc = await ok("POST", "/api/v1/markets", {
      body: { code: `eu-${rand()}`, name: "Europe", country: "DE", currency: "EUR", time_zone: "UTC" },
    });
    expect(utc.time_zone).toBe("UTC");
  });

  it("lists markets oldest first with a cursor", async () => {
    const made = [await createMarket(), await createMarket(), await createMarket()];
    const all: { id: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = await ok(
        "GET",
        `/api/v1/markets?limit=200${cursor ? `&cursor=${cursor}` : ""}`,
      );
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor !== null);
    const position = made.map((market) => all.findIndex((item) => item.id === market.id));
    expect(position.every((index) => index >= 0)).toBe(true);
    expect(position).toEqual([...position].sort((a, b) => a - b));
    const ordered = all.map((item) => ids.decode("market", item.id) ?? 0);
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));

    const [first, second] = made;
    if (!first || !second) throw new Error("markets not created");
    // From the market listed just before `first`: the next two are `first` and `second`, and more follow.
    const before = all[all.findIndex((item) => item.id === first.id) - 1];
    const page = await ok("GET", `/api/v1/markets?limit=2${before ? `&cursor=${before.id}` : ""}`);
    expect(page.data.map((item: { id: string }) => item.id)).toEqual([first.id, second.id]);
    expect(page.next_cursor).toBe(second.id);
    expect(numericIdFields(page)).toEqual([]);
  });
});

describe("markets: update", () => {
  it("renames a market and corrects its zone; an empty change returns it as it is", async () => {
    const market = await createMarket();
    const renamed = await ok("PATCH", `/api/v1/markets/${market.id}`, {
      body: { name: " Korea (South) ", time_zone: "asia/seoul" },
    });
    expect(renamed).toEqual({ ...market, name: "Korea (South)", time_zone: "Asia/Seoul" });
    expect(await ok("GET", `/api/v1/markets/${market.id}`)).toEqual(renamed);
    expect(await ok("PATCH", `/api/v1/markets/${market.id}`, { body: {} })).toEqual(renamed);
    expect(
      await ok("PATCH", `/api/v1/markets/${market.id}`, { body: { time_zone: "America/New_York" } }),
    ).toEqual({ ...renamed, time_zone: "America/New_York" });
  });

  it("keeps code, country and currency, refuses bad values, and changes nothing on a 422", async () => {
    const market = await createMarket();
    expectProblem(
      await call("PATCH", `/api/v1/markets/${market.id}`, {
        body: { name: "", time_zone: "+09:00", code: "xx", country: "US", currency: "USD" },
      }),
      422,
      [
        { field: "name", category: "too_short" },
        { field: "time_zone", category: "not_allowed" },
        { field: "code", category: "not_allowed" },
        { field: "country", category: "not_allowed" },
        { field: "currency", category: "not_allowed" },
      ],
    );
    expect(await ok("GET", `/api/v1/markets/${market.id}`)).toEqual(market);
    expectProblem(
      await call("PATCH", `/api/v1/markets/${ids.encode("market", 2 ** 40)}`, { body: { name: "Gone" } }),
      404,
    );
    expectProblem(await call("PATCH", `/api/v1/markets/${ids.encode("market", 2 ** 40)}`, { body: {} }), 404);
  });

  it("lets only a key for all brands change one", async () => {
    const market = await createMarket();
    const tenant = await createTenant();
    const scoped = await insertApiKey({ brandIds: [tenant.internal.brand] });
    expectProblem(
      await call("PATCH", `/api/v1/markets/${market.id}`, { key: scoped.key, body: { name: "Mine" } }),
      403,
    );
    expectProblem(await call("PATCH", `/api/v1/markets/${market.id}`, { key: null, body: {} }), 401);
    expect(await ok("GET", `/api/v1/markets/${market.id}`)).toEqual(market);
  });
});

describe("markets: delete", () => {
  it("deletes a market nothing names; one a store names stays (409)", async () => {
    const unused = await createMarket();
    expect(await ok("DELETE", `/api/v1/markets/${unused.id}`)).toEqual(unused);
    expectProblem(await call("GET", `/api/v1/markets/${unused.id}`), 404);
    expectProblem(await call("DELETE", `/api/v1/markets/${unused.id}`), 404);
    expect(await marketRows(unused.code)).toBe(0);

    const used = await createMarket();
    const tenant = await createTenant();
    await createStore(tenant.brand.id, used.id);
    const refused = expectProblem(await call("DELETE", `/api/v1/markets/${used.id}`), 409);
    expect(refused.detail).toBe(
      "Stores, accounts or orders name this market; it cannot be deleted. Rename it instead.",
    );
    expect(await ok("GET", `/api/v1/markets/${used.id}`)).toEqual(used);
  });

  it("lets only a key for all brands delete one", async () => {
    const market = await createMarket();
    const tenant = await createTenant();
    const scoped = await insertApiKey({ brandIds: [tenant.internal.brand] });
    expectProblem(await call("DELETE", `/api/v1/markets/${market.id}`, { key: scoped.key }), 403);
    expectProblem(await call("DELETE", `/api/v1/markets/${market.id}`, { key: null }), 401);
    expect(await marketRows(market.code)).toBe(1);
  });
});

describe("markets: errors", () => {
  it("names every bad field and writes nothing", async () => {
    const response = await call("POST", "/api/v1/markets", {
      body: { code: "KR!", country: "XX", currency: "krw", time_zone: "Mars/Olympus", colour: "red" },
    });
    expectProblem(response, 422, [
      { field: "code", category: "malformed" },
      { field: "name", category: "missing" },
      { field: "country", category: "not_allowed" },
      { field: "currency", category: "malformed" },
      { field: "time_zone", category: "not_allowed" },
      { field: "colour", category: "not_allowed" },
    ]);
    expect(await marketRows("KR!")).toBe(0);
  });

  it("refuses unknown currencies, malformed countries, offsets and long codes", async () => {
    const code = `x-${rand()}`;
    const response = await call("POST", "/api/v1/markets", {
      body: { code, name: "X", country: "K1", currency: "ABC", time_zone: "+09:00" },
    });
    expectProblem(response, 422, [
      { field: "country", category: "malformed" },
      { field: "currency", category: "not_allowed" },
      { field: "time_zone", category: "not_allowed" },
    ]);
    expect(await marketRows(code)).toBe(0);
    expectProblem(
      await call("POST", "/api/v1/markets", {
        body: { code: "a".repeat(17), name: "X", country: "KR", currency: "KRW", time_zone: "Asia/Seoul" },
      }),
      422,
      [{ field: "code", category: "malformed" }],
    );
  });

  it("answers 409 naming `code` when the code is taken", async () => {
    const market = await createMarket();
    const response = await call("POST", "/api/v1/markets", {
      body: {
        code: market.code,
        name: "Again",
        country: "US",
        currency: "USD",
        time_zone: "America/New_York",
      },
    });
    const problem = expectProblem(response, 409, [{ field: "code", category: "conflict" }]);
    expect(problem.detail).toBe(`The market code "${market.code}" is already taken.`);
    const [row] = await withDb((db) => db.select().from(markets).where(eq(markets.code, market.code)));
    expect(row?.name).toBe(market.name);
  });

  it("answers 404 for an unknown or foreign hash id", async () => {
    expectProblem(await call("GET", `/api/v1/markets/${ids.encode("market", 2 ** 40)}`), 404);
    expectProblem(await call("GET", `/api/v1/markets/${ids.encode("brand", 1)}`), 404);
    expectProblem(await call("GET", "/api/v1/markets?cursor=nope"), 422, [
      { field: "cursor", category: "malformed" },
    ]);
  });
});

describe("markets: security", () => {
  it("needs a key", async () => {
    expectProblem(await call("GET", "/api/v1/markets", { key: null }), 401);
    expectProblem(await call("POST", "/api/v1/markets", { key: null, body: {} }), 401);
  });

  it("lets only a key for all brands create one; any key reads them", async () => {
    const tenant = await createTenant();
    const scoped = await insertApiKey({ brandIds: [tenant.internal.brand] });
    const code = `s-${rand()}`;
    const response = await call("POST", "/api/v1/markets", {
      key: scoped.key,
      body: { code, name: "Scoped", country: "KR", currency: "KRW", time_zone: "Asia/Seoul" },
    });
    expectProblem(response, 403);
    expect(await marketRows(code)).toBe(0);

    const plain = await insertApiKey();
    const market = await createMarket({ key: plain.key });
    expect(await ok("GET", `/api/v1/markets/${market.id}`, { key: scoped.key })).toEqual(market);
    expect(await ok("GET", `/api/v1/markets?code=${market.code}`, { key: scoped.key })).toEqual({
      data: [market],
      next_cursor: null,
    });
  });
});

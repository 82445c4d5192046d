import { createHash } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { landings, products, redirectRules } from "../../db/schema/catalog.ts";
import { apiKeys } from "../../db/schema/ops.ts";
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

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

describe("authentication", () => {
  it("refuses a request without a key", async () => {
    const response = await call("GET", "/api/v1/brands", { key: null });
    const problem = expectProblem(response, 401);
    expect(problem).toMatchObject({
      type: "urn:leadrail:problem:unauthorized",
      detail: "Send an API key as `Authorization: Bearer <key>`.",
    });
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="leadrail"');
    expect(response.headers.get("x-request-id")).toBe((response.body as { request_id: string }).request_id);
  });

  it("refuses other schemes, unknown keys and garbage", async () => {
    expectProblem(
      await call("GET", "/api/v1/brands", { key: null, headers: { authorization: "Basic dXNlcjpwYXNz" } }),
      401,
    );
    expectProblem(
      await call("GET", "/api/v1/brands", { key: null, headers: { authorization: "Bearer" } }),
      401,
    );
    for (const key of [`lr_${"a".repeat(32)}`, "garbage", "lr_", `lr_${"x".repeat(300)}`]) {
      const response = await call("GET", "/api/v1/brands", { key });
      expect(expectProblem(response, 401).detail).toBe("Unknown API key.");
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="leadrail", error="invalid_token"');
    }
  });

  it("refuses a revoked key", async () => {
    const revoked = await insertApiKey({ revoked: true });
    expect(expectProblem(await call("GET", "/api/v1/brands", { key: revoked.key }), 401).detail).toBe(
      "This API key has been revoked.",
    );
  });

  it("revokes a key through the API; it stops working at once", async () => {
    const key = await insertApiKey();
    expect((await call("GET", "/api/v1/themes", { key: key.key })).status).toBe(200);
    const revoked = await ok("DELETE", `/api/v1/api-keys/${ids.encode("apiKey", key.id)}`);
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expectProblem(await call("GET", "/api/v1/themes", { key: key.key }), 401);
    // Revoking again changes nothing.
    expect(await ok("DELETE", `/api/v1/api-keys/${ids.encode("apiKey", key.id)}`)).toMatchObject({
      revoked_at: revoked.revoked_at,
    });
  });

  it("records when a key was used, after the response", async () => {
    const key = await insertApiKey();
    await ok("GET", "/api/v1/themes?limit=1", { key: key.key });
    let lastUsed: Date | null = null;
    for (let attempt = 0; attempt < 50 && lastUsed === null; attempt += 1) {
      const [row] = await withDb((db) =>
        db.select({ lastUsedAt: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, key.id)),
      );
      lastUsed = row?.lastUsedAt ?? null;
      if (lastUsed === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lastUsed).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - (lastUsed?.getTime() ?? 0))).toBeLessThan(60_000);
  });

  it("serves /healthz, /openapi.json and /docs without a key", async () => {
    expect((await call("GET", "/healthz", { key: null })).status).toBe(200);
    expect((await call("GET", "/openapi.json", { key: null })).status).toBe(200);
    expect((await call("GET", "/docs", { key: null })).status).toBe(200);
  });
});

describe("API keys", () => {
  it("creates a key, shows its secret once and stores only its hash", async () => {
    const tenant = await createTenant();
    const response = await call("POST", "/api/v1/api-keys", {
      body: { name: "Shop connector", brands: [tenant.brand.id] },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const created = response.body;
    expect(created).toEqual({
      id: expect.any(String),
      name: "Shop connector",
      prefix: created.key.slice(0, 12),
      brands: [tenant.brand.id],
      is_admin: false,
      created_at: expect.any(String),
      last_used_at: null,
      revoked_at: null,
      key: expect.stringMatching(/^lr_[0-9A-Za-z]{32}$/),
    });
    const [row] = await withDb((db) =>
      db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.id, ids.decode("apiKey", created.id) ?? 0)),
    );
    expect(row).toMatchObject({
      keyHash: sha256(created.key),
      brandIds: [tenant.internal.brand],
      isAdmin: false,
    });
    expect(JSON.stringify(row)).not.toContain(created.key);

    // The new key works, limited to its brand.
    const brands = await ok("GET", "/api/v1/brands?limit=200", { key: created.key });
    expect(brands.data.map((brand: { id: string }) => brand.id)).toEqual([tenant.brand.id]);

    // Keys are listed oldest first and the suite makes many: page on until the new one.
    let list = await ok("GET", "/api/v1/api-keys?limit=200");
    let listed = list.data.find((key: { id: string }) => key.id === created.id);
    while (!listed && list.next_cursor) {
      list = await ok("GET", `/api/v1/api-keys?limit=200&cursor=${encodeURIComponent(list.next_cursor)}`);
      listed = list.data.find((key: { id: string }) => key.id === created.id);
    }
    // last_used_at is written after the response, so it may or may not be there yet.
    const { key: _secret, last_used_at: _createdUse, ...shown } = created;
    const { last_used_at: _listedUse, ...listedShown } = listed;
    expect(listedShown).toEqual(shown);
    expect(Object.keys(listed).sort()).toEqual(Object.keys(shown).concat("last_used_at").sort());
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(JSON.stringify(list)).not.toContain(sha256(created.key));
    expect(numericIdFields(list)).toEqual([]);
  });

  it("refuses bad key requests", async () => {
    const tenant = await createTenant();
    expectProblem(
      await call("POST", "/api/v1/api-keys", {
        body: { name: "x", brands: [tenant.brand.id], is_admin: true },
      }),
      422,
      [{ field: "is_admin", category: "not_allowed" }],
    );
    expectProblem(
      await call("POST", "/api/v1/api-keys", {
        body: { name: "x", brands: ["nope", ids.encode("brand", 2 ** 40)] },
      }),
      422,
      [{ field: "brands.0", category: "malformed" }],
    );
    expectProblem(
      await call("POST", "/api/v1/api-keys", { body: { name: "x", brands: [ids.encode("brand", 2 ** 40)] } }),
      422,
      [{ field: "brands.0", category: "not_found" }],
    );
    expectProblem(await call("POST", "/api/v1/api-keys", { body: { brands: [] } }), 422, [
      { field: "name", category: "missing" },
      { field: "brands", category: "too_short" },
    ]);
  });

  it("is admin only", async () => {
    const plain = await insertApiKey();
    expectProblem(await call("POST", "/api/v1/api-keys", { key: plain.key, body: { name: "x" } }), 403);
    expectProblem(await call("GET", "/api/v1/api-keys", { key: plain.key }), 403);
    expectProblem(
      await call("DELETE", `/api/v1/api-keys/${ids.encode("apiKey", plain.id)}`, { key: plain.key }),
      403,
    );
    const problem = expectProblem(await call("POST", "/api/v1/admin/publish", { key: plain.key }), 403);
    expect(problem).toMatchObject({
      type: "urn:leadrail:problem:forbidden",
      detail: "This needs an admin API key.",
    });
  });
});

describe("brand scope", () => {
  it("a key limited to one brand cannot see or change another brand's resources", async () => {
    const mine = await createTenant();
    const theirs = await createTenant();
    const key = (await insertApiKey({ brandIds: [mine.internal.brand] })).key;

    expect((await ok("GET", `/api/v1/brands/${mine.brand.id}`, { key })).id).toBe(mine.brand.id);
    expect((await ok("GET", `/api/v1/landings/${mine.landing.id}`, { key })).id).toBe(mine.landing.id);
    for (const path of [
      `/api/v1/brands/${theirs.brand.id}`,
      `/api/v1/products/${theirs.product.id}`,
      `/api/v1/landings/${theirs.landing.id}`,
      `/api/v1/products?brand=${theirs.brand.id}`,
      `/api/v1/landings?brand=${theirs.brand.id}`,
      `/api/v1/rules?brand=${theirs.brand.id}`,
    ]) {
      expect(expectProblem(await call("GET", path, { key }), 403).type, path).toBe(
        "urn:leadrail:problem:forbidden",
      );
    }
    const productList = await ok("GET", "/api/v1/products?limit=200", { key });
    expect(productList.data.map((product: { id: string }) => product.id)).toEqual([mine.product.id]);
    const landingList = await ok("GET", "/api/v1/landings?limit=200", { key });
    expect(landingList.data.map((landing: { id: string }) => landing.id)).toEqual([mine.landing.id]);

    // Writes for another brand are refused and write nothing.
    const countOf = async (table: typeof products | typeof landings | typeof redirectRules) =>
      withDb(async (db) => {
        const [row] = await db
          .select({ n: count() })
          .from(table)
          .where(eq(table.brandId, theirs.internal.brand));
        return row?.n;
      });
    const before = [await countOf(products), await countOf(landings), await countOf(redirectRules)];
    expectProblem(
      await call("POST", "/api/v1/products", {
        key,
        body: { brand: theirs.brand.id, name: "x", sku: rand() },
      }),
      403,
    );
    expectProblem(
      await call("POST", "/api/v1/landings", {
        key,
        body: {
          name: "x",
          brand: theirs.brand.id,
          theme: theirs.theme.id,
          partner: theirs.partner.id,
          product: theirs.product.id,
          fallback_url: "https://x.example/",
        },
      }),
      403,
    );
    expectProblem(
      await call("PATCH", `/api/v1/landings/${theirs.landing.id}`, { key, body: { active: false } }),
      403,
    );
    expectProblem(
      await call("POST", "/api/v1/rules", {
        key,
        body: { brand: theirs.brand.id, target_url: "https://x.example/" },
      }),
      403,
    );
    // A rule for every brand would reach other brands' landings.
    expectProblem(
      await call("POST", "/api/v1/rules", { key, body: { target_url: "https://x.example/" } }),
      403,
    );
    expect([await countOf(products), await countOf(landings), await countOf(redirectRules)]).toEqual(before);
    expect((await ok("GET", `/api/v1/landings/${theirs.landing.id}`)).active).toBe(true);

    // Shared catalog changes need a key for every brand.
    expectProblem(
      await call("POST", "/api/v1/brands", { key, body: { name: "x", slug: `x-${rand()}` } }),
      403,
    );
    expectProblem(
      await call("POST", "/api/v1/themes", { key, body: { name: "x", slug: `x-${rand()}` } }),
      403,
    );
    expectProblem(
      await call("POST", "/api/v1/partners", { key, body: { name: "x", slug: `x-${rand()}` } }),
      403,
    );

    // Its own brand works.
    const rule = await ok("POST", "/api/v1/rules", {
      key,
      body: { brand: mine.brand.id, target_url: "https://mine.example/" },
    });
    const theirRule = await ok("POST", "/api/v1/rules", {
      body: { brand: theirs.brand.id, target_url: "https://theirs.example/" },
    });
    expectProblem(await call("GET", `/api/v1/rules/${theirRule.id}`, { key }), 403);
    expectProblem(await call("PATCH", `/api/v1/rules/${theirRule.id}`, { key, body: { priority: 1 } }), 403);
    expectProblem(await call("DELETE", `/api/v1/rules/${theirRule.id}`, { key }), 403);
    expectProblem(
      await call("PATCH", `/api/v1/rules/${rule.id}`, { key, body: { brand: theirs.brand.id } }),
      403,
    );
    expect(await ok("DELETE", `/api/v1/rules/${rule.id}`, { key })).toMatchObject({ id: rule.id });
  });
});

import { env } from "cloudflare:workers";
import { OpenAPIHono } from "@hono/zod-openapi";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { HonoEnv } from "../../api/hono-env.ts";
import { onError } from "../../api/middleware/errors.ts";
import { brands, landings, partners, type products, redirectRules } from "../../db/schema/catalog.ts";
import { call, createTenant, expectProblem, ids, ok, rand, withDb } from "../support/api.ts";

/** An id of the right kind that no row has. */
const missing = (kind: Parameters<typeof ids.encode>[0]) =>
  ids.encode(kind, 2 ** 40 + Math.floor(Math.random() * 1e6));

const countWhere = (table: typeof landings | typeof redirectRules | typeof products, brandId: number) =>
  withDb(async (db) => {
    const [row] = await db.select({ n: count() }).from(table).where(eq(table.brandId, brandId));
    return row?.n ?? -1;
  });

describe("validation: 422 naming every bad field, nothing written", () => {
  it("brand: missing, malformed and unknown fields", async () => {
    expectProblem(await call("POST", "/api/v1/brands", { body: {} }), 422, [
      { field: "name", category: "missing" },
      { field: "slug", category: "missing" },
    ]);
    const slug = `Bad Slug ${rand()}`;
    const response = await call("POST", "/api/v1/brands", {
      body: { name: 5, slug, domain: "not a host", colour: "red" },
    });
    const problem = expectProblem(response, 422, [
      { field: "name", category: "malformed" },
      { field: "slug", category: "malformed" },
      { field: "domain", category: "malformed" },
      { field: "colour", category: "not_allowed" },
    ]);
    expect(problem).toMatchObject({
      type: "urn:leadrail:problem:validation-failed",
      title: "Validation failed",
      instance: "/api/v1/brands",
    });
    expectProblem(await call("POST", "/api/v1/brands", { body: { name: "", slug: "x".repeat(65) } }), 422, [
      { field: "name", category: "too_short" },
      { field: "slug", category: "too_long" },
    ]);
    const rows = await withDb((db) => db.select().from(brands).where(eq(brands.slug, slug)));
    expect(rows).toEqual([]);
  });

  it("brand: a taken slug is a 409 conflict", async () => {
    const slug = `taken-${rand()}`;
    await ok("POST", "/api/v1/brands", { body: { name: "First", slug } });
    const problem = expectProblem(
      await call("POST", "/api/v1/brands", { body: { name: "Second", slug } }),
      409,
      [{ field: "slug", category: "conflict" }],
    );
    expect(problem.type).toBe("urn:leadrail:problem:conflict");
    const rows = await withDb((db) =>
      db.select({ name: brands.name }).from(brands).where(eq(brands.slug, slug)),
    );
    expect(rows).toEqual([{ name: "First" }]);
  });

  it("partner: bad postback template, method, events and parameter names", async () => {
    const slug = `p-${rand()}`;
    expectProblem(
      await call("POST", "/api/v1/partners", {
        body: {
          name: "P",
          slug,
          click_id_param: "has space",
          postback_url: "https://{click_id}.evil.example/?p={payout}&x={secret}",
          postback_method: "put",
          postback_events: ["sale", "sale"],
        },
      }),
      422,
      [
        { field: "click_id_param", category: "malformed" },
        { field: "postback_url", category: "malformed" },
        { field: "postback_method", category: "not_allowed" },
        { field: "postback_events", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/partners", {
        body: { name: "P", slug, postback_url: "ftp://x.example/", postback_events: [] },
      }),
      422,
      [
        { field: "postback_url", category: "malformed" },
        { field: "postback_events", category: "too_short" },
      ],
    );
    const rows = await withDb((db) => db.select().from(partners).where(eq(partners.slug, slug)));
    expect(rows).toEqual([]);
  });

  it("landing: shape errors, then every bad reference at once; nothing written or published", async () => {
    const tenant = await createTenant();
    const before = await countWhere(landings, tenant.internal.brand);
    expectProblem(
      await call("POST", "/api/v1/landings", {
        body: {
          name: "L",
          brand: tenant.brand.id,
          theme: tenant.theme.id,
          partner: tenant.partner.id,
          product: tenant.product.id,
          fallback_url: "javascript:alert(1)",
          active: "yes",
        },
      }),
      422,
      [
        { field: "fallback_url", category: "malformed" },
        { field: "active", category: "malformed" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/landings", {
        body: { name: "L", brand: tenant.brand.id, fallback_url: "/relative" },
      }),
      422,
      [
        { field: "theme", category: "missing" },
        { field: "partner", category: "missing" },
        { field: "product", category: "missing" },
        { field: "fallback_url", category: "malformed" },
      ],
    );
    const problem = expectProblem(
      await call("POST", "/api/v1/landings", {
        body: {
          name: "L",
          brand: "not-a-hash-id!",
          theme: missing("theme"),
          partner: tenant.brand.id,
          product: tenant.product.id,
          fallback_url: "https://ok.example/",
        },
      }),
      422,
      [
        { field: "brand", category: "malformed" },
        { field: "theme", category: "not_found" },
        { field: "partner", category: "malformed" },
      ],
    );
    expect(problem.errors).toEqual([
      { field: "brand", category: "malformed", message: "Not a brand id." },
      { field: "theme", category: "not_found", message: "No such theme." },
      { field: "partner", category: "malformed", message: "Not a partner id." },
    ]);

    const other = await createTenant();
    expectProblem(
      await call("POST", "/api/v1/landings", {
        body: {
          name: "L",
          brand: tenant.brand.id,
          theme: tenant.theme.id,
          partner: tenant.partner.id,
          product: other.product.id,
          fallback_url: "https://ok.example/",
        },
      }),
      422,
      [{ field: "product", category: "not_allowed" }],
    );
    expect(await countWhere(landings, tenant.internal.brand)).toBe(before);
  });

  it("landing patch: bad fields change nothing, in Postgres or KV", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const before = await ok("GET", `/api/v1/landings/${tenant.landing.id}`);
    const docBefore = await env.EDGE_CONFIG.get(`landing:${tenant.internal.landing}`);
    expectProblem(
      await call("PATCH", `/api/v1/landings/${tenant.landing.id}`, {
        body: { fallback_url: "mailto:x@y.z", brand: other.brand.id },
      }),
      422,
      [
        { field: "fallback_url", category: "malformed" },
        { field: "brand", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("PATCH", `/api/v1/landings/${tenant.landing.id}`, {
        body: { product: other.product.id, active: false },
      }),
      422,
      [{ field: "product", category: "not_allowed" }],
    );
    expect(await ok("GET", `/api/v1/landings/${tenant.landing.id}`)).toEqual(before);
    expect(await env.EDGE_CONFIG.get(`landing:${tenant.internal.landing}`)).toBe(docBefore);
  });

  it("rule: bad targets, knowledge, priority and references; nothing written", async () => {
    const tenant = await createTenant();
    const before = await countWhere(redirectRules, tenant.internal.brand);
    expectProblem(
      await call("POST", "/api/v1/rules", {
        body: {
          brand: tenant.brand.id,
          knowledge: "sometimes",
          priority: 1.5,
          target_url: "https://{utm_source}.evil.example/{nope}",
        },
      }),
      422,
      [
        { field: "knowledge", category: "not_allowed" },
        { field: "priority", category: "malformed" },
        { field: "target_url", category: "not_allowed" },
        { field: "target_url", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/rules", {
        body: { brand: tenant.brand.id, priority: 10_000_000, target_url: "javascript:alert(1)" },
      }),
      422,
      [
        { field: "priority", category: "out_of_range" },
        { field: "target_url", category: "malformed" },
      ],
    );
    expectProblem(await call("POST", "/api/v1/rules", { body: { brand: tenant.brand.id } }), 422, [
      { field: "target_url", category: "missing" },
    ]);
    const other = await createTenant();
    expectProblem(
      await call("POST", "/api/v1/rules", {
        body: {
          brand: tenant.brand.id,
          theme: "zz",
          partner: missing("partner"),
          product: other.product.id,
          target_url: "https://ok.example/",
        },
      }),
      422,
      [
        { field: "theme", category: "malformed" },
        { field: "partner", category: "not_found" },
        { field: "product", category: "not_allowed" },
      ],
    );
    expect(await countWhere(redirectRules, tenant.internal.brand)).toBe(before);
  });

  it("rule patch: a bad change leaves the rule and the published document as they were", async () => {
    const tenant = await createTenant();
    const rule = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, target_url: "https://ok.example/" },
    });
    const docBefore = await env.EDGE_CONFIG.get("rules");
    expectProblem(
      await call("PATCH", `/api/v1/rules/${rule.id}`, { body: { target_url: "http://x.example/{email}" } }),
      422,
      [{ field: "target_url", category: "not_allowed" }],
    );
    expectProblem(
      await call("PATCH", `/api/v1/rules/${rule.id}`, { body: { brand: missing("brand") } }),
      422,
      [{ field: "brand", category: "not_found" }],
    );
    expect(await ok("GET", `/api/v1/rules/${rule.id}`)).toEqual(rule);
    expect(await env.EDGE_CONFIG.get("rules")).toBe(docBefore);

    // Moving a product rule to another brand would make it unmatchable.
    const productRule = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, product: tenant.product.id, target_url: "https://ok.example/p" },
    });
    const other = await createTenant();
    expectProblem(
      await call("PATCH", `/api/v1/rules/${productRule.id}`, { body: { brand: other.brand.id } }),
      422,
      [{ field: "brand", category: "not_allowed" }],
    );
    const moved = await ok("PATCH", `/api/v1/rules/${productRule.id}`, {
      body: { brand: other.brand.id, product: other.product.id },
    });
    expect(moved).toMatchObject({ brand: other.brand.id, product: other.product.id });
  });

  it("product: unknown brand", async () => {
    expectProblem(
      await call("POST", "/api/v1/products", { body: { brand: missing("brand"), name: "P", sku: "S" } }),
      422,
      [{ field: "brand", category: "not_found" }],
    );
  });

  it("query parameters", async () => {
    expectProblem(await call("GET", "/api/v1/brands?limit=0"), 422, [
      { field: "limit", category: "out_of_range" },
    ]);
    expectProblem(await call("GET", "/api/v1/brands?limit=201"), 422, [
      { field: "limit", category: "out_of_range" },
    ]);
    expectProblem(await call("GET", "/api/v1/brands?limit=abc"), 422, [
      { field: "limit", category: "malformed" },
    ]);
    expectProblem(await call("GET", "/api/v1/brands?cursor=garbage"), 422, [
      { field: "cursor", category: "malformed" },
    ]);
    const tenant = await createTenant();
    // A cursor is a hash id of the listed kind only.
    expectProblem(await call("GET", `/api/v1/brands?cursor=${tenant.product.id}`), 422, [
      { field: "cursor", category: "malformed" },
    ]);
    expectProblem(await call("GET", "/api/v1/landings?brand=zz"), 422, [
      { field: "brand", category: "malformed" },
    ]);
  });
});

describe("text Postgres cannot store", () => {
  it("a NUL anywhere in a body or a query is a 422 naming the field, and nothing is written", async () => {
    const slug = `nul-${rand()}`;
    expectProblem(await call("POST", "/api/v1/brands", { body: { name: "Glow\u0000Lab", slug } }), 422, [
      { field: "name", category: "malformed" },
    ]);
    const rows = await withDb((db) => db.select().from(brands).where(eq(brands.slug, slug)));
    expect(rows).toEqual([]);
    const tenant = await createTenant();
    expectProblem(
      await call("PATCH", `/api/v1/landings/${tenant.landing.id}`, { body: { name: "\u0000" } }),
      422,
      [{ field: "name", category: "malformed" }],
    );
    expectProblem(
      await call("GET", `/api/v1/contacts?email=${encodeURIComponent("ana\u0000@example.com")}`),
      422,
      [{ field: "email", category: "malformed" }],
    );
  });
});

describe("protocol errors", () => {
  it("malformed JSON is a 400", async () => {
    const problem = expectProblem(await call("POST", "/api/v1/brands", { rawBody: '{"name": "x",' }), 400);
    expect(problem).toMatchObject({
      type: "urn:leadrail:problem:bad-request",
      detail: "The request body is not valid JSON.",
      instance: "/api/v1/brands",
    });
  });

  it("a body over 1 MB is a 413, before anything is parsed", async () => {
    const slug = `big-${rand()}`;
    const problem = expectProblem(
      await call("POST", "/api/v1/brands", { body: { name: "x".repeat(1024 * 1024), slug } }),
      413,
    );
    expect(problem.type).toBe("urn:leadrail:problem:payload-too-large");
    const rows = await withDb((db) => db.select().from(brands).where(eq(brands.slug, slug)));
    expect(rows).toEqual([]);
  });

  it("a body that is not JSON is a 415", async () => {
    expectProblem(
      await call("POST", "/api/v1/brands", { rawBody: "name=x", headers: { "content-type": "text/plain" } }),
      415,
    );
  });

  it("unknown ids and unknown endpoints are 404s", async () => {
    const tenant = await createTenant();
    for (const path of [
      `/api/v1/brands/${missing("brand")}`,
      "/api/v1/brands/garbage",
      `/api/v1/brands/${tenant.product.id}`,
      `/api/v1/themes/${missing("theme")}`,
      `/api/v1/partners/${missing("partner")}`,
      `/api/v1/products/${tenant.brand.id}`,
      `/api/v1/landings/${missing("landing")}`,
      `/api/v1/rules/${missing("rule")}`,
      "/api/v1/captures/019a8c7e-3f2b-7c4d-9a1e-2b3c4d5e6f70",
      "/api/v1/nothing-here",
    ]) {
      const problem = expectProblem(await call("GET", path), 404);
      expect(problem.type).toBe("urn:leadrail:problem:not-found");
      expect(problem.instance).toBe(path);
    }
    expectProblem(
      await call("PATCH", `/api/v1/landings/${missing("landing")}`, { body: { active: false } }),
      404,
    );
    expectProblem(await call("PATCH", `/api/v1/rules/${missing("rule")}`, { body: { priority: 1 } }), 404);
  });

  it("a capture id that is not a UUID is a 422", async () => {
    expectProblem(await call("GET", "/api/v1/captures/not-a-uuid"), 422, [
      { field: "id", category: "malformed" },
    ]);
  });

  it("an unexpected error is an opaque 500 that leaks nothing", async () => {
    const app = new OpenAPIHono<HonoEnv>();
    app.onError(onError);
    app.get("/boom", () => {
      throw new Error("Failed query: select secret_column\nparams: hunter2@example.com");
    });
    const response = await app.request("/boom", {}, env);
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text)).toMatchObject({
      type: "urn:leadrail:problem:internal",
      status: 500,
      detail: "Something went wrong on our side; quote the request id.",
    });
  });
});

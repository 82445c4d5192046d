import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LandingDoc } from "../../domain/routing/edge-config.ts";
import { call, createTenant, ids, numericIdFields, ok, rand } from "../support/api.ts";

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("catalog: create, get, list", () => {
  it("creates a brand and returns it with a hash id", async () => {
    const slug = `brand-${rand()}`;
    const response = await call("POST", "/api/v1/brands", {
      body: { name: "Acme Skincare", slug, domain: "acme.example" },
    });
    expect(response.status).toBe(201);
    const brand = response.body;
    expect(brand).toEqual({
      id: expect.any(String),
      name: "Acme Skincare",
      slug,
      domain: "acme.example",
      created_at: expect.stringMatching(isoPattern),
    });
    expect(ids.decode("brand", brand.id)).toBeGreaterThan(0);
    expect(response.headers.get("location")).toBe(`/api/v1/brands/${brand.id}`);
    expect(await ok("GET", `/api/v1/brands/${brand.id}`)).toEqual(brand);
  });

  it("creates a theme, a partner and a product", async () => {
    const suffix = rand();
    const theme = await ok("POST", "/api/v1/themes", {
      body: { name: "Summer sale", slug: `summer-${suffix}` },
    });
    expect(theme).toEqual({
      id: expect.any(String),
      name: "Summer sale",
      slug: `summer-${suffix}`,
      created_at: expect.stringMatching(isoPattern),
    });
    expect(await ok("GET", `/api/v1/themes/${theme.id}`)).toEqual(theme);

    const partner = await ok("POST", "/api/v1/partners", {
      body: {
        name: "AffNet",
        slug: `affnet-${suffix}`,
        click_id_param: "aff_click_id",
        transaction_id_param: "aff_tx",
        postback_url: "https://postback.affnet.example/c?click={click_id}&tx={transaction_id}&e={event}",
        postback_method: "post",
        postback_events: ["lead_accepted", "sale"],
      },
    });
    expect(partner).toEqual({
      id: expect.any(String),
      name: "AffNet",
      slug: `affnet-${suffix}`,
      click_id_param: "aff_click_id",
      transaction_id_param: "aff_tx",
      postback_url: "https://postback.affnet.example/c?click={click_id}&tx={transaction_id}&e={event}",
      postback_method: "post",
      postback_events: ["lead_accepted", "sale"],
      postback_content_type: "json",
      postback_headers: {},
      has_signing_secret: false,
      payout: 0,
      payout_currency: null,
      postback_delay_seconds: 0,
      postback_failure_limit: 25,
      postback_consecutive_failures: 0,
      postbacks_paused_at: null,
      created_at: expect.stringMatching(isoPattern),
    });
    expect(await ok("GET", `/api/v1/partners/${partner.id}`)).toEqual(partner);

    const defaults = await ok("POST", "/api/v1/partners", {
      body: { name: "Direct", slug: `direct-${suffix}` },
    });
    expect(defaults).toMatchObject({
      click_id_param: "click_id",
      transaction_id_param: "transaction_id",
      postback_url: null,
      postback_method: "get",
      postback_events: ["lead_accepted"],
    });

    const brand = await ok("POST", "/api/v1/brands", { body: { name: "B", slug: `b-${suffix}` } });
    const product = await ok("POST", "/api/v1/products", {
      body: { brand: brand.id, name: "Hydra serum", sku: "SERUM-30" },
    });
    expect(product).toEqual({
      id: expect.any(String),
      brand: brand.id,
      name: "Hydra serum",
      sku: "SERUM-30",
      created_at: expect.stringMatching(isoPattern),
    });
    expect(await ok("GET", `/api/v1/products/${product.id}`)).toEqual(product);
  });

  it("creates a landing and publishes its exact LandingDoc to KV", async () => {
    const tenant = await createTenant();
    const landing = await ok("GET", `/api/v1/landings/${tenant.landing.id}`);
    expect(landing).toEqual({
      id: tenant.landing.id,
      name: expect.stringMatching(/^Landing /),
      brand: tenant.brand.id,
      theme: tenant.theme.id,
      partner: tenant.partner.id,
      product: tenant.product.id,
      fallback_url: tenant.landing.fallback_url,
      active: true,
      path: `/l/${tenant.landing.id}`,
      created_at: expect.stringMatching(isoPattern),
      updated_at: expect.stringMatching(isoPattern),
    });
    const doc = await env.EDGE_CONFIG.get<LandingDoc>(`landing:${tenant.internal.landing}`, "json");
    expect(doc).toEqual({
      v: 1,
      id: tenant.internal.landing,
      brandId: tenant.internal.brand,
      themeId: tenant.internal.theme,
      partnerId: tenant.internal.partner,
      productId: tenant.internal.product,
      fallbackUrl: tenant.landing.fallback_url,
      active: true,
      clickIdParam: "aff_click",
      transactionIdParam: "aff_tx",
    });
  });

  it("patches a landing and republishes it", async () => {
    const tenant = await createTenant();
    const patched = await ok("PATCH", `/api/v1/landings/${tenant.landing.id}`, {
      body: { fallback_url: "https://changed.example/", active: false, name: "Renamed" },
    });
    expect(patched).toMatchObject({
      id: tenant.landing.id,
      name: "Renamed",
      fallback_url: "https://changed.example/",
      active: false,
      brand: tenant.brand.id,
    });
    const doc = await env.EDGE_CONFIG.get<LandingDoc>(`landing:${tenant.internal.landing}`, "json");
    expect(doc).toMatchObject({ fallbackUrl: "https://changed.example/", active: false });

    const suffix = rand();
    const partner = await ok("POST", "/api/v1/partners", {
      body: { name: "Other", slug: `other-${suffix}`, click_id_param: "cid", transaction_id_param: "tid" },
    });
    await ok("PATCH", `/api/v1/landings/${tenant.landing.id}`, { body: { partner: partner.id } });
    const moved = await env.EDGE_CONFIG.get<LandingDoc>(`landing:${tenant.internal.landing}`, "json");
    expect(moved).toEqual({
      v: 1,
      id: tenant.internal.landing,
      brandId: tenant.internal.brand,
      themeId: tenant.internal.theme,
      partnerId: ids.decode("partner", partner.id),
      productId: tenant.internal.product,
      fallbackUrl: "https://changed.example/",
      active: false,
      clickIdParam: "cid",
      transactionIdParam: "tid",
    });
  });

  it("lists with cursor pagination, oldest first, and filters by brand", async () => {
    const tenant = await createTenant();
    const more: { id: string }[] = [];
    for (const name of ["A", "B", "C"]) {
      more.push(
        await ok("POST", "/api/v1/products", {
          body: { brand: tenant.brand.id, name, sku: `SKU-${name}-${rand()}` },
        }),
      );
    }
    const expected = [tenant.product.id, ...more.map((product) => product.id)].sort(
      (a, b) => (ids.decode("product", a) ?? 0) - (ids.decode("product", b) ?? 0),
    );
    const first = await ok("GET", `/api/v1/products?brand=${tenant.brand.id}&limit=3`);
    expect(first.data.map((product: { id: string }) => product.id)).toEqual(expected.slice(0, 3));
    expect(first.next_cursor).toBe(expected[2]);
    const second = await ok(
      "GET",
      `/api/v1/products?brand=${tenant.brand.id}&limit=3&cursor=${first.next_cursor}`,
    );
    expect(second.data.map((product: { id: string }) => product.id)).toEqual(expected.slice(3));
    expect(second.next_cursor).toBeNull();

    const landings = await ok("GET", `/api/v1/landings?brand=${tenant.brand.id}`);
    expect(landings.data.map((landing: { id: string }) => landing.id)).toEqual([tenant.landing.id]);

    for (const path of ["brands", "themes", "partners"]) {
      const page = await ok("GET", `/api/v1/${path}?limit=200`);
      expect(page.data.length).toBeGreaterThan(0);
      expect(numericIdFields(page)).toEqual([]);
    }
  });

  it("never shows a sequential id", async () => {
    const tenant = await createTenant();
    for (const path of [
      `/api/v1/brands/${tenant.brand.id}`,
      `/api/v1/themes/${tenant.theme.id}`,
      `/api/v1/partners/${tenant.partner.id}`,
      `/api/v1/products/${tenant.product.id}`,
      `/api/v1/landings/${tenant.landing.id}`,
      `/api/v1/landings?brand=${tenant.brand.id}`,
    ]) {
      const body = await ok("GET", path);
      expect(numericIdFields(body), path).toEqual([]);
      expect(JSON.stringify(body)).not.toContain(`"id":${tenant.internal.brand}`);
    }
  });
});

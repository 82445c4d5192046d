import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { redirectRules } from "../../db/schema/catalog.ts";
import type { RuleDoc, RulesDoc } from "../../domain/routing/edge-config.ts";
import { call, createTenant, expectProblem, ids, ok, type Tenant, withDb } from "../support/api.ts";

async function rulesDoc(): Promise<RulesDoc> {
  const doc = await env.EDGE_CONFIG.get<RulesDoc>("rules", "json");
  if (!doc) throw new Error("no rules document in KV");
  return doc;
}

/** The active rules in Postgres, as the document must list them. */
const activeRuleIds = () =>
  withDb(async (db) =>
    (
      await db
        .select({ id: redirectRules.id })
        .from(redirectRules)
        .where(eq(redirectRules.active, true))
        .orderBy(asc(redirectRules.id))
    ).map((row) => row.id),
  );

const ruleId = (hash: string): number => {
  const id = ids.decode("rule", hash);
  if (id === null) throw new Error(`not a rule id: ${hash}`);
  return id;
};

const tenantRules = (doc: RulesDoc, tenant: Tenant): RuleDoc[] =>
  doc.rules.filter((rule) => rule.brandId === tenant.internal.brand);

/** The test's EDGE_CONFIG, except that its first `refusals` writes of the rules document fail as KV's rate limit does. */
function refusingRulesWrites(refusals: number) {
  let puts = 0;
  const real = env.EDGE_CONFIG;
  const namespace = {
    get: real.get.bind(real),
    put(key: string, value: string) {
      if (key !== "rules") return real.put(key, value);
      puts += 1;
      if (puts <= refusals) return Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"));
      return real.put(key, value);
    },
  } as unknown as KVNamespace;
  return { namespace, rulesPuts: () => puts };
}

/** Creates a rule for any visitor of the tenant's brand, publishing through `edgeConfig`. */
const postRule = (tenant: Tenant, targetUrl: string, edgeConfig: KVNamespace) =>
  call("POST", "/api/v1/rules", {
    body: {
      brand: tenant.brand.id,
      theme: "*",
      partner: "*",
      product: "*",
      knowledge: "any",
      priority: 0,
      target_url: targetUrl,
    },
    env: { EDGE_CONFIG: edgeConfig },
  });

describe("redirect rules", () => {
  it("creates a rule and republishes the exact rules document", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const response = await call("POST", "/api/v1/rules", {
      body: {
        brand: tenant.brand.id,
        theme: tenant.theme.id,
        partner: "*",
        product: tenant.product.id,
        knowledge: "known_active_same_brand",
        priority: 5,
        target_url: "https://acme.example/back?c={capture_id}&u={utm_source}",
      },
    });
    expect(response.status).toBe(201);
    const rule = response.body;
    expect(rule).toEqual({
      id: expect.any(String),
      brand: tenant.brand.id,
      theme: tenant.theme.id,
      partner: "*",
      product: tenant.product.id,
      knowledge: "known_active_same_brand",
      priority: 5,
      target_url: "https://acme.example/back?c={capture_id}&u={utm_source}",
      active: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(response.headers.get("location")).toBe(`/api/v1/rules/${rule.id}`);
    expect(await ok("GET", `/api/v1/rules/${rule.id}`)).toEqual(rule);

    const doc = await rulesDoc();
    expect(doc.v).toBe(1);
    expect(Date.parse(doc.publishedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(tenantRules(doc, tenant)).toEqual([
      {
        id: ruleId(rule.id),
        brandId: tenant.internal.brand,
        themeId: tenant.internal.theme,
        partnerId: null,
        productId: tenant.internal.product,
        knowledge: "known_active_same_brand",
        priority: 5,
        targetUrl: "https://acme.example/back?c={capture_id}&u={utm_source}",
      },
    ]);
    // The document is the whole active rule set, in id order (at the time it was read).
    const docIds = doc.rules.map((entry) => entry.id);
    expect(docIds).toEqual([...docIds].sort((a, b) => a - b));
    const active = new Set(await activeRuleIds());
    expect(docIds.every((id) => active.has(id))).toBe(true);
  });

  it("defaults every dimension to * and knowledge to any", async () => {
    // Inactive, so that a rule for every visitor never reaches other tests' edge.
    const rule = await ok("POST", "/api/v1/rules", {
      body: { target_url: "https://everyone.example/", priority: -1000, active: false },
    });
    expect(rule).toMatchObject({
      brand: "*",
      theme: "*",
      partner: "*",
      product: "*",
      knowledge: "any",
      priority: -1000,
      active: false,
    });
    const stored = await withDb((db) =>
      db
        .select()
        .from(redirectRules)
        .where(eq(redirectRules.id, ruleId(rule.id))),
    );
    expect(stored).toMatchObject([
      { brandId: null, themeId: null, partnerId: null, productId: null, knowledge: "any", active: false },
    ]);
    expect((await rulesDoc()).rules.some((entry) => entry.id === ruleId(rule.id))).toBe(false);
    await ok("DELETE", `/api/v1/rules/${rule.id}`);
  });

  it("publishes a rule whose rules document write KV refuses once (one write per second per key) a second later: 201", async () => {
    const tenant = await createTenant();
    const kv = refusingRulesWrites(1);
    const response = await postRule(tenant, "https://acme.example/refused-once", kv.namespace);
    expect(response.status, response.text).toBe(201);
    expect(kv.rulesPuts()).toBe(2);
    const published = tenantRules(await rulesDoc(), tenant);
    expect(published.map((rule) => rule.targetUrl)).toEqual(["https://acme.example/refused-once"]);
    expect(published[0]?.id).toBe(ruleId(response.body.id));
  });

  it("answers 503 when KV refuses the rules document twice; the rule is saved and the next publish sends it", async () => {
    const tenant = await createTenant();
    const kv = refusingRulesWrites(2);
    const response = await postRule(tenant, "https://acme.example/refused-twice", kv.namespace);
    const problem = expectProblem(response, 503);
    expect(problem.detail).toBe(
      "Publishing the rules to the edge failed (a change you made is saved); retry, or call POST /api/v1/admin/publish.",
    );
    expect(kv.rulesPuts()).toBe(2);
    const saved = await withDb((db) =>
      db.select().from(redirectRules).where(eq(redirectRules.brandId, tenant.internal.brand)),
    );
    expect(saved.map((rule) => rule.targetUrl)).toEqual(["https://acme.example/refused-twice"]);
    await ok("POST", "/api/v1/admin/publish");
    expect(tenantRules(await rulesDoc(), tenant).map((rule) => rule.targetUrl)).toEqual([
      "https://acme.example/refused-twice",
    ]);
  });

  it("patches a rule and republishes; an inactive rule leaves the document", async () => {
    const tenant = await createTenant();
    const rule = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, knowledge: "unknown", target_url: "https://a.example/{click_id}" },
    });
    const patched = await ok("PATCH", `/api/v1/rules/${rule.id}`, {
      body: { priority: 7, target_url: "https://b.example/?t={transaction_id}", partner: tenant.partner.id },
    });
    expect(patched).toMatchObject({
      id: rule.id,
      brand: tenant.brand.id,
      partner: tenant.partner.id,
      knowledge: "unknown",
      priority: 7,
      target_url: "https://b.example/?t={transaction_id}",
      active: true,
    });
    expect(tenantRules(await rulesDoc(), tenant)).toEqual([
      {
        id: ruleId(rule.id),
        brandId: tenant.internal.brand,
        themeId: null,
        partnerId: tenant.internal.partner,
        productId: null,
        knowledge: "unknown",
        priority: 7,
        targetUrl: "https://b.example/?t={transaction_id}",
      },
    ]);

    await ok("PATCH", `/api/v1/rules/${rule.id}`, { body: { active: false } });
    expect(tenantRules(await rulesDoc(), tenant)).toEqual([]);
    expect((await ok("GET", `/api/v1/rules/${rule.id}`)).active).toBe(false);

    const back = await ok("PATCH", `/api/v1/rules/${rule.id}`, { body: { active: true, partner: "*" } });
    expect(back.partner).toBe("*");
    expect(tenantRules(await rulesDoc(), tenant).map((entry) => entry.partnerId)).toEqual([null]);
  });

  it("deletes a rule and republishes without it", async () => {
    const tenant = await createTenant();
    const keep = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, target_url: "https://keep.example/" },
    });
    const drop = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, knowledge: "known", target_url: "https://drop.example/" },
    });
    expect(tenantRules(await rulesDoc(), tenant).map((entry) => entry.id)).toEqual([
      ruleId(keep.id),
      ruleId(drop.id),
    ]);
    const deleted = await call("DELETE", `/api/v1/rules/${drop.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: drop.id, target_url: "https://drop.example/" });
    expect(tenantRules(await rulesDoc(), tenant).map((entry) => entry.id)).toEqual([ruleId(keep.id)]);
    expect((await call("GET", `/api/v1/rules/${drop.id}`)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/rules/${drop.id}`)).status).toBe(404);
  });

  it("lists rules by brand", async () => {
    const tenant = await createTenant();
    const a = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, target_url: "https://a.example/" },
    });
    const b = await ok("POST", "/api/v1/rules", {
      body: { brand: tenant.brand.id, active: false, target_url: "https://b.example/" },
    });
    const page = await ok("GET", `/api/v1/rules?brand=${tenant.brand.id}`);
    expect(page).toEqual({ data: [a, b], next_cursor: null });
  });

  it("republishes every landing and the rules document on demand", async () => {
    const tenant = await createTenant();
    await env.EDGE_CONFIG.delete(`landing:${tenant.internal.landing}`);
    await env.EDGE_CONFIG.delete("rules");
    const result = await ok("POST", "/api/v1/admin/publish");
    expect(result).toEqual({
      landings: expect.any(Number),
      partners: expect.any(Number),
      rules: expect.any(Number),
      published_at: expect.any(String),
      next_cursor: null,
    });
    expect(result.landings).toBeGreaterThanOrEqual(1);
    // The same walk publishes the partners after the landings.
    expect(result.partners).toBeGreaterThanOrEqual(1);
    expect(await env.EDGE_CONFIG.get(`landing:${tenant.internal.landing}`, "json")).toMatchObject({
      id: tenant.internal.landing,
      fallbackUrl: tenant.landing.fallback_url,
    });
    const doc = await rulesDoc();
    expect(doc.rules.length).toBe(result.rules);
    expect(doc.publishedAt).toBe(result.published_at);
  });

  it("republishes landings a page at a time, continuing from next_cursor", async () => {
    const first = await createTenant();
    const second = await createTenant();
    const keys = [first, second].map((tenant) => `landing:${tenant.internal.landing}`);
    await Promise.all(keys.map((key) => env.EDGE_CONFIG.delete(key)));
    // Start just before the first tenant's landing: one landing per call.
    const cursor = ids.encode("landing", first.internal.landing - 1);
    const page = await ok("POST", `/api/v1/admin/publish?limit=1&cursor=${cursor}`);
    expect(page).toMatchObject({ landings: 1, next_cursor: first.landing.id });
    expect(await env.EDGE_CONFIG.get(keys[0] ?? "", "json")).toMatchObject({ id: first.internal.landing });
    expect(await env.EDGE_CONFIG.get(keys[1] ?? "")).toBeNull();
    // The rest (other test files may have added landings in between): the last page ends the walk.
    const rest = await ok("POST", `/api/v1/admin/publish?cursor=${page.next_cursor}`);
    expect(rest.landings).toBeGreaterThanOrEqual(1);
    expect(rest.next_cursor).toBeNull();
    expect(await env.EDGE_CONFIG.get(keys[1] ?? "", "json")).toMatchObject({ id: second.internal.landing });
    expectProblem(await call("POST", "/api/v1/admin/publish?cursor=nope"), 422, [
      { field: "cursor", category: "malformed" },
    ]);
    expectProblem(await call("POST", "/api/v1/admin/publish?limit=501"), 422, [
      { field: "limit", category: "out_of_range" },
    ]);
  });
});

import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { relayJobs, relayTargets } from "../../db/schema/relay.ts";
import { call, expectProblem, ids, insertApiKey, ok, rand, withDb } from "../support/api.ts";

interface BrandWithKey {
  id: string;
  internal: number;
  key: string;
}

async function brandWithKey(): Promise<BrandWithKey> {
  const suffix = rand();
  const brand = await ok("POST", "/api/v1/brands", { body: { name: `B ${suffix}`, slug: `b-${suffix}` } });
  const internal = ids.decode("brand", brand.id);
  if (internal === null) throw new Error("brand id does not decode");
  return { id: brand.id, internal, key: (await insertApiKey({ brandIds: [internal] })).key };
}

const targetBody = (brand: string) => ({
  brand,
  name: "Buyer One",
  url: "https://buyer.example/leads",
  headers: { Authorization: "Bearer sk_live_0123456789", "X-Campaign": "spring" },
  signing_secret: "buyer-secret-0123456789",
  field_mapping: { lead_email: "email", fname: "first_name", src: "utm_source", click: "click_id" },
  events: ["lead_accepted", "lead_restored"],
  delay_seconds: 30,
});

const countTargets = (brandId: number) =>
  withDb(async (db) => {
    const [row] = await db.select({ n: count() }).from(relayTargets).where(eq(relayTargets.brandId, brandId));
    return row?.n ?? -1;
  });

let a: BrandWithKey;
let b: BrandWithKey;

beforeAll(async () => {
  a = await brandWithKey();
  b = await brandWithKey();
});

describe("relay targets", () => {
  it("creates, lists, gets, changes and deletes a buyer within its brand", async () => {
    const response = await call("POST", "/api/v1/relay-targets", { key: a.key, body: targetBody(a.id) });
    expect(response.status, response.text).toBe(201);
    const target = response.body;
    expect(target).toEqual({
      id: expect.any(String),
      brand: a.id,
      name: "Buyer One",
      url: "https://buyer.example/leads",
      method: "post",
      content_type: "json",
      headers: { Authorization: "Bearer sk_l****", "X-Campaign": "spring" },
      has_signing_secret: true,
      field_mapping: { lead_email: "email", fname: "first_name", src: "utm_source", click: "click_id" },
      events: ["lead_accepted", "lead_restored"],
      delay_seconds: 30,
      active: true,
      created_at: expect.any(String),
    });
    expect(response.headers.get("location")).toBe(`/api/v1/relay-targets/${target.id}`);
    expect(response.text).not.toContain("buyer-secret");
    expect(response.text).not.toContain("sk_live_0123456789");
    const [row] = await withDb((db) =>
      db
        .select()
        .from(relayTargets)
        .where(eq(relayTargets.id, ids.decode("relayTarget", target.id) ?? 0)),
    );
    expect(row?.signingSecret).toBe("buyer-secret-0123456789");

    expect(await ok("GET", `/api/v1/relay-targets/${target.id}`, { key: a.key })).toEqual(target);
    const listed = await ok("GET", `/api/v1/relay-targets?brand=${a.id}`, { key: a.key });
    expect(listed).toEqual({ data: [target], next_cursor: null });
    // A scoped key lists only its brands' targets, even without a filter.
    const all = await ok("GET", "/api/v1/relay-targets?limit=200", { key: a.key });
    expect(all.data.map((item: { brand: string }) => item.brand)).toEqual([a.id]);

    const changed = await ok("PATCH", `/api/v1/relay-targets/${target.id}`, {
      key: a.key,
      body: {
        method: "get",
        field_mapping: { e: "email_sha256" },
        signing_secret: null,
        active: false,
        headers: {},
      },
    });
    expect(changed).toEqual({
      ...target,
      method: "get",
      field_mapping: { e: "email_sha256" },
      has_signing_secret: false,
      active: false,
      headers: {},
    });
    expect(await ok("PATCH", `/api/v1/relay-targets/${target.id}`, { key: a.key, body: {} })).toEqual(
      changed,
    );

    expect(await ok("DELETE", `/api/v1/relay-targets/${target.id}`, { key: a.key })).toEqual(changed);
    expectProblem(await call("GET", `/api/v1/relay-targets/${target.id}`, { key: a.key }), 404);
    expect(await countTargets(a.internal)).toBe(0);
  });

  it("refuses a target with relay jobs on delete (409) and keeps it", async () => {
    const target = await ok("POST", "/api/v1/relay-targets", { key: a.key, body: targetBody(a.id) });
    const targetId = ids.decode("relayTarget", target.id) ?? 0;
    await withDb((db) =>
      db.insert(relayJobs).values({
        kind: "lead_relay",
        event: "lead_accepted",
        relayTargetId: targetId,
        payload: { method: "post", url: "https://buyer.example/leads", body: {} },
      }),
    );
    expectProblem(await call("DELETE", `/api/v1/relay-targets/${target.id}`, { key: a.key }), 409);
    expect(await ok("GET", `/api/v1/relay-targets/${target.id}`, { key: a.key })).toEqual(target);
  });

  it("is brand-scoped: 403 across brands on every verb, nothing written", async () => {
    const target = await ok("POST", "/api/v1/relay-targets", { key: a.key, body: targetBody(a.id) });
    expectProblem(await call("GET", `/api/v1/relay-targets/${target.id}`, { key: b.key }), 403);
    expectProblem(
      await call("PATCH", `/api/v1/relay-targets/${target.id}`, { key: b.key, body: { active: false } }),
      403,
    );
    expectProblem(await call("DELETE", `/api/v1/relay-targets/${target.id}`, { key: b.key }), 403);
    expectProblem(await call("GET", `/api/v1/relay-targets?brand=${a.id}`, { key: b.key }), 403);
    const before = await countTargets(a.internal);
    expectProblem(await call("POST", "/api/v1/relay-targets", { key: b.key, body: targetBody(a.id) }), 403);
    expect(await countTargets(a.internal)).toBe(before);
    expect(await ok("GET", `/api/v1/relay-targets/${target.id}`, { key: a.key })).toEqual(target);
  });

  it("validates the mapping, URL, headers and events with 422 naming each field; nothing written", async () => {
    const before = await countTargets(a.internal);
    expectProblem(
      await call("POST", "/api/v1/relay-targets", {
        key: a.key,
        body: {
          brand: a.id,
          name: " ",
          url: "ftp://buyer.example/",
          method: "redirect",
          headers: { Host: "x" },
          field_mapping: { ok: "email", bad: "password", "no spaces": "email" },
          events: ["sale"],
          delay_seconds: -1,
        },
      }),
      422,
      [
        { field: "name", category: "too_short" },
        { field: "url", category: "malformed" },
        { field: "method", category: "not_allowed" },
        { field: "headers.Host", category: "not_allowed" },
        { field: "field_mapping.no spaces", category: "malformed" },
        { field: "events.0", category: "not_allowed" },
        { field: "delay_seconds", category: "out_of_range" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/relay-targets", {
        key: a.key,
        body: { brand: a.id, name: "B", url: "https://buyer.example/", field_mapping: { x: "password" } },
      }),
      422,
      [{ field: "field_mapping.x", category: "not_allowed" }],
    );
    expectProblem(
      await call("POST", "/api/v1/relay-targets", {
        body: {
          brand: ids.encode("brand", 2 ** 40),
          name: "B",
          url: "https://buyer.example/",
          field_mapping: {},
        },
      }),
      422,
      [{ field: "brand", category: "not_found" }],
    );
    expect(await countTargets(a.internal)).toBe(before);
    expectProblem(await call("GET", `/api/v1/relay-targets/${ids.encode("relayTarget", 2 ** 40)}`), 404);
    expectProblem(await call("GET", "/api/v1/relay-targets?brand=zz"), 422, [
      { field: "brand", category: "malformed" },
    ]);
  });
});

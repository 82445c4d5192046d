import { asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountAcquisition, accountAcquisitionHistory } from "../../db/schema/acquisition.ts";
import {
  type AcquisitionRule,
  type Classification,
  type CouponUse,
  classify,
  type InfluencerCodes,
} from "../../domain/acquisition/classify.ts";
import { acquisitionClassification } from "../../domain/batches/job-acquisition-classification.ts";
import { runBatchJob } from "../../domain/batches/runner.ts";
import { classifyAll } from "../support/acquisition.ts";
import { call, expectProblem, ids, insertApiKey, ok, withDb } from "../support/api.ts";
import { seededRandom } from "../support/random.ts";
import {
  createSalesTenant,
  customerEmail,
  orderBody,
  postOrder,
  type SalesTenant,
} from "../support/sales.ts";

const decode = (kind: Parameters<typeof ids.decode>[0], value: string): number => {
  const id = ids.decode(kind, value);
  if (id === null) throw new Error(`${value} is not a ${kind} id`);
  return id;
};

/** One order of `email` with the given first-touch parameters and coupons; its account and order ids. */
async function order(
  tenant: SalesTenant,
  email: string,
  placedAt: string,
  marketing: Record<string, string>,
  coupons: string[] = [],
): Promise<{ account: string; order: string }> {
  const body = orderBody(tenant, {
    placed_at: placedAt,
    customer: { email },
    items: [
      {
        sku: "SERUM-30",
        name: "Serum",
        quantity: 1,
        unit_price: 10_000,
        discount: coupons.length > 0 ? 1000 : 0,
      },
    ],
    shipping: 0,
    coupons: coupons.map((code) => ({ code, discount: 0 })),
    campaign: undefined,
    marketing,
    payment: undefined,
  });
  const response = await postOrder(tenant, body);
  expect(response.status, response.text).toBe(201);
  return { account: response.body.account.id, order: response.body.id };
}

const history = (accountId: number) =>
  withDb((db) =>
    db
      .select()
      .from(accountAcquisitionHistory)
      .where(eq(accountAcquisitionHistory.accountId, accountId))
      .orderBy(asc(accountAcquisitionHistory.id)),
  );

describe("influencers", () => {
  let a: SalesTenant;
  let b: SalesTenant;
  beforeAll(async () => {
    a = await createSalesTenant();
    b = await createSalesTenant();
  });

  it("creates, gets, lists and changes an influencer with codes, within its brand", async () => {
    const created = await call("POST", "/api/v1/influencers", {
      key: a.key,
      body: {
        brand: a.brand.id,
        name: "Jane Glow",
        handle: "@jane.glow",
        coupon_codes: ["JANE10", "jane15"],
        referral_codes: ["jane"],
      },
    });
    expect(created.status, created.text).toBe(201);
    const jane = created.body;
    expect(jane).toEqual({
      id: expect.any(String),
      brand: a.brand.id,
      name: "Jane Glow",
      handle: "jane.glow",
      active: true,
      coupon_codes: ["JANE10", "jane15"],
      referral_codes: ["jane"],
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(created.headers.get("location")).toBe(`/api/v1/influencers/${jane.id}`);
    expect(await ok("GET", `/api/v1/influencers/${jane.id}`, { key: a.key })).toEqual(jane);

    // Codes are unique per brand and kind whatever their case: 409 naming the place in the list.
    expectProblem(
      await call("POST", "/api/v1/influencers", {
        key: a.key,
        body: { brand: a.brand.id, name: "Copycat", coupon_codes: ["NEW1", "Jane10"] },
      }),
      409,
      [{ field: "coupon_codes.1", category: "conflict" }],
    );
    // The same code as a referral code, or in another brand, is another code.
    const sam = await ok("POST", "/api/v1/influencers", {
      key: a.key,
      body: { brand: a.brand.id, name: "Sam", referral_codes: ["JANE10"], coupon_codes: ["SAM15"] },
    });
    await ok("POST", "/api/v1/influencers", {
      key: b.key,
      body: { brand: b.brand.id, name: "B's Jane", coupon_codes: ["JANE10"] },
    });
    expectProblem(
      await call("POST", "/api/v1/influencers", {
        key: a.key,
        body: { brand: a.brand.id, name: "Jane 2", handle: "JANE.GLOW" },
      }),
      409,
      [{ field: "handle", category: "conflict" }],
    );

    const changed = await ok("PATCH", `/api/v1/influencers/${jane.id}`, {
      key: a.key,
      body: { active: false, coupon_codes: ["jane10", "JANE20"] },
    });
    expect(changed).toMatchObject({
      active: false,
      coupon_codes: ["jane10", "JANE20"],
      referral_codes: ["jane"],
    });
    expectProblem(
      await call("PATCH", `/api/v1/influencers/${jane.id}`, {
        key: a.key,
        body: { coupon_codes: ["sam15"] },
      }),
      409,
      [{ field: "coupon_codes.0", category: "conflict" }],
    );
    // The refused change left the codes as they were.
    expect((await ok("GET", `/api/v1/influencers/${jane.id}`, { key: a.key })).coupon_codes).toEqual([
      "jane10",
      "JANE20",
    ]);

    const listed = await ok("GET", `/api/v1/influencers?brand=${a.brand.id}`, { key: a.key });
    expect(listed.data.map((x: { id: string }) => x.id)).toEqual([jane.id, sam.id]);
    expect(listed.next_cursor).toBeNull();
    const active = await ok("GET", `/api/v1/influencers?brand=${a.brand.id}&active=true`, { key: a.key });
    expect(active.data.map((x: { id: string }) => x.id)).toEqual([sam.id]);
    const paged = await ok("GET", `/api/v1/influencers?brand=${a.brand.id}&limit=1`, { key: a.key });
    expect(paged.data.map((x: { id: string }) => x.id)).toEqual([jane.id]);
    expect(paged.next_cursor).toBe(jane.id);
    // A brand key lists its own brand only, and may not touch another's.
    const mine = await ok("GET", "/api/v1/influencers", { key: b.key });
    expect(mine.data.map((x: { brand: string }) => x.brand)).toEqual([b.brand.id]);
    expectProblem(await call("GET", `/api/v1/influencers/${jane.id}`, { key: b.key }), 403);
    expectProblem(
      await call("PATCH", `/api/v1/influencers/${jane.id}`, { key: b.key, body: { name: "x" } }),
      403,
    );
    expectProblem(await call("GET", `/api/v1/influencers?brand=${a.brand.id}`, { key: b.key }), 403);
    expectProblem(
      await call("POST", "/api/v1/influencers", { key: b.key, body: { brand: a.brand.id, name: "x" } }),
      403,
    );
  });

  it("refuses bad input with 422 naming the field, writing nothing", async () => {
    expectProblem(
      await call("POST", "/api/v1/influencers", { key: a.key, body: { brand: a.brand.id } }),
      422,
      [{ field: "name", category: "missing" }],
    );
    expectProblem(
      await call("POST", "/api/v1/influencers", {
        key: a.key,
        body: { brand: a.brand.id, name: "X", coupon_codes: ["ONE", "one"], handle: "has space" },
      }),
      422,
      [
        { field: "handle", category: "malformed" },
        { field: "coupon_codes.1", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/influencers", { key: a.key, body: { brand: "nope", name: "X" } }),
      422,
      [{ field: "brand", category: "malformed" }],
    );
    expectProblem(await call("GET", "/api/v1/influencers?active=yes", { key: a.key }), 422, [
      { field: "active", category: "not_allowed" },
    ]);
    expectProblem(await call("GET", `/api/v1/influencers/${a.brand.id}`, { key: a.key }), 404);
  });
});

describe("acquisition rules", () => {
  let a: SalesTenant;
  let b: SalesTenant;
  let jane: string;
  let other: string;
  beforeAll(async () => {
    a = await createSalesTenant();
    b = await createSalesTenant();
    jane = (
      await ok("POST", "/api/v1/influencers", { key: a.key, body: { brand: a.brand.id, name: "Jane" } })
    ).id;
    other = (await ok("POST", "/api/v1/influencers", { key: b.key, body: { brand: b.brand.id, name: "B" } }))
      .id;
  });

  it("creates each type, lists, gets, changes and deletes them within the brand", async () => {
    const create = (body: Record<string, unknown>) =>
      call("POST", "/api/v1/acquisition-rules", { key: a.key, body: { brand: a.brand.id, ...body } });
    const coupon = await create({ type: "influencer_coupon", priority: 10 });
    expect(coupon.status, coupon.text).toBe(201);
    expect(coupon.body).toEqual({
      id: expect.any(String),
      brand: a.brand.id,
      type: "influencer_coupon",
      priority: 10,
      influencer: null,
      param_names: null,
      field: null,
      match: null,
      value: null,
      domain: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const referral = (await create({ type: "referral_code" })).body;
    expect(referral).toMatchObject({ priority: 100, param_names: ["ref", "referral"] });
    const utm = (
      await create({ type: "utm", influencer: jane, field: "utm_campaign", match: "regex", value: "^jane_" })
    ).body;
    expect(utm).toMatchObject({ influencer: jane, field: "utm_campaign", match: "regex", value: "^jane_" });
    const domain = (await create({ type: "referrer_domain", influencer: jane, domain: "WWW.Instagram.COM" }))
      .body;
    expect(domain.domain).toBe("www.instagram.com");

    const listed = await ok("GET", `/api/v1/acquisition-rules?brand=${a.brand.id}`, { key: a.key });
    expect(listed.data.map((r: { id: string }) => r.id)).toEqual([
      coupon.body.id,
      referral.id,
      utm.id,
      domain.id,
    ]);
    expect(await ok("GET", `/api/v1/acquisition-rules/${utm.id}`, { key: a.key })).toEqual(utm);

    const patched = await ok("PATCH", `/api/v1/acquisition-rules/${utm.id}`, {
      key: a.key,
      body: { priority: 5, match: "prefix", value: "jane_" },
    });
    expect(patched).toMatchObject({
      priority: 5,
      match: "prefix",
      value: "jane_",
      field: "utm_campaign",
      influencer: jane,
    });
    // The rule as changed must still hold its type's shape.
    expectProblem(
      await call("PATCH", `/api/v1/acquisition-rules/${utm.id}`, {
        key: a.key,
        body: { influencer: null, domain: "x.com" },
      }),
      422,
      [
        { field: "influencer", category: "missing" },
        { field: "domain", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("PATCH", `/api/v1/acquisition-rules/${utm.id}`, {
        key: a.key,
        body: { match: "regex", value: "(a+)+" },
      }),
      422,
      [{ field: "value", category: "not_allowed" }],
    );

    expectProblem(await call("GET", `/api/v1/acquisition-rules/${utm.id}`, { key: b.key }), 403);
    expectProblem(await call("DELETE", `/api/v1/acquisition-rules/${utm.id}`, { key: b.key }), 403);
    expect((await ok("GET", "/api/v1/acquisition-rules", { key: b.key })).data).toEqual([]);

    const deleted = await ok("DELETE", `/api/v1/acquisition-rules/${domain.id}`, { key: a.key });
    expect(deleted.id).toBe(domain.id);
    expectProblem(await call("GET", `/api/v1/acquisition-rules/${domain.id}`, { key: a.key }), 404);
    expectProblem(await call("DELETE", `/api/v1/acquisition-rules/${domain.id}`, { key: a.key }), 404);
    const after = await ok("GET", `/api/v1/acquisition-rules?brand=${a.brand.id}`, { key: a.key });
    expect(after.data.map((r: { id: string }) => r.id)).toEqual([coupon.body.id, referral.id, utm.id]);
  });

  it("refuses a rule that does not hold its type's shape, with 422 naming each field", async () => {
    const create = (body: Record<string, unknown>) =>
      call("POST", "/api/v1/acquisition-rules", { key: a.key, body: { brand: a.brand.id, ...body } });
    expectProblem(await create({ type: "utm" }), 422, [
      { field: "influencer", category: "missing" },
      { field: "field", category: "missing" },
      { field: "match", category: "missing" },
      { field: "value", category: "missing" },
    ]);
    expectProblem(await create({ type: "referral_code", domain: "x.com", influencer: jane }), 422, [
      { field: "influencer", category: "not_allowed" },
      { field: "domain", category: "not_allowed" },
    ]);
    expectProblem(await create({ type: "influencer_coupon", param_names: ["ref"] }), 422, [
      { field: "param_names", category: "not_allowed" },
    ]);
    expectProblem(
      await create({ type: "referrer_domain", influencer: jane, domain: "https://instagram.com/" }),
      422,
      [{ field: "domain", category: "malformed" }],
    );
    expectProblem(
      await create({ type: "referrer_domain", influencer: other, domain: "instagram.com" }),
      422,
      [{ field: "influencer", category: "not_found" }],
    );
    expectProblem(
      await create({ type: "referrer_domain", influencer: a.brand.id, domain: "instagram.com" }),
      422,
      [{ field: "influencer", category: "malformed" }],
    );
    expectProblem(
      await create({ type: "utm", influencer: jane, field: "source", match: "equals", value: "x" }),
      422,
      [{ field: "field", category: "malformed" }],
    );
    expectProblem(
      await create({ type: "utm", influencer: jane, field: "utm_source", match: "like", value: "x" }),
      422,
      [{ field: "match", category: "not_allowed" }],
    );
    expectProblem(await create({ type: "referral_code", param_names: ["ref", "ref"] }), 422, [
      { field: "param_names", category: "not_allowed" },
    ]);
    expectProblem(await create({ type: "referral_code", param_names: ["order"] }), 422, [
      { field: "param_names.0", category: "not_allowed" },
    ]);
    expectProblem(await create({ type: "sometimes" }), 422, [{ field: "type", category: "not_allowed" }]);
    expectProblem(await create({ type: "influencer_coupon", priority: -1 }), 422, [
      { field: "priority", category: "out_of_range" },
    ]);
    // Nothing was written: the brand still has only the previous test's three rules.
    expect(
      (await ok("GET", `/api/v1/acquisition-rules?brand=${a.brand.id}`, { key: a.key })).data,
    ).toHaveLength(3);
  });
});

describe("classification", () => {
  it("classifies accounts from their first touch and coupons only when asked, with exact history", async () => {
    const t = await createSalesTenant();
    const u = await createSalesTenant();
    const inf = async (body: Record<string, unknown>) =>
      ok("POST", "/api/v1/influencers", { key: t.key, body: { brand: t.brand.id, ...body } });
    const jane = await inf({
      name: "Jane",
      handle: "jane",
      coupon_codes: ["JANE10"],
      referral_codes: ["JaneRef"],
    });
    const sam = await inf({ name: "Sam", handle: null });
    const rule = async (body: Record<string, unknown>) =>
      ok("POST", "/api/v1/acquisition-rules", { key: t.key, body: { brand: t.brand.id, ...body } });
    const couponRule = await rule({ type: "influencer_coupon", priority: 10 });
    const referralRule = await rule({ type: "referral_code", priority: 20 });
    const utmRule = await rule({
      type: "utm",
      priority: 30,
      influencer: sam.id,
      field: "utm_campaign",
      match: "prefix",
      value: "sam_",
    });
    const domainRule = await rule({
      type: "referrer_domain",
      priority: 40,
      influencer: jane.id,
      domain: "instagram.com",
    });

    // 1: an influencer coupon on a later order; 2: a referral code; 3: the earliest order (sent second) has Sam's
    // campaign; 4: an Instagram referrer; 5: organic; 6: another brand's account.
    const e = [1, 2, 3, 4, 5].map((n) => customerEmail(`acq${n}`));
    const c1 = await order(t, e[0] ?? "", "2026-01-01T00:00:00.000Z", { utm_source: "google" });
    const c1b = await order(t, e[0] ?? "", "2026-02-01T00:00:00.000Z", {}, ["welcome5", "jane10"]);
    const c2 = await order(t, e[1] ?? "", "2026-01-02T00:00:00.000Z", { ref: "janeref", utm_source: "ig" });
    const late = await order(t, e[2] ?? "", "2026-03-01T00:00:00.000Z", { utm_campaign: "sam_late" });
    const c3 = await order(t, e[2] ?? "", "2026-01-03T00:00:00.000Z", {
      utm_source: "YouTube",
      utm_campaign: "SAM_winter",
    });
    expect(late.account).toBe(c3.account);
    const c4 = await order(t, e[3] ?? "", "2026-01-04T00:00:00.000Z", {
      referrer: "https://l.Instagram.com/jane",
    });
    const c5 = await order(t, e[4] ?? "", "2026-01-05T00:00:00.000Z", { utm_source: "newsletter" });
    const c6 = await order(u, customerEmail("other"), "2026-01-06T00:00:00.000Z", { ref: "janeref" });
    const accounts = [c1, c2, c3, c4, c5].map((c) => c.account);

    const acquisitionOf = async (account: string, key = t.key) =>
      (await ok("GET", `/api/v1/accounts/${account}`, { key })).acquisition;
    const unclassified = { source: null, influencer: null, rule: null, evidence: {}, classified_at: null };
    expect(await acquisitionOf(c1.account)).toEqual(unclassified);

    // A key for another brand may not classify this one; a brand key classifies only its brands.
    expectProblem(
      await call("POST", "/api/v1/acquisition/classify", { key: u.key, body: { brand: t.brand.id } }),
      403,
    );
    const first = await classifyAll(t.key);
    expect(first).toEqual({ changed: 5, examined: 5, chunks: 3 });
    expect(await acquisitionOf(c6.account, u.key)).toEqual(unclassified);

    const janeRef = { id: jane.id, name: "Jane", handle: "jane" };
    const samRef = { id: sam.id, name: "Sam", handle: null };
    const expected = [
      {
        source: "influencer",
        influencer: janeRef,
        rule: { id: couponRule.id, type: "influencer_coupon" },
        evidence: { coupon: "JANE10", order: c1b.order },
      },
      {
        source: "influencer",
        influencer: janeRef,
        rule: { id: referralRule.id, type: "referral_code" },
        evidence: { order: c2.order, ref: "janeref" },
      },
      {
        source: "influencer",
        influencer: samRef,
        rule: { id: utmRule.id, type: "utm" },
        evidence: { order: c3.order, utm_campaign: "SAM_winter", utm_source: "YouTube" },
      },
      {
        source: "influencer",
        influencer: janeRef,
        rule: { id: domainRule.id, type: "referrer_domain" },
        evidence: { order: c4.order, referrer: "https://l.Instagram.com/jane" },
      },
      { source: "organic", influencer: null, rule: null, evidence: {} },
    ];
    const shown = await Promise.all(accounts.map((account) => acquisitionOf(account)));
    expect(shown).toEqual(expected.map((x) => ({ ...x, classified_at: expect.any(String) })));
    for (const [index, account] of accounts.entries()) {
      const rows = await history(decode("account", account));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        reason: "initial",
        oldSource: null,
        oldInfluencerId: null,
        oldRuleId: null,
        oldEvidence: null,
        newSource: expected[index]?.source,
        newInfluencerId: expected[index]?.influencer
          ? decode("influencer", expected[index]?.influencer?.id ?? "")
          : null,
        newRuleId: expected[index]?.rule ? decode("acquisitionRule", expected[index]?.rule?.id ?? "") : null,
      });
      expect(rows[0]?.changedAt.toISOString()).toBe(shown[index].classified_at);
    }
    // Stored evidence names the order by its internal id.
    expect((await history(decode("account", c1.account)))[0]?.newEvidence).toEqual({
      coupon: "JANE10",
      order: decode("order", c1b.order),
    });

    // The list filters by source and influencer.
    const list = async (query: string) =>
      (await ok("GET", `/api/v1/accounts?brand=${t.brand.id}&${query}`, { key: t.key })).data.map(
        (x: { id: string }) => x.id,
      );
    expect(await list("source=influencer")).toEqual(accounts.slice(0, 4));
    expect(await list("source=organic")).toEqual([c5.account]);
    expect(await list(`influencer=${sam.id}`)).toEqual([c3.account]);
    expect(await list(`source=organic&influencer=${jane.id}`)).toEqual([]);

    // Running again changes nothing.
    expect(await classifyAll(t.key)).toEqual({ changed: 0, examined: 5, chunks: 3 });

    // Editing rules and influencers reclassifies no one by itself...
    await ok("PATCH", `/api/v1/influencers/${jane.id}`, { key: t.key, body: { active: false } });
    await ok("PATCH", `/api/v1/acquisition-rules/${utmRule.id}`, { key: t.key, body: { value: "nobody_" } });
    await ok("DELETE", `/api/v1/acquisition-rules/${domainRule.id}`, { key: t.key });
    expect(await Promise.all(accounts.map((account) => acquisitionOf(account)))).toEqual(shown);
    expect(await list("source=influencer")).toEqual(accounts.slice(0, 4));

    // ...the next run does, and records each change with what it was.
    const before = await withDb((db) =>
      db.select().from(accountAcquisition).where(eq(accountAcquisition.brandId, t.brand.internal)),
    );
    const second = await ok("POST", "/api/v1/acquisition/classify", {
      key: t.key,
      body: { brand: t.brand.id, limit: 10 },
    });
    expect(second).toEqual({ examined: 5, changed: 4, next_cursor: null });
    const now = await Promise.all(accounts.map((account) => acquisitionOf(account)));
    expect(now.map((x) => x.source)).toEqual(["organic", "organic", "organic", "organic", "organic"]);
    expect(now[4]).toEqual(shown[4]);
    for (const [index, account] of accounts.slice(0, 4).entries()) {
      const id = decode("account", account);
      const old = before.find((row) => row.accountId === id);
      const rows = await history(id);
      expect(rows).toHaveLength(2);
      expect(rows[1]).toEqual({
        id: expect.any(Number),
        accountId: id,
        brandId: t.brand.internal,
        reason: "reclassified",
        oldSource: "influencer",
        oldInfluencerId: old?.influencerId,
        oldRuleId: old?.ruleId,
        oldEvidence: old?.evidence,
        newSource: "organic",
        newInfluencerId: null,
        newRuleId: null,
        newEvidence: {},
        changedAt: new Date(now[index].classified_at),
      });
    }
    expect(await history(decode("account", c5.account))).toHaveLength(1);
    expect(await classifyAll(t.key, { brand: t.brand.id })).toEqual({ changed: 0, examined: 5, chunks: 3 });

    // Only some accounts, by id.
    await ok("PATCH", `/api/v1/influencers/${jane.id}`, { key: t.key, body: { active: true } });
    const some = await ok("POST", "/api/v1/acquisition/classify", {
      key: t.key,
      body: { accounts: [c1.account, c6.account] },
    });
    expect(some).toEqual({ examined: 1, changed: 1, next_cursor: null });
    expect((await acquisitionOf(c1.account)).source).toBe("influencer");
    expect((await acquisitionOf(c2.account)).source).toBe("organic");
  });

  it("the nightly job classifies every account of its scope chunk after chunk, and a re-run changes nothing", async () => {
    const t = await createSalesTenant();
    const jane = await ok("POST", "/api/v1/influencers", {
      key: t.key,
      body: { brand: t.brand.id, name: "Jane", coupon_codes: ["JANE10"] },
    });
    await ok("POST", "/api/v1/acquisition-rules", {
      key: t.key,
      body: { brand: t.brand.id, type: "influencer_coupon", priority: 10 },
    });
    const accounts: number[] = [];
    for (let n = 0; n < 5; n += 1) {
      const made = await order(
        t,
        customerEmail(`job${n}`),
        `2026-01-0${n + 1}T00:00:00.000Z`,
        {},
        n % 2 === 0 ? ["JANE10"] : [],
      );
      accounts.push(decode("account", made.account));
    }
    // Scoped to this test's brand: the nightly job (brandIds null) would classify other tests' accounts too.
    const job = acquisitionClassification([t.brand.internal]);
    const settings = { retentionDaysHttpLogs: 90, retentionDaysRelayBodies: 90 };
    const first = await withDb((db) =>
      runBatchJob(db, job, "1970-01-05", { settings, trigger: "manual", chunkSize: 2 }),
    );
    expect([first.outcome, first.rows, first.chunks, first.error]).toEqual(["succeeded", 5, 3, null]);
    const stored = await withDb((db) =>
      db
        .select({ account: accountAcquisition.accountId, source: accountAcquisition.source })
        .from(accountAcquisition)
        .where(eq(accountAcquisition.brandId, t.brand.internal))
        .orderBy(asc(accountAcquisition.accountId)),
    );
    expect(stored).toEqual(
      accounts.map((account, n) => ({ account, source: n % 2 === 0 ? "influencer" : "organic" })),
    );
    const again = await withDb((db) =>
      runBatchJob(db, job, "1970-01-05", { settings, trigger: "manual", chunkSize: 2 }),
    );
    expect([again.outcome, again.rows, again.chunks]).toEqual(["succeeded", 0, 3]);
    // A rule change reaches the accounts at the next run, recorded.
    await ok("PATCH", `/api/v1/influencers/${jane.id}`, { key: t.key, body: { active: false } });
    const after = await withDb((db) =>
      runBatchJob(db, job, "1970-01-06", { settings, trigger: "manual", chunkSize: 2 }),
    );
    expect([after.outcome, after.rows]).toEqual(["succeeded", 3]);
    expect(
      (await history(accounts[0] ?? 0)).map((row) => [row.reason, row.oldSource, row.newSource]),
    ).toEqual([
      ["initial", null, "influencer"],
      ["reclassified", "influencer", "organic"],
    ]);
  });

  it("refuses bad classify and list input with 422 naming the field", async () => {
    const t = await createSalesTenant();
    const post = (body: unknown) => call("POST", "/api/v1/acquisition/classify", { key: t.key, body });
    expectProblem(await post({ limit: 0 }), 422, [{ field: "limit", category: "out_of_range" }]);
    expectProblem(await post({ cursor: "nope", brand: "nope", accounts: [t.brand.id] }), 422, [
      { field: "brand", category: "malformed" },
      { field: "cursor", category: "malformed" },
      { field: "accounts.0", category: "malformed" },
    ]);
    expectProblem(await post({ every: true }), 422, [{ field: "every", category: "not_allowed" }]);
    const get = (query: string) => call("GET", `/api/v1/accounts?${query}`, { key: t.key });
    expectProblem(await get("source=paid"), 422, [{ field: "source", category: "not_allowed" }]);
    expectProblem(await get("influencer=nope"), 422, [{ field: "influencer", category: "malformed" }]);
    expectProblem(await get(`influencer=${ids.encode("influencer", 2 ** 40)}`), 422, [
      { field: "influencer", category: "not_found" },
    ]);
    const other = await createSalesTenant();
    const theirs = await ok("POST", "/api/v1/influencers", {
      key: other.key,
      body: { brand: other.brand.id, name: "X" },
    });
    expectProblem(await get(`influencer=${theirs.id}`), 403);
    expectProblem(await get(`brand=${other.brand.id}`), 403);
    expectProblem(await get("cursor=nope"), 422, [{ field: "cursor", category: "malformed" }]);
  });

  it("the classification run gives the pure classifier's answers for seeded accounts", async () => {
    const t = await createSalesTenant();
    const random = seededRandom(20_261_114);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const names = ["Ann", "Bo", "Cy", "Di"];
    const made = [];
    for (const [index, name] of names.entries())
      made.push(
        await ok("POST", "/api/v1/influencers", {
          key: t.key,
          body: {
            brand: t.brand.id,
            name,
            active: index !== 3,
            coupon_codes: [`${name.toUpperCase()}10`],
            referral_codes: [`${name.toLowerCase()}-ref`],
          },
        }),
      );
    const ruleBodies = [
      { type: "influencer_coupon", priority: 20 },
      { type: "referral_code", priority: 20, param_names: ["ref", "invite"] },
      {
        type: "utm",
        priority: 10,
        influencer: made[1].id,
        field: "utm_campaign",
        match: "contains",
        value: "bo",
      },
      {
        type: "utm",
        priority: 30,
        influencer: made[2].id,
        field: "utm_source",
        match: "regex",
        value: "^(tiktok|ig)$",
      },
      {
        type: "utm",
        priority: 5,
        influencer: made[3].id,
        field: "utm_source",
        match: "equals",
        value: "tiktok",
      },
      { type: "referrer_domain", priority: 25, influencer: made[0].id, domain: "youtube.com" },
    ];
    const rules: AcquisitionRule[] = [];
    for (const body of ruleBodies) {
      const rule = await ok("POST", "/api/v1/acquisition-rules", {
        key: t.key,
        body: { brand: t.brand.id, ...body },
      });
      const base = { id: decode("acquisitionRule", rule.id), priority: rule.priority };
      if (rule.type === "influencer_coupon") rules.push({ ...base, type: "influencer_coupon" });
      else if (rule.type === "referral_code")
        rules.push({ ...base, type: "referral_code", paramNames: rule.param_names });
      else if (rule.type === "utm")
        rules.push({
          ...base,
          type: "utm",
          influencerId: decode("influencer", rule.influencer),
          field: rule.field,
          match: rule.match,
          value: rule.value,
        });
      else
        rules.push({
          ...base,
          type: "referrer_domain",
          influencerId: decode("influencer", rule.influencer),
          domain: rule.domain,
        });
    }
    const influencers: InfluencerCodes[] = made.map((x) => ({
      id: decode("influencer", x.id),
      active: x.active,
      couponCodes: x.coupon_codes,
      referralCodes: x.referral_codes,
    }));

    const marketingOptions: Record<string, string>[] = [
      {},
      { utm_source: "tiktok" },
      { utm_source: "IG", utm_campaign: "spring" },
      { utm_campaign: "Bobo_launch" },
      { ref: "ANN-REF" },
      { invite: "cy-ref", ref: "nobody" },
      { ref: "di-ref" },
      { referrer: "https://m.youtube.com/watch" },
      { referrer: "https://notyoutube.com/" },
      { utm_source: "google", utm_medium: "cpc" },
    ];
    const couponOptions = [[], [], ["WELCOME10"], ["ann10"], ["BO10", "CY10"], ["DI10"]];
    const expected = new Map<number, Classification>();
    for (let n = 0; n < 24; n += 1) {
      const email = customerEmail(`seed${n}`);
      const orders: {
        order: number;
        placed: number;
        coupons: string[];
        marketing: Record<string, string>;
      }[] = [];
      let account = 0;
      for (let k = 0; k < 1 + Math.floor(random() * 3); k += 1) {
        const placed = Date.UTC(2026, 0, 1 + Math.floor(random() * 60));
        const marketing = pick(marketingOptions);
        const coupons = pick(couponOptions);
        const made = await order(t, email, new Date(placed).toISOString(), marketing, coupons);
        account = decode("account", made.account);
        orders.push({ order: decode("order", made.order), placed, coupons, marketing });
      }
      orders.sort((x, y) => x.placed - y.placed || x.order - y.order);
      const firstOrder = orders[0];
      const used: CouponUse[] = orders.flatMap((o) =>
        o.coupons
          .map((code) => code.toUpperCase())
          .sort()
          .map((code) => ({ code, orderId: o.order })),
      );
      expected.set(
        account,
        classify(
          firstOrder ? { orderId: firstOrder.order, marketing: firstOrder.marketing } : null,
          used,
          rules,
          influencers,
        ),
      );
    }
    await classifyAll(t.key, { brand: t.brand.id });
    const stored = await withDb((db) =>
      db.select().from(accountAcquisition).where(eq(accountAcquisition.brandId, t.brand.internal)),
    );
    const got = new Map(
      stored.map((row) => [
        row.accountId,
        { source: row.source, influencerId: row.influencerId, ruleId: row.ruleId, evidence: row.evidence },
      ]),
    );
    expect(got).toEqual(expected);
    // The seed reaches every kind of answer.
    const decidedBy = new Set(
      [...expected.values()].map((x) => rules.find((r) => r.id === x.ruleId)?.type ?? "organic"),
    );
    expect([...decidedBy].sort()).toEqual([
      "influencer_coupon",
      "organic",
      "referral_code",
      "referrer_domain",
      "utm",
    ]);
  });
});

it("a key for every brand lists accounts across brands, paged by cursor", async () => {
  const t = await createSalesTenant();
  const email = customerEmail("paging");
  const one = await order(t, email, "2026-01-01T00:00:00.000Z", {});
  const two = await order(t, customerEmail("paging2"), "2026-01-01T00:00:00.000Z", {});
  const admin = (await insertApiKey({})).key;
  const page1 = await ok("GET", `/api/v1/accounts?brand=${t.brand.id}&limit=1`, { key: admin });
  expect(page1.data.map((x: { id: string }) => x.id)).toEqual([one.account]);
  expect(page1.data[0].acquisition).toEqual({
    source: null,
    influencer: null,
    rule: null,
    evidence: {},
    classified_at: null,
  });
  const page2 = await ok("GET", `/api/v1/accounts?brand=${t.brand.id}&limit=1&cursor=${page1.next_cursor}`, {
    key: admin,
  });
  expect(page2).toMatchObject({
    data: [{ id: two.account, email: expect.stringContaining("paging2.") }],
    next_cursor: null,
  });
});

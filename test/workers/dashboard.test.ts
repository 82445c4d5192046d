import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { signSession } from "../../api/dashboard/session.ts";
import { evaluate } from "../../domain/experiments/statistics.ts";
import { ids, insertApiKey, rand, withDb } from "../support/api.ts";
import { seedAccounts } from "../support/campaigns.ts";
import { dashboardRequest, signIn, tableRows, textOf } from "../support/dashboard.ts";
import { hoursAfter, seedCampaign } from "../support/funnel.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

const dayMs = 86_400_000;
const now = new Date();
const utcDay = (daysAgo: number): string =>
  new Date(Math.floor(now.getTime() / dayMs) * dayMs - daysAgo * dayMs).toISOString().slice(0, 10);
const yesterday = utcDay(1);

const exec = (statement: ReturnType<typeof sql>) => withDb((db) => db.execute(statement));

let brandA: SalesTenant;
let brandB: SalesTenant;
let cookieA: string;
let cohortRef: string;
let cohortName: string;
let storedCampaign: string;
let liveCampaign: string;
let experimentRef: string;
let evaluation: ReturnType<typeof evaluate>;

beforeAll(async () => {
  brandA = await createSalesTenant("KRW");
  brandB = await createSalesTenant("KRW");
  const a = brandA.brand.internal;
  const ma = brandA.market.internal;
  const b = brandB.brand.internal;
  await exec(sql`
    INSERT INTO daily_revenue (brand_id, market_id, day, source, currency, orders, revenue, refunded,
                               new_customers, returning_customers, computed_at)
    VALUES (${a}, ${ma}, ${yesterday}, 'organic', 'KRW', 3, 150000, 10000, 2, 1, now()),
           (${a}, ${ma}, ${yesterday}, 'influencer', 'KRW', 2, 90000, 0, 1, 1, now()),
           (${a}, ${ma}, ${utcDay(3)}, 'organic', 'KRW', 1, 20000, 5000, 1, 0, now()),
           -- Outside the 90 days: not counted.
           (${a}, ${ma}, ${utcDay(120)}, 'organic', 'KRW', 50, 5000000, 0, 50, 0, now()),
           (${b}, ${brandB.market.internal}, ${yesterday}, 'organic', 'KRW', 9, 777777, 0, 9, 0, now())`);
  await exec(sql`
    INSERT INTO ltv_by_acquisition_month (as_of, brand_id, acquisition_month, source, currency, accounts,
                                          net_revenue, avg_ltv, computed_at)
    VALUES (${yesterday}, ${a}, '2026-10-01', 'organic', 'KRW', 10, 500000, 50000, now()),
           (${yesterday}, ${a}, '2026-10-01', 'influencer', 'KRW', 4, 320000, 80000, now()),
           (${yesterday}, ${a}, '2026-11-01', 'organic', 'KRW', 5, 150000, 30000, now()),
           (${yesterday}, ${b}, '2026-10-01', 'organic', 'KRW', 3, 666666, 222222, now())`);
  const [a1, a2, a3] = await seedAccounts(brandA, 3);
  if (!a1 || !a2 || !a3) throw new Error("no accounts");
  await exec(sql`
    INSERT INTO account_rfm (account_id, brand_id, currency, as_of, recency_days, frequency, monetary, r, f, m,
                             segment, computed_at)
    VALUES (${a1.id}, ${a}, 'KRW', ${yesterday}, 1, 1, 15000, 5, 1, 1, 'new_customers', now()),
           (${a2.id}, ${a}, 'KRW', ${yesterday}, 2, 2, 18000, 5, 3, 1, 'potential_loyalists', now()),
           (${a3.id}, ${a}, 'KRW', ${yesterday}, 400, 12, 1200000, 1, 5, 5, 'cannot_lose_them', now())`);
  await exec(sql`
    INSERT INTO rfm_cells (brand_id, currency, r, f, as_of, accounts, monetary, computed_at)
    VALUES (${a}, 'KRW', 5, 1, ${yesterday}, 1, 15000, now()),
           (${a}, 'KRW', 5, 3, ${yesterday}, 1, 18000, now()),
           (${a}, 'KRW', 1, 5, ${yesterday}, 1, 1200000, now())`);
  // The scatter's bins of those three (width_bucket over domain/rfm/scatter.ts), and rows it must not show:
  // brand A's USD accounts and brand B's.
  await exec(sql`
    INSERT INTO rfm_scatter_bins (brand_id, currency, f_bin, m_bin, as_of, accounts, monetary, computed_at)
    VALUES (${a}, 'KRW', 0, 13, ${yesterday}, 1, 15000, now()),
           (${a}, 'KRW', 1, 13, ${yesterday}, 1, 18000, now()),
           (${a}, 'KRW', 6, 19, ${yesterday}, 1, 1200000, now()),
           (${a}, 'USD', 2, 9, ${yesterday}, 4, 4444, now()),
           (${b}, 'KRW', 3, 15, ${yesterday}, 7, 555555, now())`);
  cohortName = `Dashboard cohort ${rand()}`;
  const cohort = await withDb((db) =>
    db.execute<{ id: string | number }>(sql`
      INSERT INTO cohorts (brand_id, name, definition, resolved_definition)
      VALUES (${a}, ${cohortName}, '{}'::jsonb, '{}'::jsonb) RETURNING id`),
  );
  const cohortId = Number(cohort.rows[0]?.id);
  cohortRef = ids.encode("cohort", cohortId);
  await exec(sql`
    INSERT INTO cohort_snapshots (cohort_id, source, as_of, taken_at, member_count)
    VALUES (${cohortId}, 'manual', NULL, '2026-11-30T08:00:00Z', 5)`);
  await exec(sql`
    INSERT INTO cohort_snapshots (cohort_id, source, as_of, taken_at, member_count)
    VALUES (${cohortId}, 'nightly', ${yesterday}, '2026-12-01T03:30:00Z', 7)`);
  await exec(sql`
    INSERT INTO cohorts (brand_id, name, definition, resolved_definition)
    VALUES (${b}, 'Other brand cohort', '{}'::jsonb, '{}'::jsonb)`);

  // A campaign the nightly job counted on two dates: the latest is shown.
  const stored = await seedCampaign({
    tenant: brandA,
    launchedAt: new Date(now.getTime() - 3 * dayMs),
    arms: [
      { name: "spring-a", role: "control", weight: 1, from: 0, to: 5000 },
      { name: "spring-b", role: "variant", weight: 1, from: 5000, to: 10000 },
    ],
    customers: [],
  });
  storedCampaign = ids.encode("messageCampaign", stored.campaignId);
  await exec(sql`
    INSERT INTO message_funnel_daily (message_campaign_id, arm, as_of, targeted, sent, delivered, opened, clicked,
                                      visited, carted, purchased, computed_at)
    VALUES (${stored.campaignId}, 0, ${utcDay(2)}, 10, 9, 8, 7, 6, 5, 4, 3, now()),
           (${stored.campaignId}, 0, ${yesterday}, 100, 95, 90, 50, 30, 20, 10, 5, now()),
           (${stored.campaignId}, 1, ${yesterday}, 100, 96, 92, 60, 40, 25, 12, 8, now())`);
  // A small one no night has counted: counted live.
  const launched = new Date(now.getTime() - 3_600_000);
  const live = await seedCampaign({
    tenant: brandA,
    launchedAt: launched,
    arms: [{ name: "only", role: "control", weight: 1, from: 0, to: 10000 }],
    customers: [
      {
        arm: 0,
        send: { status: "delivered", sentAt: hoursAfter(launched, 0.1), finalAt: hoursAfter(launched, 0.2) },
      },
      { arm: 0 },
    ],
  });
  liveCampaign = ids.encode("messageCampaign", live.campaignId);

  const design = {
    arms: [
      { name: "control", role: "control" as const, weight: 1 },
      { name: "variant", role: "variant" as const, weight: 1 },
    ],
    alpha: 0.05,
    power: 0.8,
    baselineRate: 0.1,
    targetRate: 0.13,
    analysis: "fixed" as const,
  };
  const experimentCampaign = await seedCampaign({
    tenant: brandA,
    launchedAt: new Date(now.getTime() - 10 * dayMs),
    arms: [
      { name: "control", role: "control", weight: 1, from: 0, to: 5000 },
      { name: "variant", role: "variant", weight: 1, from: 5000, to: 10000 },
    ],
    customers: [],
    experiment: { alpha: 0.05, power: 0.8, baselineRate: 0.1, targetRate: 0.13, analysis: "fixed" },
  });
  const experimentId = experimentCampaign.experimentId ?? 0;
  experimentRef = ids.encode("experiment", experimentId);
  evaluation = evaluate(design, {
    arms: { control: { n: 2000, conversions: 200 }, variant: { n: 2000, conversions: 260 } },
  });
  const older = evaluate(design, {
    arms: { control: { n: 100, conversions: 10 }, variant: { n: 100, conversions: 11 } },
  });
  await exec(sql`
    INSERT INTO experiment_evaluations (experiment_id, as_of, verdict, result, computed_at)
    VALUES (${experimentId}, ${utcDay(2)}, ${older.verdict.kind}, ${JSON.stringify(older)}::jsonb, now()),
           (${experimentId}, ${yesterday}, ${evaluation.verdict.kind}, ${JSON.stringify(evaluation)}::jsonb, now())`);
  cookieA = await signIn(brandA.key);
});

describe("dashboard sign-in", () => {
  it("shows the form, and sends a page without a session to it", async () => {
    const form = await dashboardRequest("GET", "/dashboard/sign-in");
    expect(form.status).toBe(200);
    expect(form.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(form.html.startsWith("<!doctype html>")).toBe(true);
    expect(form.html).toContain('<form method="post" action="/dashboard/sign-in">');
    expect(form.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const page = await dashboardRequest("GET", "/dashboard/overview");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/dashboard/sign-in");
    const root = await dashboardRequest("GET", "/dashboard", { cookie: cookieA });
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe("/dashboard/overview");
    expect(page.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("refuses an unknown key and a revoked key", async () => {
    const unknown = await dashboardRequest("POST", "/dashboard/sign-in", {
      form: { key: "lr_000000000000000000000000000000ab" },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.html).toContain("Unknown API key.");
    expect(unknown.headers.get("set-cookie")).toBeNull();
    const revoked = await insertApiKey({ brandIds: [brandA.brand.internal], revoked: true });
    const refused = await dashboardRequest("POST", "/dashboard/sign-in", { form: { key: revoked.key } });
    expect(refused.status).toBe(401);
    expect(refused.html).toContain("This API key has been revoked.");
    expect(refused.headers.get("set-cookie")).toBeNull();
  });

  it("signs in with a session cookie holding the key id, signed and expiring in 12 hours", async () => {
    const key = await insertApiKey({ brandIds: [brandA.brand.internal] });
    const before = Math.floor(Date.now() / 1000);
    const answer = await dashboardRequest("POST", "/dashboard/sign-in", { form: { key: key.key } });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/dashboard/overview");
    const cookie = answer.headers.get("set-cookie") ?? "";
    const match =
      /^lr_dashboard=([0-9]+)\.([0-9]+)\.([0-9a-f]{64}); Max-Age=43200; Path=\/dashboard; HttpOnly; Secure; SameSite=Strict$/.exec(
        cookie,
      );
    expect(match, cookie).not.toBeNull();
    expect(Number(match?.[1])).toBe(key.id);
    const expires = Number(match?.[2]);
    expect(expires - before).toBeGreaterThanOrEqual(43200);
    expect(expires - before).toBeLessThanOrEqual(43202);
    // The key itself is not in the cookie.
    expect(cookie).not.toContain(key.key);
  });

  it("refuses form posts from another origin or without one", async () => {
    const key = await insertApiKey({ brandIds: [brandA.brand.internal] });
    const foreign = await dashboardRequest("POST", "/dashboard/sign-in", {
      form: { key: key.key },
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    const none = await dashboardRequest("POST", "/dashboard/rfm/cell", {
      cookie: cookieA,
      form: { brand: brandA.brand.id, r: "5", f: "1" },
      origin: null,
    });
    expect(none.status).toBe(403);
  });

  it("refuses a forged or expired cookie, and signs a revoked key's session out at once", async () => {
    const forged = await dashboardRequest("GET", "/dashboard/overview", {
      cookie: `lr_dashboard=1.9999999999.${"0".repeat(64)}`,
    });
    expect(forged.status).toBe(303);
    const secret = env.DASHBOARD_SESSION_SECRET;
    const key = await insertApiKey({ brandIds: [brandA.brand.internal] });
    const expired = await signSession(secret, {
      apiKeyId: key.id,
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const old = await dashboardRequest("GET", "/dashboard/overview", { cookie: `lr_dashboard=${expired}` });
    expect(old.status).toBe(303);
    expect(old.headers.get("location")).toBe("/dashboard/sign-in");

    const cookie = await signIn(key.key);
    expect((await dashboardRequest("GET", "/dashboard/overview", { cookie })).status).toBe(200);
    await exec(sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${key.id}`);
    const after = await dashboardRequest("GET", "/dashboard/overview", { cookie });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/dashboard/sign-in");
    expect(after.headers.get("set-cookie")).toBe(
      "lr_dashboard=; Max-Age=0; Path=/dashboard; HttpOnly; Secure; SameSite=Strict",
    );
  });

  it("signs out", async () => {
    const key = await insertApiKey({ brandIds: [brandA.brand.internal] });
    const cookie = await signIn(key.key);
    const out = await dashboardRequest("POST", "/dashboard/sign-out", { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/dashboard/sign-in");
    expect(out.headers.get("set-cookie")).toBe(
      "lr_dashboard=; Max-Age=0; Path=/dashboard; HttpOnly; Secure; SameSite=Strict",
    );
  });
});

describe("dashboard tabs", () => {
  it("overview: totals and days of the last 90 from daily_revenue, the key's brand only", async () => {
    const page = await dashboardRequest("GET", "/dashboard/overview", { cookie: cookieA });
    expect(page.status).toBe(200);
    expect(textOf(page.html, "kpi-revenue")).toBe("260,000");
    expect(textOf(page.html, "kpi-orders")).toBe("6");
    expect(textOf(page.html, "kpi-new-customers")).toBe("4");
    expect(textOf(page.html, "kpi-refunds")).toBe("15,000");
    const rows = tableRows(page.html, "overview-days");
    expect(rows).toHaveLength(90);
    expect(rows[0]?.[0]).toBe(utcDay(90));
    expect(rows[89]).toEqual([yesterday, "240,000", "5", "3", "10,000"]);
    expect(rows[87]).toEqual([utcDay(3), "20,000", "1", "1", "5,000"]);
    expect(rows[88]).toEqual([utcDay(2), "0", "0", "0", "0"]);
    // The picker lists the key's one brand; the other brand's numbers and name are nowhere.
    expect(page.html).toContain(`<option value="${brandA.brand.id}" selected="">`);
    expect(page.html).not.toContain(brandB.brand.id);
    expect(page.html).not.toContain("777,777");
    expect(page.html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="chart-\d+-title chart-\d+-desc"/);
    expect(page.html).toContain("<title");
  });

  it("another brand asked for by a key limited to one brand shows the key's own brand", async () => {
    const page = await dashboardRequest("GET", `/dashboard/overview?brand=${brandB.brand.id}`, {
      cookie: cookieA,
    });
    expect(page.status).toBe(200);
    expect(textOf(page.html, "kpi-revenue")).toBe("260,000");
    expect(page.html).not.toContain("777,777");
  });

  it("campaigns: the latest stored day per arm, and a small uncounted campaign counted live", async () => {
    const page = await dashboardRequest("GET", "/dashboard/campaigns", { cookie: cookieA });
    expect(page.status).toBe(200);
    expect(tableRows(page.html, `funnel-${storedCampaign}`)).toEqual([
      ["spring-a", "control", "100", "95", "90", "50", "30", "20", "10", "5"],
      ["spring-b", "variant", "100", "96", "92", "60", "40", "25", "12", "8"],
    ]);
    expect(page.html).toContain(`the end of ${yesterday}`);
    expect(tableRows(page.html, `funnel-${liveCampaign}`)).toEqual([
      ["only", "control", "2", "1", "1", "0", "0", "0", "0", "0"],
    ]);
    expect(page.html).toContain('data-funnel-source="live"');
  });

  it("experiments: arms, lift with its interval, SRM and verdict from the latest evaluation", async () => {
    const page = await dashboardRequest("GET", "/dashboard/experiments", { cookie: cookieA });
    expect(page.status).toBe(200);
    const lift = evaluation.arms[1]?.comparison?.lift?.absolute;
    if (!lift) throw new Error("no lift");
    const pp = (v: number) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(2)} pp`;
    expect(tableRows(page.html, `experiment-arms-${experimentRef}`)).toEqual([
      ["control", "control", "2,000", "200", "10.00%", "—", "—", "—", "—"],
      [
        "variant",
        "variant",
        "2,000",
        "260",
        "13.00%",
        "+3.00 pp",
        pp(lift.lower),
        pp(lift.upper),
        evaluation.arms[1]?.comparison?.adjustedP.toPrecision(3) ?? "",
      ],
    ]);
    expect(page.html).toContain(`data-verdict="${evaluation.verdict.kind}"`);
    expect(page.html).toContain('data-srm="ok"');
    expect(page.html).toContain(`As of ${yesterday}.`);
  });

  it("cohorts and RFM: the heatmap's cells as forms, the cohort list with the latest snapshot's count", async () => {
    const page = await dashboardRequest("GET", "/dashboard/cohorts", { cookie: cookieA });
    expect(page.status).toBe(200);
    const cells = tableRows(page.html, "heatmap-cells");
    expect(cells).toHaveLength(25);
    expect(cells.find((row) => row[0] === "R5 F1")).toEqual([
      "R5 F1",
      "new_customers",
      "1",
      "33.33%",
      "15,000",
    ]);
    expect(cells.find((row) => row[0] === "R1 F5")).toEqual([
      "R1 F5",
      "cannot_lose_them",
      "1",
      "33.33%",
      "1,200,000",
    ]);
    expect(cells.find((row) => row[0] === "R3 F3")).toEqual(["R3 F3", "need_attention", "0", "0.00%", "—"]);
    expect(page.html.match(/<form method="post" action="\/dashboard\/rfm\/cell">/g)).toHaveLength(25);
    // (The campaigns' own cohorts, with no snapshot, are in the list too.)
    expect(tableRows(page.html, "cohort-list").find((row) => row[0] === cohortName)).toEqual([
      cohortName,
      cohortRef,
      "none",
      "2",
      "7",
      "2026-12-01 03:30 UTC (nightly)",
    ]);
    expect(page.html).not.toContain("Other brand cohort");
  });

  it("a heatmap cell posts a cohort through the cell verb and lands on the cohort list", async () => {
    const answer = await dashboardRequest("POST", "/dashboard/rfm/cell", {
      cookie: cookieA,
      form: { brand: brandA.brand.id, r: "5", f: "1" },
    });
    expect(answer.status).toBe(303);
    const location = answer.headers.get("location") ?? "";
    const match = new RegExp(
      `^/dashboard/cohorts\\?brand=${brandA.brand.id}&created=([A-Za-z0-9]+)&members=1#cohort-([A-Za-z0-9]+)$`,
    ).exec(location);
    expect(match, location).not.toBeNull();
    const ref = match?.[1] ?? "";
    const list = await dashboardRequest("GET", location.split("#")[0] ?? "", { cookie: cookieA });
    expect(tableRows(list.html, "cohort-list")[0]).toEqual(["RFM R5 F1", ref, "none", "0", "—", "—"]);
    expect(textOf(list.html, "created-cohort")).toBe(`Cohort ${ref} saved with 1 member now.`);
    const stored = await withDb((db) =>
      db.execute<{ definition: unknown; brand_id: string | number }>(
        sql`SELECT definition, brand_id FROM cohorts WHERE id = ${ids.decode("cohort", ref) ?? 0}`,
      ),
    );
    expect(Number(stored.rows[0]?.brand_id)).toBe(brandA.brand.internal);
    expect(stored.rows[0]?.definition).toEqual({
      op: "and",
      rules: [
        { field: "brand", op: "equals", value: brandA.brand.id },
        { field: "r_score", op: "equals", value: 5 },
        { field: "f_score", op: "equals", value: 1 },
      ],
    });
    // Another brand's cell is refused, and a score outside 1–5.
    const other = await dashboardRequest("POST", "/dashboard/rfm/cell", {
      cookie: cookieA,
      form: { brand: brandB.brand.id, r: "5", f: "1" },
    });
    expect(other.status).toBe(400);
    const bad = await dashboardRequest("POST", "/dashboard/rfm/cell", {
      cookie: cookieA,
      form: { brand: brandA.brand.id, r: "6", f: "1" },
    });
    expect(bad.status).toBe(400);
  });

  it("acquisition: sources, LTV by month and the binned scatter", async () => {
    const page = await dashboardRequest("GET", "/dashboard/acquisition", { cookie: cookieA });
    expect(page.status).toBe(200);
    expect(tableRows(page.html, "acquisition-sources")).toEqual([
      ["organic", "4", "170,000", "15,000", "3"],
      ["influencer", "2", "90,000", "0", "1"],
      ["unclassified", "0", "0", "0", "0"],
    ]);
    expect(tableRows(page.html, "acquisition-ltv")).toEqual([
      ["2026-10", "influencer", "4", "320,000", "80,000"],
      ["2026-10", "organic", "10", "500,000", "50,000"],
      ["2026-11", "organic", "5", "150,000", "30,000"],
    ]);
    expect(tableRows(page.html, "acquisition-scatter")).toEqual([
      ["1", "10,000–20,000", "1", "15,000"],
      ["2", "10,000–20,000", "1", "18,000"],
      ["10+", "1,000,000–2,000,000", "1", "1,200,000"],
    ]);
    expect(page.html).toContain(`Frequency × monetary, as of ${yesterday}`);
    expect(page.html).toContain(`exact counts as of the RFM run date, ${yesterday}.`);
    expect(page.html).not.toMatch(/estimat|sample/i);
    expect(page.html).not.toContain("666,666");
    expect(page.html).not.toContain("555,555");
  });

  it("an admin key sees every brand in the picker", async () => {
    const admin = await insertApiKey({ isAdmin: true });
    const cookie = await signIn(admin.key);
    const page = await dashboardRequest("GET", `/dashboard/overview?brand=${brandB.brand.id}`, { cookie });
    expect(page.status).toBe(200);
    expect(page.html).toContain(`<option value="${brandB.brand.id}" selected="">`);
    expect(page.html).toContain(`<option value="${brandA.brand.id}">`);
    expect(textOf(page.html, "kpi-revenue")).toBe("777,777");
  });
});

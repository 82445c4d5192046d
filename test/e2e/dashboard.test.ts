import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { evaluate } from "../../domain/experiments/statistics.ts";
import { frequencyBounds, monetaryBounds } from "../../domain/rfm/scatter.ts";
import { repoRoot } from "../../scripts/lib/database.ts";
import { api, e2e, showWranglerLogOnFailure, sql } from "./support.ts";

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the `wrangler dev`
 * stack: sign in with a brand's key, open every tab, click a heatmap cell and find the new cohort through
 * the API. The stack's database has no history, so the aggregates the tabs read are written here directly.
 * A screenshot of every tab goes to .data/screenshots/ (kept by CI).
 */
const chromiumPath = "/usr/bin/chromium";
const hasChromium = existsSync(chromiumPath);
if (!hasChromium)
  console.warn(`dashboard browser test skipped: ${chromiumPath} is missing (apt-get install chromium)`);
const screenshots = path.join(repoRoot, ".data", "screenshots");

interface Seeded {
  brandRef: string;
  key: string;
}

/** A brand of its own with 90 days of revenue, LTV, scores, a cohort with a snapshot, a campaign and an experiment. */
async function seedBrand(): Promise<Seeded> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const brand = await api<{ id: string }>("POST", "/api/v1/brands", {
    name: `Dashboard ${suffix}`,
    slug: `dashboard-${suffix}`,
  });
  const codec = hashIds(e2e.alphabet);
  const brandId = codec.decode("brand", brand.id);
  if (brandId === null) throw new Error("brand id does not decode");
  const key = await api<{ key: string }>("POST", "/api/v1/api-keys", {
    name: `dashboard ${suffix}`,
    brands: [brand.id],
    is_admin: false,
  });
  const [market] = await sql<{ id: string }>(
    `INSERT INTO markets (code, name, country, currency, time_zone)
     VALUES ($1, 'Dashboard market', 'KR', 'KRW', 'Asia/Seoul') RETURNING id`,
    [`d-${suffix}`],
  );
  if (!market) throw new Error("no market");
  await sql(
    `INSERT INTO daily_revenue (brand_id, market_id, day, source, currency, orders, revenue, refunded, new_customers,
                                returning_customers, computed_at)
     SELECT $1, $2, (current_date - g)::date, s.source, 'KRW', 5 + (g % 7) * s.k, (50000 + (g % 11) * 9000) * s.k,
            CASE WHEN g % 9 = 0 THEN 12000 ELSE 0 END, 2 + g % 3, 3, now()
       FROM generate_series(1, 90) g, (VALUES ('organic', 2), ('influencer', 1)) s(source, k)`,
    [brandId, market.id],
  );
  await sql(
    `INSERT INTO ltv_by_acquisition_month (as_of, brand_id, acquisition_month, source, currency, accounts, net_revenue,
                                           avg_ltv, computed_at)
     SELECT current_date - 1, $1, (date_trunc('month', current_date) - make_interval(months => g))::date, s.source,
            'KRW', 100, (100 - g * 5) * 1000 * s.k, (100 - g * 5) * 10 * s.k, now()
       FROM generate_series(1, 6) g, (VALUES ('organic', 2), ('influencer', 3)) s(source, k)`,
    [brandId],
  );
  // 60 customers with scores spread over the grid, and the cells and scatter bins that agree with them.
  await sql(
    `WITH e AS (
       INSERT INTO emails (address, domain, sha256, md5)
       SELECT a, 'example.com', encode(sha256(convert_to(a, 'UTF8')), 'hex'), md5(a)
         FROM (SELECT 'dash' || g || '.' || $2 || '@example.com' AS a FROM generate_series(1, 60) g) x
       RETURNING id
     ), c AS (INSERT INTO contacts (email_id) SELECT id FROM e RETURNING id, email_id),
     a AS (
       INSERT INTO brand_client_accounts (brand_id, market_id, email_id, contact_id, currency)
       SELECT $1, $3, c.email_id, c.id, 'KRW' FROM c RETURNING id
     ), n AS (SELECT id, row_number() OVER (ORDER BY id) AS i FROM a)
     INSERT INTO account_rfm (account_id, brand_id, currency, as_of, recency_days, frequency, monetary, r, f, m, segment,
                              computed_at)
     SELECT id, $1, 'KRW', current_date - 1, (i % 5) * 30, 1 + (i % 5) * (i % 3), 10000 * i, 5 - i % 5,
            1 + (i % 5 * (i % 3)) % 5, 1 + i % 5, 'hibernating', now()
       FROM n`,
    [brandId, suffix, market.id],
  );
  await sql(
    `INSERT INTO rfm_cells (brand_id, currency, r, f, as_of, accounts, monetary, computed_at)
     SELECT brand_id, currency, r, f, max(as_of), count(*), sum(monetary), now()
       FROM account_rfm WHERE brand_id = $1 GROUP BY brand_id, currency, r, f`,
    [brandId],
  );
  // The scatter's bins, as the recompute groups them.
  await sql(
    `INSERT INTO rfm_scatter_bins (brand_id, currency, f_bin, m_bin, as_of, accounts, monetary, computed_at)
     SELECT brand_id, currency, width_bucket(frequency, $2::int[]), width_bucket(monetary, $3::bigint[]), max(as_of),
            count(*), sum(monetary), now()
       FROM account_rfm WHERE brand_id = $1 GROUP BY 1, 2, 3, 4`,
    [brandId, `{${frequencyBounds.join(",")}}`, `{${monetaryBounds.join(",")}}`],
  );
  const [cohort] = await sql<{ id: string }>(
    `INSERT INTO cohorts (brand_id, name, definition, resolved_definition)
     VALUES ($1, 'Spring buyers', '{}'::jsonb, '{}'::jsonb) RETURNING id`,
    [brandId],
  );
  await sql(
    `INSERT INTO cohort_snapshots (cohort_id, source, as_of, taken_at, member_count)
     VALUES ($1, 'nightly', current_date - 1, now(), 42)`,
    [cohort?.id],
  );
  const [sales] = await sql<{ id: string }>(
    `INSERT INTO campaigns (brand_id, code, name) VALUES ($1, $2, 'Spring sale') RETURNING id`,
    [brandId, `spring-${suffix}`],
  );
  const [campaign] = await sql<{ id: string }>(
    `INSERT INTO message_campaigns (brand_id, campaign_id, name, status, target, cohort_id, launched_at, member_count)
     VALUES ($1, $2, 'Spring sale SMS', 'running', 'cohort', $3, now() - interval '3 days', 2000) RETURNING id`,
    [brandId, sales?.id, cohort?.id],
  );
  await sql(
    `INSERT INTO message_campaign_arms (message_campaign_id, position, name, role, weight, bucket_from, bucket_to,
                                        channel, class, text)
     VALUES ($1, 0, 'control', 'control', 1, 0, 5000, 'sms', 'advertising', '(광고) {link}'),
            ($1, 1, 'variant', 'variant', 1, 5000, 10000, 'sms', 'advertising', '(광고) 봄 {link}')`,
    [campaign?.id],
  );
  await sql(
    `INSERT INTO message_funnel_daily (message_campaign_id, arm, as_of, targeted, sent, delivered, opened, clicked,
                                       visited, carted, purchased, computed_at)
     VALUES ($1, 0, current_date - 1, 1000, 980, 950, 400, 220, 150, 80, 100, now()),
            ($1, 1, current_date - 1, 1000, 985, 960, 460, 260, 190, 95, 130, now())`,
    [campaign?.id],
  );
  const [experiment] = await sql<{ id: string }>(
    `INSERT INTO experiments (brand_id, message_campaign_id, key, baseline_rate, target_rate)
     VALUES ($1, $2, $3, 0.1, 0.13) RETURNING id`,
    [brandId, campaign?.id, `spring-${suffix}`],
  );
  const evaluation = evaluate(
    {
      arms: [
        { name: "control", role: "control", weight: 1 },
        { name: "variant", role: "variant", weight: 1 },
      ],
      alpha: 0.05,
      power: 0.8,
      baselineRate: 0.1,
      targetRate: 0.13,
      analysis: "fixed",
    },
    { arms: { control: { n: 1000, conversions: 100 }, variant: { n: 1000, conversions: 130 } } },
  );
  await sql(
    `INSERT INTO experiment_evaluations (experiment_id, as_of, verdict, result, computed_at)
     VALUES ($1, current_date - 1, $2, $3::jsonb, now())`,
    [experiment?.id, evaluation.verdict.kind, JSON.stringify(evaluation)],
  );
  return { brandRef: brand.id, key: key.key };
}

describe.skipIf(!hasChromium)(`dashboard in Chromium (${e2e.databaseKind})`, () => {
  let browser: Browser;
  let seeded: Seeded;

  beforeAll(async () => {
    seeded = await seedBrand();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signs in, opens every tab, saves a heatmap cell as a cohort, with no console error", async () => {
    showWranglerLogOnFailure();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
    page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
    const origin = new URL(e2e.baseUrl).origin;
    page.on("request", (request) => {
      // The page's icon is an inline `data:` URL (so that nothing asks for /favicon.ico); anything else is ours.
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith("data:"))
        problems.push(`request to another origin: ${url}`);
    });

    await page.goto(new URL("/dashboard/overview", e2e.baseUrl).toString());
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await page.fill("#key", "lr_not_a_key_at_all_000000000000");
    await page.click("button[type=submit]");
    expect(await page.textContent("[role=alert]")).toBe("Unknown API key.");
    // Chromium logs the 401 answer itself as a failed resource: that one is expected.
    problems.length = 0;
    await page.fill("#key", seeded.key);
    await Promise.all([page.waitForURL("**/dashboard/overview"), page.click("button[type=submit]")]);
    const cookies = await page.context().cookies();
    expect(
      cookies.map((c) => ({ name: c.name, path: c.path, httpOnly: c.httpOnly, sameSite: c.sameSite })),
    ).toEqual([{ name: "lr_dashboard", path: "/dashboard", httpOnly: true, sameSite: "Strict" }]);

    const tabs = [
      ["overview", "Overview"],
      ["campaigns", "Campaigns and funnel"],
      ["experiments", "Experiments"],
      ["cohorts", "Cohorts and RFM"],
      ["acquisition", "Acquisition"],
    ] as const;
    for (const [tab, label] of tabs) {
      await Promise.all([
        page.waitForURL(`**/dashboard/${tab}?brand=*`),
        page.click(`nav >> text="${label}"`),
      ]);
      expect(await page.getAttribute(`nav a[aria-current=page]`, "href")).toBe(
        `/dashboard/${tab}?brand=${encodeURIComponent(seeded.brandRef)}`,
      );
      // Every tab draws SVG charts, but the cohorts tab, whose heatmap is 25 buttons (each a form).
      if (tab === "cohorts")
        expect(await page.locator("fieldset.heatmap button[data-cell]").count()).toBe(25);
      else expect(await page.locator("main svg[role=img]").count()).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(screenshots, `dashboard-${tab}.png`), fullPage: true });
    }
    expect(await page.locator("#cohort-list").count()).toBe(0);
    await page.click('nav >> text="Cohorts and RFM"');
    const cell = page.locator('button[data-cell="R5F1"]');
    const label = (await cell.getAttribute("aria-label")) ?? "";
    const members = Number(/: (\d+) accounts/.exec(label)?.[1]);
    await Promise.all([page.waitForURL("**/dashboard/cohorts?*created=*"), cell.click()]);
    const created = new URL(page.url()).searchParams.get("created") ?? "";
    expect(await page.textContent(`#cohort-${created} th`)).toBe("RFM R5 F1");
    const cohort = await api<{ id: string; name: string; member_count: number; brand: string }>(
      "GET",
      `/api/v1/cohorts/${created}`,
    );
    expect(cohort).toMatchObject({
      id: created,
      name: "RFM R5 F1",
      member_count: members,
      brand: seeded.brandRef,
    });

    await Promise.all([page.waitForURL("**/dashboard/sign-in"), page.click('button:has-text("Sign out")')]);
    expect(await page.context().cookies()).toEqual([]);
    expect(problems).toEqual([]);
  });
});

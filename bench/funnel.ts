import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { jsonParam } from "../db/sql.ts";
import { experimentCounts, funnelOf } from "../domain/funnel/funnel.ts";
import { encodeLinkToken } from "../domain/messaging/links.ts";
import { applyMigrations, createScratchDatabase } from "../scripts/lib/database.ts";

/*
 * The funnel's and the experiment counts' statements on a synthetic campaign of MEMBERS members (default
 * 100,000) in a scratch database on DATABASE_URL: three arms, 90% sent, 20% opened, 12% clicked, 3% visited,
 * 8% with a cart, 5% buying (plus orders outside the window and cancelled ones), and 1,000,000 other orders of
 * the brand. Prints the time of each (best of three, warm) and drops the database.
 *   DATABASE_URL=postgres://… MEMBERS=100000 npx tsx bench/funnel.ts
 */

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error("DATABASE_URL names the Postgres server");
const members = Number(process.env.MEMBERS ?? 100_000);
const alphabet = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt";

const scratch = await createScratchDatabase(serverUrl, `leadrail_funnel_bench_${process.pid}`);
try {
  await applyMigrations(scratch.url);
  const pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
  const db = drizzle({ client: pool });
  const started = Date.now();
  await db.execute(
    sql.raw(`
    INSERT INTO brands (name, slug) VALUES ('Bench', 'bench');
    INSERT INTO markets (code, name, country, currency, time_zone) VALUES ('kr', 'KR', 'KR', 'KRW', 'Asia/Seoul');
    INSERT INTO stores (brand_id, market_id, platform, external_ref, name) VALUES (1, 1, 'shopify', 'bench', 'Bench');
    INSERT INTO campaigns (brand_id, code, name) VALUES (1, 'SPRING', 'Spring');
    INSERT INTO cohorts (brand_id, name, definition, resolved_definition) VALUES (1, 'All', '{}', '{}');
    INSERT INTO message_campaigns (brand_id, campaign_id, name, status, target, cohort_id, launched_at, member_count)
      VALUES (1, 1, 'Spring', 'running', 'cohort', 1, '2026-11-01T00:00:00Z', ${members});
    INSERT INTO message_campaign_arms (message_campaign_id, position, name, role, weight, bucket_from, bucket_to, channel, class)
      VALUES (1, 0, 'control', 'control', 45, 0, 4500, 'sms', 'advertising'),
             (1, 1, 'variant', 'variant', 45, 4500, 9000, 'sms', 'advertising'),
             (1, 2, 'holdout', 'holdout', 10, 9000, 10000, NULL, NULL);
    INSERT INTO emails (address, domain, sha256, md5)
      SELECT 'm' || g || '@example.com', 'example.com', encode(sha256(('m' || g)::bytea), 'hex'), md5('m' || g)
        FROM generate_series(1, ${members}) g;
    INSERT INTO contacts (email_id) SELECT id FROM emails ORDER BY id;
    INSERT INTO brand_client_accounts (brand_id, market_id, email_id, contact_id, currency)
      SELECT 1, 1, c.email_id, c.id, 'KRW' FROM contacts c ORDER BY c.id;
    INSERT INTO message_campaign_members (message_campaign_id, account_id, contact_id, bucket, arm, assigned_at)
      SELECT 1, a.id, a.contact_id, (a.id * 7919) % 10000,
             CASE WHEN (a.id * 7919) % 10000 < 4500 THEN 0 WHEN (a.id * 7919) % 10000 < 9000 THEN 1 ELSE 2 END,
             '2026-11-01T00:00:00Z' FROM brand_client_accounts a;
    INSERT INTO message_sends (message_campaign_id, arm, brand_id, account_id, contact_id, channel, class, status, queued_at, sent_at, final_at)
      SELECT 1, m.arm, 1, m.account_id, m.contact_id, 'sms', 'advertising',
             (CASE WHEN m.account_id % 10 = 0 THEN 'refused' WHEN m.account_id % 10 = 1 THEN 'accepted' ELSE 'delivered' END)::message_send_status,
             '2026-11-01T00:00:00Z',
             CASE WHEN m.account_id % 10 = 0 THEN NULL ELSE timestamptz '2026-11-01T01:00:00Z' END,
             CASE WHEN m.account_id % 10 >= 2 THEN timestamptz '2026-11-01T01:01:00Z' END
        FROM message_campaign_members m WHERE m.arm <> 2;
    INSERT INTO message_clicks (id, send_id, message_campaign_id, arm, at, bot)
      SELECT gen_random_uuid(), s.id, 1, s.arm, '2026-11-01T02:00:00Z', s.account_id % 5 = 3
        FROM message_sends s WHERE s.account_id % 5 IN (2, 3) AND s.status <> 'refused';
    INSERT INTO abandoned_carts (brand_id, store_id, platform_cart_id, contact_id, currency, abandoned_at)
      SELECT 1, 1, 'c' || m.account_id, m.contact_id, 'KRW', '2026-11-02T00:00:00Z'
        FROM message_campaign_members m WHERE m.account_id % 25 IN (1, 2);
    INSERT INTO orders (brand_id, market_id, account_id, platform, external_id, currency, subtotal, discount_total, tax_total, shipping_total, total, placed_at, cancelled_at)
      SELECT 1, 1, 1 + (g % ${members}), 'shopify', 'old' || g, 'KRW', 1000, 0, 0, 0, 1000,
             timestamptz '2024-01-01T00:00:00Z' + (g % 600) * interval '1 day', NULL
        FROM generate_series(1, 1000000) g;
    INSERT INTO orders (brand_id, market_id, account_id, platform, external_id, currency, subtotal, discount_total, tax_total, shipping_total, total, placed_at, cancelled_at)
      SELECT 1, 1, m.account_id, 'shopify', 'new' || m.account_id, 'KRW', 1000, 0, 0, 0, 1000,
             CASE WHEN m.account_id % 40 = 7 THEN timestamptz '2026-11-20T00:00:00Z' ELSE timestamptz '2026-11-03T00:00:00Z' END,
             CASE WHEN m.account_id % 40 = 9 THEN timestamptz '2026-11-04T00:00:00Z' END
        FROM message_campaign_members m WHERE m.account_id % 20 IN (3, 7, 9) OR m.account_id % 40 IN (7, 9);
    ANALYZE;
  `),
  );
  const visited = await db.execute<{ id: string; arm: number }>(
    sql`SELECT id, arm FROM message_sends WHERE account_id % 33 = 2 AND status <> 'refused'`,
  );
  const visits = visited.rows.map((row, index) => ({
    id: crypto.randomUUID(),
    at: new Date(Date.parse("2026-11-01T03:00:00Z") + index).toISOString(),
    token: encodeLinkToken(alphabet, { sendId: Number(row.id), messageCampaignId: 1, arm: Number(row.arm) }),
  }));
  await db.execute(sql`
    WITH v AS (SELECT * FROM jsonb_to_recordset(${jsonParam(visits)}::jsonb) AS r(id uuid, at timestamptz, token text)),
    c AS (INSERT INTO captures (id, received_at, landing_ref, brand_id, outcome)
          SELECT id, at, 'landing', 1, 'duplicate' FROM v RETURNING id)
    INSERT INTO capture_marketing (capture_id, extra) SELECT v.id, jsonb_build_object('lr_m', v.token) FROM v`);
  // Other landing captures of the period, without a token.
  await db.execute(sql`
    INSERT INTO captures (id, received_at, landing_ref, brand_id, outcome)
    SELECT gen_random_uuid(), timestamptz '2026-11-01T00:00:00Z' + g * interval '1 second', 'landing', 1, 'new'
      FROM generate_series(1, 200000) g`);
  await db.execute(
    sql`INSERT INTO capture_marketing (capture_id) SELECT id FROM captures WHERE outcome = 'new'`,
  );
  await db.execute(sql`ANALYZE`);
  console.log(`seeded ${members} members in ${Date.now() - started} ms`);
  const campaign = { id: 1, brandId: 1, launchedAt: new Date("2026-11-01T00:00:00Z") };
  const asOf = new Date("2026-12-01T00:00:00Z");
  const time = async (label: string, work: () => Promise<unknown>) => {
    let best = Number.POSITIVE_INFINITY;
    let result: unknown;
    for (let run = 0; run < 3; run += 1) {
      const t0 = performance.now();
      result = await work();
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`${label}: ${best.toFixed(0)} ms`, JSON.stringify(result));
  };
  await time("funnel", () => funnelOf(db, campaign, asOf, alphabet));
  await time("experiment counts", () => experimentCounts(db, 1, asOf));
  await pool.end();
} finally {
  await scratch.drop();
}

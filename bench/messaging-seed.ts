/**
 * A messaging campaign for the benchmarks, written straight in SQL (set-based, 100,000 customers a
 * statement): one brand with its messaging settings, `customers` accounts in a KRW market each with a
 * unique Korean mobile number (never ending in the simulator's failure suffixes 0000 or 9999) and granted
 * SMS and night-time consents, and a running two-arm campaign (control and variant, 50/50) of LMS
 * advertisements that pass the compliance gate, its members assigned by the README's bucket SQL, and one
 * queued send per member. Optionally orders inside and outside the goal window, so an experiment has
 * conversions to count.
 */
import type pg from "pg";

export interface MessagingSeed {
  brandId: number;
  marketId: number;
  messageCampaignId: number;
  experimentId: number;
  experimentKey: string;
  customers: number;
  /** Every queued send id, ascending. */
  sendIds: number[];
}

/** Passes every rule of the gate for the seeded brand: (광고), sender name and contact, a free 080 opt-out line. */
export const benchAdvertisement =
  "(광고)벤치몰 {name}님, 봄 세일 20% 할인 쿠폰이 도착했어요 {link}\n벤치몰 02-930-2266\n무료거부 080-123-4567";

const chunk = 100_000;

/** The national mobile number of customer `g` (1-based): 010, then 4 and 4 digits, the last never 0000 or 9999. */
export const benchPhoneSql = (g: string) =>
  `'010' || lpad((1000 + ${g} / 9998)::text, 4, '0') || lpad((${g} % 9998 + 1)::text, 4, '0')`;

export async function seedMessagingCampaign(
  client: pg.ClientBase,
  options: { customers: number; orders: boolean; queueSends: boolean; label: string },
): Promise<MessagingSeed> {
  const { customers, label } = options;
  const one = async (text: string, values: unknown[] = []) => {
    const result = await client.query<{ id: string }>(text, values);
    return Number(result.rows[0]?.id);
  };
  const brandId = await one(
    "INSERT INTO brands (name, slug, domain) VALUES ($1, $2, 'bench.example') RETURNING id",
    [`Bench ${label}`, `bench-${label}`],
  );
  const marketId = await one(
    `INSERT INTO markets (code, name, country, currency, time_zone)
     VALUES ($1, 'Korea', 'KR', 'KRW', 'Asia/Seoul') RETURNING id`,
    [`kr-${label}`.slice(0, 16)],
  );
  await client.query(
    `INSERT INTO brand_messaging_settings
       (brand_id, sender_name, sender_contact, opt_out_number, sender_number, frequency_caps, reconfirm_text)
     VALUES ($1, '벤치몰', '02-930-2266', '080-123-4567', '029302266', '{}'::jsonb,
             '[벤치몰] 광고 수신 동의 2년이 지나 다시 확인드립니다. 유지하시려면 회신 부탁드립니다.')`,
    [brandId],
  );
  for (let from = 1; from <= customers; from += chunk) {
    const to = Math.min(customers, from + chunk - 1);
    await client.query(
      `WITH g AS (SELECT g FROM generate_series($1::int, $2::int) g),
       e AS (
         INSERT INTO emails (address, domain, sha256, md5)
         SELECT 'c' || g || '@' || $5 || '.bench.kr', $5 || '.bench.kr',
                encode(sha256(convert_to('c' || g || '@' || $5 || '.bench.kr', 'UTF8')), 'hex'),
                md5('c' || g || '@' || $5 || '.bench.kr')
           FROM g RETURNING id, address),
       c AS (INSERT INTO contacts (email_id) SELECT id FROM e RETURNING id, email_id),
       p AS (
         INSERT INTO personal_info (first_name, last_name, phone, sha256, md5)
         SELECT '고객' || g, $5, ${benchPhoneSql("g")},
                encode(sha256(convert_to('pi:' || $5 || ':' || g, 'UTF8')), 'hex'), md5('pi:' || $5 || ':' || g)
           FROM g RETURNING id, first_name)
       INSERT INTO brand_client_accounts (brand_id, market_id, email_id, contact_id, personal_info_id, currency)
       SELECT $3, $4, e.id, c.id, p.id, 'KRW'
         FROM e JOIN c ON c.email_id = e.id
         JOIN p ON p.first_name = '고객' || substr(split_part(e.address, '@', 1), 2)`,
      [from, to, brandId, marketId, label],
    );
  }
  await client.query(
    `INSERT INTO consents (brand_id, contact_id, channel, status, at, source)
     SELECT a.brand_id, a.contact_id, ch.channel, 'granted', now() - interval '30 days', 'bench'
       FROM brand_client_accounts a
       CROSS JOIN (VALUES ('sms'::consent_channel), ('night_ads'::consent_channel)) ch(channel)
      WHERE a.brand_id = $1`,
    [brandId],
  );
  const cohortId = await one(
    `INSERT INTO cohorts (brand_id, name, definition, resolved_definition)
     VALUES ($1, 'Everyone', '{"and":[]}'::jsonb, '{"and":[]}'::jsonb) RETURNING id`,
    [brandId],
  );
  const campaignId = await one(
    "INSERT INTO campaigns (brand_id, code, name) VALUES ($1, 'spring-sale', 'Spring sale') RETURNING id",
    [brandId],
  );
  const messageCampaignId = await one(
    `INSERT INTO message_campaigns (brand_id, campaign_id, name, status, target, cohort_id, goal_window_days,
       launched_at, member_count)
     VALUES ($1, $2, 'Spring sale', 'running', 'cohort', $3, 7, now() - interval '12 days', $4) RETURNING id`,
    [brandId, campaignId, cohortId, customers],
  );
  const experimentKey = `bench-${label}`;
  const experimentId = await one(
    `INSERT INTO experiments (brand_id, message_campaign_id, key, alpha, power, baseline_rate, target_rate, analysis)
     VALUES ($1, $2, $3, 0.05, 0.8, 0.10, 0.12, 'fixed') RETURNING id`,
    [brandId, messageCampaignId, experimentKey],
  );
  await client.query(
    `INSERT INTO message_campaign_arms (message_campaign_id, position, name, role, weight, bucket_from, bucket_to,
       channel, class, text, subject, link_url)
     VALUES ($1, 0, 'control', 'control', 50, 0, 5000, 'lms', 'advertising', $2, '봄 세일', 'https://bench.example/spring'),
            ($1, 1, 'coupon', 'variant', 50, 5000, 10000, 'lms', 'advertising', $2, '봄 세일', 'https://bench.example/spring?v=coupon')`,
    [messageCampaignId, benchAdvertisement],
  );
  await client.query(
    `INSERT INTO message_campaign_members (message_campaign_id, account_id, contact_id, bucket, arm, assigned_at)
     SELECT $1, a.id, a.contact_id, b.bucket, CASE WHEN b.bucket < 5000 THEN 0 ELSE 1 END,
            now() - interval '12 days'
       FROM brand_client_accounts a
      CROSS JOIN LATERAL (SELECT (('x' || substr(encode(sha256(convert_to($2 || ':' || a.id, 'UTF8')), 'hex'), 1, 8))::bit(32)::bigint % 10000)::int AS bucket) b
      WHERE a.brand_id = $3`,
    [messageCampaignId, experimentKey, brandId],
  );
  let sendIds: number[] = [];
  if (options.queueSends) {
    const sends = await client.query<{ id: string }>(
      `INSERT INTO message_sends (message_campaign_id, arm, brand_id, account_id, contact_id, channel, class,
         status, queued_at)
       SELECT m.message_campaign_id, m.arm, $2::bigint, m.account_id, m.contact_id, 'lms', 'advertising', 'queued', now()
         FROM message_campaign_members m WHERE m.message_campaign_id = $1
        ORDER BY m.account_id
       RETURNING id`,
      [messageCampaignId, brandId],
    );
    sendIds = sends.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
    await client.query(
      `INSERT INTO message_send_history (send_id, status, at)
       SELECT id, 'queued', queued_at FROM message_sends WHERE message_campaign_id = $1`,
      [messageCampaignId],
    );
  }
  if (options.orders) {
    // Conversions by bucket, so the rates are exact: 10% of the control's members and 12% of the variant's
    // order once inside the 7-day window; 3% of everyone once more 10 days later (outside it).
    await client.query(
      `INSERT INTO orders (brand_id, market_id, account_id, platform, external_id, currency, subtotal,
         discount_total, tax_total, shipping_total, total, placed_at)
       SELECT $2::bigint, $3::bigint, m.account_id, 'bench', 'w-' || m.account_id, 'KRW', 32000, 0, 0, 3000, 35000,
              m.assigned_at + interval '1 day'
         FROM message_campaign_members m
        WHERE m.message_campaign_id = $1 AND (m.bucket % 100) < CASE m.arm WHEN 0 THEN 10 ELSE 12 END
       UNION ALL
       SELECT $2::bigint, $3::bigint, m.account_id, 'bench', 'late-' || m.account_id, 'KRW', 32000, 0, 0, 3000, 35000,
              m.assigned_at + interval '10 days'
         FROM message_campaign_members m
        WHERE m.message_campaign_id = $1 AND (m.bucket % 100) >= 97`,
      [messageCampaignId, brandId, marketId],
    );
  }
  await client.query("ANALYZE");
  return { brandId, marketId, messageCampaignId, experimentId, experimentKey, customers, sendIds };
}

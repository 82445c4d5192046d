/**
 * Stored captures for the growth benchmark: `count` captures of new emails over the landings already in the
 * database (the demo catalog), each with its email, contact, brand relationship, two contact events and
 * the geo, marketing, HTTP log and knowledge rows the pipeline writes, spread over the last two years.
 * Set-based, in chunks of one statement and transaction each, so an interrupted seed leaves whole captures.
 *
 * As a command: `tsx bench/growth-seed.ts <count>` with DATABASE_URL set (migrated and seeded).
 */
import { pathToFileURL } from "node:url";
import pg from "pg";

const chunkStatement = `
  WITH g AS (
    SELECT i, 'growth.' || $3::text || '.' || i || '@growth-mail.test' AS address, gen_random_uuid() AS capture_id,
           now() - (i % 730) * interval '1 day' - (i % 86400) * interval '1 second' AS at
      FROM generate_series($1::bigint, $2::bigint) i),
  lk AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id AS landing_id, brand_id, theme_id, partner_id, product_id
           FROM landings),
  e AS (INSERT INTO emails (address, domain, sha256, md5)
        SELECT address, 'growth-mail.test', encode(sha256(convert_to(address, 'UTF8')), 'hex'), md5(address) FROM g
        RETURNING id, address),
  c AS (INSERT INTO contacts (email_id, first_capture_id)
        SELECT e.id, g.capture_id FROM e JOIN g USING (address) RETURNING id, email_id),
  x AS (SELECT g.*, e.id AS email_id, c.id AS contact_id, lk.*
          FROM g JOIN e USING (address) JOIN c ON c.email_id = e.id
          JOIN lk ON lk.k = g.i % (SELECT count(*) FROM landings)),
  cap AS (INSERT INTO captures (id, received_at, landing_ref, landing_id, brand_id, theme_id, partner_id, product_id,
            email_id, contact_id, outcome, fields)
          SELECT capture_id, at, 'growth-seed', landing_id, brand_id, theme_id, partner_id, product_id, email_id,
                 contact_id, 'new', jsonb_build_object('email', address, 'first_name', 'Minjun') FROM x),
  cb AS (INSERT INTO contact_brands (contact_id, brand_id, first_capture_id, last_capture_id)
         SELECT contact_id, brand_id, capture_id, capture_id FROM x),
  ce AS (INSERT INTO contact_events (contact_id, brand_id, type, capture_id, source, detail, occurred_at)
         SELECT contact_id, brand_id, t.type::contact_event_type, capture_id, 'capture', '{"outcome":"new"}', at
           FROM x, (VALUES ('created'), ('captured')) AS t(type)),
  geo AS (INSERT INTO capture_geo (capture_id, country, region, city, timezone)
          SELECT capture_id, 'KR', 'Seoul', 'Seoul', 'Asia/Seoul' FROM x),
  mkt AS (INSERT INTO capture_marketing (capture_id, utm_source, utm_medium, click_id)
          SELECT capture_id, 'naver', 'cpc', 'clk-' || i FROM x),
  http AS (INSERT INTO capture_http_logs (capture_id, method, url, request_headers, response_status,
             response_location, edge_duration_ms)
           SELECT capture_id, 'POST', 'https://edge.growth.test/l/seed', '{"user-agent":"Mozilla/5.0"}', 303,
                  'https://fallback.growth.test/', 0.8 FROM x),
  kn AS (INSERT INTO capture_knowledge (capture_id, edge_level, edge_source, edge_known, edge_known_active,
           edge_known_active_same_brand, after_level, after_known, after_known_active, after_known_active_same_brand)
         SELECT capture_id, 'unknown', 'kv', false, false, false, 'known_active_same_brand', true, true, true FROM x)
  SELECT count(*)::int AS n FROM x`;

export async function seedCaptures(
  url: string,
  count: number,
  onChunk: (done: number) => void = () => {},
): Promise<{ captures: number; seconds: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  const run = `${process.pid}${Date.now().toString(36)}`;
  let done = 0;
  try {
    const landings = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM landings");
    if (!landings.rows[0]?.n) throw new Error("no landings: seed the demo catalog first (npm run seed)");
    for (let from = 1; from <= count; from += 50_000) {
      const to = Math.min(count, from + 49_999);
      const result = await client.query<{ n: number }>(chunkStatement, [from, to, run]);
      done += result.rows[0]?.n ?? 0;
      onChunk(done);
    }
    await client.query("ANALYZE");
  } finally {
    await client.end();
  }
  return { captures: done, seconds: (performance.now() - started) / 1000 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const count = Number(process.argv[2]);
  const url = process.env.DATABASE_URL;
  if (!Number.isInteger(count) || count < 1 || !url) {
    console.error("usage: DATABASE_URL=… tsx bench/growth-seed.ts <count>");
    process.exit(2);
  }
  const summary = await seedCaptures(url, count, (done) => process.stderr.write(`\r${done} captures`));
  console.log(`\n${summary.captures} captures in ${summary.seconds.toFixed(1)} s`);
}

import { createHash } from "node:crypto";
import pg from "pg";
import { checkApiKey } from "./admin-key.ts";

export const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex");

type RuleKnowledge = "any" | "unknown" | "known" | "known_active" | "known_active_same_brand";

interface RuleSpec {
  key: string;
  brand: string | null;
  theme: string | null;
  partner: string | null;
  product: string | null;
  knowledge: RuleKnowledge;
  priority: number;
  targetUrl: string;
}

interface LandingSpec {
  key: string;
  name: string;
  brand: string;
  theme: string;
  partner: string;
  product: string;
  fallbackUrl: string;
}

const brands = [
  { slug: "acme-skincare", name: "Acme Skincare", domain: "acme.example" },
  { slug: "northwind-coffee", name: "Northwind Coffee", domain: "northwind.example" },
];

const themes = [
  { slug: "summer-sale", name: "Summer sale" },
  { slug: "free-sample", name: "Free sample" },
];

const partners = [
  {
    slug: "affnet",
    name: "AffNet",
    clickIdParam: "aff_click_id",
    transactionIdParam: "aff_tx",
    postbackUrl:
      "https://postback.affnet.example/conversion?click_id={click_id}&tx={transaction_id}&event={event}&payout={payout}&currency={currency}",
  },
  {
    slug: "direct",
    name: "Direct traffic",
    clickIdParam: "click_id",
    transactionIdParam: "transaction_id",
    postbackUrl: null,
  },
];

const markets = [
  { code: "kr", name: "South Korea", country: "KR", currency: "KRW", timeZone: "Asia/Seoul" },
  { code: "us", name: "United States", country: "US", currency: "USD", timeZone: "America/New_York" },
];

/** One Shopify shop per demo brand, keyed by its shop domain. */
const stores = [
  {
    brand: "acme-skincare",
    market: "kr",
    externalRef: "acme-skincare.myshopify.com",
    name: "Acme Skincare Korea",
  },
  {
    brand: "northwind-coffee",
    market: "us",
    externalRef: "northwind-coffee.myshopify.com",
    name: "Northwind Coffee US",
  },
];

const products = [
  { brand: "acme-skincare", sku: "SERUM-30", name: "Hydra serum 30 ml" },
  { brand: "northwind-coffee", sku: "BEANS-1KG", name: "Espresso beans 1 kg" },
];

const landings: LandingSpec[] = [
  {
    key: "acmeSummerAffnet",
    name: "Acme serum, summer sale, via AffNet",
    brand: "acme-skincare",
    theme: "summer-sale",
    partner: "affnet",
    product: "SERUM-30",
    fallbackUrl: "https://acme.example/",
  },
  {
    key: "acmeSampleDirect",
    name: "Acme serum, free sample, direct",
    brand: "acme-skincare",
    theme: "free-sample",
    partner: "direct",
    product: "SERUM-30",
    fallbackUrl: "https://acme.example/",
  },
  {
    key: "northwindSampleAffnet",
    name: "Northwind beans, free sample, via AffNet",
    brand: "northwind-coffee",
    theme: "free-sample",
    partner: "affnet",
    product: "BEANS-1KG",
    fallbackUrl: "https://northwind.example/",
  },
];

/**
 * One rule per knowledge level for Acme, a more specific one for Acme's summer sale via AffNet
 * (it beats the brand-wide `unknown` rule), and a brand-wide `any` rule for Northwind with a
 * `known_active_same_brand` rule above it.
 */
const rules: RuleSpec[] = [
  {
    key: "acmeUnknown",
    brand: "acme-skincare",
    theme: null,
    partner: null,
    product: null,
    knowledge: "unknown",
    priority: 0,
    targetUrl: "https://acme.example/welcome?capture={capture_id}",
  },
  {
    key: "acmeSummerAffnetUnknown",
    brand: "acme-skincare",
    theme: "summer-sale",
    partner: "affnet",
    product: null,
    knowledge: "unknown",
    priority: 0,
    targetUrl: "https://acme.example/summer/welcome?capture={capture_id}&click={click_id}",
  },
  {
    key: "acmeKnown",
    brand: "acme-skincare",
    theme: null,
    partner: null,
    product: null,
    knowledge: "known",
    priority: 0,
    targetUrl: "https://acme.example/welcome-back?capture={capture_id}",
  },
  {
    key: "acmeKnownActive",
    brand: "acme-skincare",
    theme: null,
    partner: null,
    product: null,
    knowledge: "known_active",
    priority: 0,
    targetUrl: "https://acme.example/from-our-family?capture={capture_id}",
  },
  {
    key: "acmeKnownActiveSameBrand",
    brand: "acme-skincare",
    theme: null,
    partner: null,
    product: null,
    knowledge: "known_active_same_brand",
    priority: 0,
    targetUrl: "https://acme.example/already-subscribed?capture={capture_id}",
  },
  {
    key: "northwindAny",
    brand: "northwind-coffee",
    theme: null,
    partner: null,
    product: null,
    knowledge: "any",
    priority: 0,
    targetUrl: "https://northwind.example/thanks?capture={capture_id}",
  },
  {
    key: "northwindKnownActiveSameBrand",
    brand: "northwind-coffee",
    theme: null,
    partner: null,
    product: null,
    knowledge: "known_active_same_brand",
    priority: 10,
    targetUrl: "https://northwind.example/welcome-back?capture={capture_id}",
  },
];

export interface SeededLanding {
  id: number;
  name: string;
  brandSlug: string;
  brandId: number;
  fallbackUrl: string;
}

export interface SeededRule {
  id: number;
  knowledge: RuleKnowledge;
  targetUrl: string;
}

/** What the demo seed created or found: internal ids keyed by a stable name. */
export interface DemoSeed {
  brands: Record<string, number>;
  /** By market code. */
  markets: Record<string, number>;
  /** By shop domain. */
  stores: Record<string, number>;
  landings: Record<string, SeededLanding>;
  rules: Record<string, SeededRule>;
  adminKeyId: number;
}

/**
 * Seeds the demo catalog and the admin API key. Idempotent: brands, themes and partners by slug,
 * markets by code, stores by (platform, shop domain), products by (brand, sku), landings by name,
 * rules by their full definition, the key by its SHA-256. Only the hash of the key is stored.
 */
export async function seedDemo(databaseUrl: string, adminKey: string): Promise<DemoSeed> {
  // Before connecting: a key the API refuses must never be stored.
  checkApiKey(adminKey, "the admin key");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    const brandIds: Record<string, number> = {};
    for (const brand of brands) {
      brandIds[brand.slug] = await upsertBySlug(
        client,
        "INSERT INTO brands (name, slug, domain) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING",
        "SELECT id FROM brands WHERE slug = $1",
        [brand.name, brand.slug, brand.domain],
        brand.slug,
      );
    }
    const themeIds: Record<string, number> = {};
    for (const theme of themes) {
      themeIds[theme.slug] = await upsertBySlug(
        client,
        "INSERT INTO themes (name, slug) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING",
        "SELECT id FROM themes WHERE slug = $1",
        [theme.name, theme.slug],
        theme.slug,
      );
    }
    const partnerIds: Record<string, number> = {};
    for (const partner of partners) {
      partnerIds[partner.slug] = await upsertBySlug(
        client,
        `INSERT INTO partners (name, slug, click_id_param, transaction_id_param, postback_url, postback_method)
         VALUES ($1, $2, $3, $4, $5, 'get') ON CONFLICT (slug) DO NOTHING`,
        "SELECT id FROM partners WHERE slug = $1",
        [partner.name, partner.slug, partner.clickIdParam, partner.transactionIdParam, partner.postbackUrl],
        partner.slug,
      );
    }
    const marketIds: Record<string, number> = {};
    for (const market of markets) {
      marketIds[market.code] = await upsertBySlug(
        client,
        `INSERT INTO markets (code, name, country, currency, time_zone) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (code) DO NOTHING`,
        "SELECT id FROM markets WHERE code = $1",
        [market.code, market.name, market.country, market.currency, market.timeZone],
        market.code,
      );
    }
    const storeIds: Record<string, number> = {};
    for (const store of stores) {
      storeIds[store.externalRef] = await upsertBySlug(
        client,
        `INSERT INTO stores (brand_id, market_id, platform, external_ref, name) VALUES ($1, $2, 'shopify', $3, $4)
         ON CONFLICT (platform, external_ref) DO NOTHING`,
        "SELECT id FROM stores WHERE platform = 'shopify' AND external_ref = $1",
        [lookup(brandIds, store.brand), lookup(marketIds, store.market), store.externalRef, store.name],
        store.externalRef,
      );
    }
    const productIds: Record<string, number> = {};
    for (const product of products) {
      const brandId = lookup(brandIds, product.brand);
      await client.query(
        "INSERT INTO products (brand_id, name, sku) VALUES ($1, $2, $3) ON CONFLICT (brand_id, sku) DO NOTHING",
        [brandId, product.name, product.sku],
      );
      const found = await client.query<{ id: string }>(
        "SELECT id FROM products WHERE brand_id = $1 AND sku = $2",
        [brandId, product.sku],
      );
      productIds[product.sku] = toId(found.rows[0]?.id, `product ${product.sku}`);
    }

    const seededLandings: Record<string, SeededLanding> = {};
    for (const landing of landings) {
      const values = [
        landing.name,
        lookup(brandIds, landing.brand),
        lookup(themeIds, landing.theme),
        lookup(partnerIds, landing.partner),
        lookup(productIds, landing.product),
        landing.fallbackUrl,
      ];
      await client.query(
        `INSERT INTO landings (name, brand_id, theme_id, partner_id, product_id, fallback_url)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE NOT EXISTS (SELECT 1 FROM landings WHERE name = $1)`,
        values,
      );
      const found = await client.query<{ id: string; brand_id: string; fallback_url: string }>(
        "SELECT id, brand_id, fallback_url FROM landings WHERE name = $1 ORDER BY id LIMIT 1",
        [landing.name],
      );
      const row = found.rows[0];
      seededLandings[landing.key] = {
        id: toId(row?.id, `landing ${landing.name}`),
        name: landing.name,
        brandSlug: landing.brand,
        brandId: toId(row?.brand_id, `landing ${landing.name} brand`),
        fallbackUrl: row?.fallback_url ?? landing.fallbackUrl,
      };
    }

    const seededRules: Record<string, SeededRule> = {};
    for (const rule of rules) {
      const values = [
        rule.brand === null ? null : lookup(brandIds, rule.brand),
        rule.theme === null ? null : lookup(themeIds, rule.theme),
        rule.partner === null ? null : lookup(partnerIds, rule.partner),
        rule.product === null ? null : lookup(productIds, rule.product),
        rule.knowledge,
        rule.priority,
        rule.targetUrl,
      ];
      const match = `brand_id IS NOT DISTINCT FROM $1::bigint AND theme_id IS NOT DISTINCT FROM $2::bigint
        AND partner_id IS NOT DISTINCT FROM $3::bigint AND product_id IS NOT DISTINCT FROM $4::bigint
        AND knowledge = $5::rule_knowledge AND priority = $6::integer AND target_url = $7::text`;
      await client.query(
        `INSERT INTO redirect_rules (brand_id, theme_id, partner_id, product_id, knowledge, priority, target_url)
         SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::rule_knowledge, $6::integer, $7::text
         WHERE NOT EXISTS (SELECT 1 FROM redirect_rules WHERE ${match})`,
        values,
      );
      const found = await client.query<{ id: string }>(
        `SELECT id FROM redirect_rules WHERE ${match} ORDER BY id LIMIT 1`,
        values,
      );
      seededRules[rule.key] = {
        id: toId(found.rows[0]?.id, `rule ${rule.key}`),
        knowledge: rule.knowledge,
        targetUrl: rule.targetUrl,
      };
    }

    const keyHash = sha256Hex(adminKey);
    await client.query(
      `INSERT INTO api_keys (name, prefix, key_hash, is_admin) VALUES ('Demo admin', $1, $2, true)
       ON CONFLICT (key_hash) DO NOTHING`,
      [adminKey.slice(0, 12), keyHash],
    );
    const key = await client.query<{ id: string }>("SELECT id FROM api_keys WHERE key_hash = $1", [keyHash]);
    const adminKeyId = toId(key.rows[0]?.id, "admin key");
    await client.query("COMMIT");
    return {
      brands: brandIds,
      markets: marketIds,
      stores: storeIds,
      landings: seededLandings,
      rules: seededRules,
      adminKeyId,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

async function upsertBySlug(
  client: pg.Client,
  insert: string,
  select: string,
  values: unknown[],
  slug: string,
): Promise<number> {
  await client.query(insert, values);
  const found = await client.query<{ id: string }>(select, [slug]);
  return toId(found.rows[0]?.id, slug);
}

function lookup(ids: Record<string, number>, key: string): number {
  const id = ids[key];
  if (id === undefined) throw new Error(`seed: ${key} was not created`);
  return id;
}

/** `bigint` columns arrive as strings from `pg`. */
function toId(value: string | undefined, what: string): number {
  if (value === undefined) throw new Error(`seed: ${what} not found after insert`);
  return Number(value);
}

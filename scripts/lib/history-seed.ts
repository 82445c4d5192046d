/**
 * `npm run seed -- --customers N`: a multi-brand sales history generated inside PostgreSQL with set-based
 * SQL. Every random choice is a hash of (seed, a row key, a purpose) — `pg_temp.hs_u` below — so the data
 * depends only on `--seed` and the customer numbers, never on chunk size or timing. Each chunk of customers
 * is one transaction: customers and their accounts, orders, items, invoices, payments, refunds with their
 * credit notes (waterfall), subscriptions with history and occurrences are first built in temporary tables
 * (ids reserved from each table's own identity sequence, in customer order), then copied into the ledger
 * with the six running totals of every account already summed from the rows written beside them.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { readArgs, UsageError } from "./args.ts";
import {
  brandCoupons,
  type CatalogProduct,
  carriers,
  catalogs,
  channels,
  consentChangeShare,
  consentGrantShares,
  consentRevertShare,
  defaultAcquisitionRules,
  englishEmailDomains,
  englishFirstNames,
  englishLastNames,
  englishPaymentMethods,
  genericCatalog,
  genericInfluencers,
  growthOverRange,
  hourWeights,
  type Influencer,
  influencers,
  koreanEmailDomains,
  koreanFirstNames,
  koreanLastNames,
  koreanPaymentMethods,
  koreanPlaces,
  koreanStreets,
  lostCartScale,
  monthWeights,
  priceFactors,
  recoveredCartShare,
  shippingByCurrency,
  taxPercentByCurrency,
  usPlaces,
  usStreets,
  type Weighted,
  weekdayWeights,
} from "./history-data.ts";

const dayMs = 86_400_000;

// ---------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------

export interface HistoryOptions {
  customers: number;
  /** PRNG seed: the same seed (and customer numbers) gives the same data. */
  seed: number;
  /** Brand slugs; null for every brand in the database. */
  brands: string[] | null;
  /** Market codes; null for every market whose currency the seed can price. */
  markets: string[] | null;
  /** Orders are placed in [from, to). */
  from: Date;
  to: Date;
  /** Customers per transaction. */
  chunkSize: number;
  /** Add customers after an existing history instead of refusing. */
  append: boolean;
  /** Keep foreign key checks on even when the role could skip them (slower; the tests use it). */
  fkChecks: boolean;
}

export const seedUsage = `Usage: npm run seed -- [--customers N [options]]

Without --customers: the demo catalog and admin API key (idempotent).
With --customers N: the demo seed, then a sales history of N customers over the demo brands and markets.

Options:
  --customers N    customers to generate (people; each has 1–3 brand accounts)
  --seed INT       PRNG seed (default 1): the same seed gives the same history
  --brands A,B     brand slugs (default: every brand)
  --markets kr,us  market codes (default: every market in a currency the seed prices: ${Object.keys(priceFactors).join(", ")})
  --from DATE      first day of the history (default: two years before --to)
  --to DATE        day after the last (default: today, UTC)
  --chunk N        customers per transaction (default 50000)
  --append         add to an existing history (default: refuse when the brands already have orders)
  --fk-checks      keep foreign key checks on (default: skipped when the role is a superuser, ~40% faster)
  -h, --help       this text`;

/** Midnight UTC of a date's day. */
export function utcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** The same calendar day `years` earlier (29 February becomes 28 February). */
export function yearsBefore(day: Date, years: number): Date {
  const result = new Date(Date.UTC(day.getUTCFullYear() - years, day.getUTCMonth(), day.getUTCDate()));
  if (result.getUTCMonth() !== day.getUTCMonth()) result.setUTCDate(0);
  return result;
}

function positiveInt(flag: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag}: not a whole number: ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < 1 || value > max) throw new UsageError(`${flag}: must be between 1 and ${max}`);
  return value;
}

function isoDay(flag: string, raw: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new UsageError(`${flag}: expected YYYY-MM-DD, got ${raw}`);
  const date = new Date(`${raw}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw)
    throw new UsageError(`${flag}: not a date: ${raw}`);
  return date;
}

function list(flag: string, raw: string | undefined, pattern: RegExp): string[] | null {
  if (raw === undefined) return null;
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) throw new UsageError(`${flag}: empty list`);
  for (const item of items)
    if (!pattern.test(item)) throw new UsageError(`${flag}: not a valid name: ${JSON.stringify(item)}`);
  return [...new Set(items)];
}

/**
 * Parses `npm run seed` flags. `history` is null when no `--customers` was given (the demo seed alone);
 * throws UsageError naming the bad flag.
 */
export function parseSeedArgs(argv: string[], today: Date): { history: HistoryOptions | null } | "help" {
  const values = readArgs(parse, argv);
  if (values === "help") return "help";
  const historyFlags = ["seed", "brands", "markets", "from", "to", "chunk", "append", "fk-checks"] as const;
  if (values.customers === undefined) {
    const stray = historyFlags.filter((flag) => values[flag] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray[0]} needs --customers`);
    return { history: null };
  }
  const customers = positiveInt("--customers", values.customers, 50_000_000);
  const seed = values.seed === undefined ? 1 : positiveInt("--seed", values.seed, 2_000_000);
  const to = values.to === undefined ? utcDay(today) : isoDay("--to", values.to);
  const from = values.from === undefined ? yearsBefore(to, 2) : isoDay("--from", values.from);
  if (from.getTime() >= to.getTime()) throw new UsageError("--from must be before --to");
  if (to.getTime() - from.getTime() > 20 * 366 * dayMs) throw new UsageError("--from: at most 20 years");
  return {
    history: {
      customers,
      seed,
      brands: list("--brands", values.brands, /^[a-z0-9][a-z0-9-]*$/),
      markets: list("--markets", values.markets, /^[a-z0-9-]{2,16}$/),
      from,
      to,
      chunkSize: values.chunk === undefined ? 50_000 : positiveInt("--chunk", values.chunk, 1_000_000),
      append: values.append === true,
      fkChecks: values["fk-checks"] === true,
    },
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      customers: { type: "string" },
      seed: { type: "string" },
      brands: { type: "string" },
      markets: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      chunk: { type: "string" },
      append: { type: "boolean" },
      "fk-checks": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Pure helpers (the SQL below is generated from them)
// ---------------------------------------------------------------------------------------------------------

/** Slots of every pick list: a uniform draw u picks slot ⌊u·1000⌋. */
export const pickSlots = 1000;
/** Slots of the calendar: a uniform draw picks a day with probability ∝ its weight. */
export const daySlotCount = 20_000;

/**
 * Spreads `slots` slots over the weights by the largest-remainder method: entry i gets ⌊share⌋ or ⌈share⌉
 * slots, in total exactly `slots`; returns the entry index of each slot, in order.
 */
export function expandToSlots(weights: readonly number[], slots: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || weights.some((w) => w < 0 || !Number.isFinite(w)))
    throw new RangeError("weights must be non-negative with a positive sum");
  const exact = weights.map((w) => (w / sum) * slots);
  const counts = exact.map(Math.floor);
  let left = slots - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, index] of byRemainder) {
    if (left === 0) break;
    counts[index] = (counts[index] ?? 0) + 1;
    left -= 1;
  }
  return counts.flatMap((count, index) => Array<number>(count).fill(index));
}

/** The Friday after the fourth Thursday of November (UTC day). */
export function blackFriday(year: number): Date {
  const first = new Date(Date.UTC(year, 10, 1));
  const firstThursday = 1 + ((4 - first.getUTCDay() + 7) % 7);
  return new Date(Date.UTC(year, 10, firstThursday + 21 + 1));
}

/**
 * Relative order volume of each day in [from, to): month and weekday seasonality, Black Friday to Cyber
 * Monday and 11.11 spikes, and steady growth (the last day weighs `1 + growthOverRange` times the first).
 */
export function dayWeights(from: Date, to: Date): number[] {
  const days = Math.round((to.getTime() - from.getTime()) / dayMs);
  const weights: number[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(from.getTime() + i * dayMs);
    const bf = blackFriday(day.getUTCFullYear()).getTime();
    const sinceBf = Math.round((day.getTime() - bf) / dayMs);
    const spike =
      sinceBf === 0
        ? 3
        : sinceBf === 3
          ? 2.4
          : sinceBf === 1 || sinceBf === 2
            ? 1.8
            : isElevenEleven(day)
              ? 1.8
              : 1;
    const growth = 1 + (growthOverRange * i) / Math.max(1, days - 1);
    weights.push(
      (monthWeights[day.getUTCMonth()] ?? 1) * (weekdayWeights[day.getUTCDay()] ?? 1) * spike * growth,
    );
  }
  return weights;
}

const isElevenEleven = (day: Date): boolean => day.getUTCMonth() === 10 && day.getUTCDate() === 11;

/** Strides s in [1, n) with gcd(s, n) = 1: p, p+s, p+2s, … (mod n) visits n distinct products. */
export function coprimeStrides(n: number): number[] {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const strides: number[] = [];
  for (let s = 1; s < n; s++) if (gcd(s, n) === 1) strides.push(s);
  return strides.length > 0 ? strides : [1];
}

/** Orders a customer would place with unlimited time: a discrete Pareto, P(n ≥ k) = k^−α (cap 60). */
export const repeatAlpha = 1.6;
export const maxOrdersPerAccount = 60;
export function ordersForUniform(u: number): number {
  return Math.min(maxOrdersPerAccount, Math.floor((1 - u) ** (-1 / repeatAlpha)));
}

/** utm_campaign of a seasonal push by calendar month (1–12); months without one are `always-on`. */
export const seasonalCampaigns: Readonly<Record<number, string>> = {
  1: "new-year",
  3: "spring-sale",
  4: "spring-sale",
  6: "summer-sale",
  7: "summer-sale",
  9: "autumn",
  11: "black-friday",
  12: "holiday",
};

export function seasonalCampaign(year: number, month: number): string {
  const name = seasonalCampaigns[month];
  return name === undefined ? "always-on" : `${name}-${year}`;
}

/**
 * Campaign codes and names a brand needs for orders placed in [from, to): a newsletter per month and the
 * seasonal pushes (from the month before `from`, as a local time can fall in the previous UTC month),
 * plus the always-on ones. Influencer campaigns are added per brand.
 */
export function campaignCatalog(from: Date, to: Date): { code: string; name: string }[] {
  const result = new Map<string, string>([
    ["always-on", "Always-on prospecting"],
    ["brand-search", "Brand search"],
    ["retargeting", "Retargeting"],
  ]);
  let year = from.getUTCFullYear();
  let month = from.getUTCMonth(); // the month before `from`, 0-based + 1 − 1
  if (month === 0) {
    year -= 1;
    month = 12;
  }
  const last = to.getUTCFullYear() * 12 + to.getUTCMonth() + 1;
  while (year * 12 + month <= last) {
    const mm = String(month).padStart(2, "0");
    result.set(`newsletter-${year}-${mm}`, `Newsletter ${year}-${mm}`);
    const seasonal = seasonalCampaign(year, month);
    if (seasonal !== "always-on") result.set(seasonal, `${seasonal.replace(/-/g, " ")} push`);
    month += 1;
    if (month === 13) {
      month = 1;
      year += 1;
    }
  }
  return [...result].map(([code, name]) => ({ code, name }));
}

/** Customer number ranges [lo, hi) of `size`, from `offset`. */
export function chunkRanges(offset: number, count: number, size: number): { lo: number; hi: number }[] {
  const ranges: { lo: number; hi: number }[] = [];
  for (let lo = offset; lo < offset + count; lo += size)
    ranges.push({ lo, hi: Math.min(lo + size, offset + count) });
  return ranges;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

const grouped = (n: number): string => Math.round(n).toLocaleString("en-US");

/** `[#####-----] 500,000/1,000,000 customers  50%  8,123/s  ETA 1m02s` */
export function progressLine(done: number, total: number, elapsedMs: number, width = 24): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.NaN;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${grouped(done)}/${grouped(total)} customers  ${String(
    Math.floor(ratio * 100),
  ).padStart(3)}%  ${grouped(rate)}/s  ETA ${done >= total ? "0s" : formatDuration(eta)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------------------

/** Tables the generator writes, in insertion (foreign key) order. */
export const historyTables = [
  "emails",
  "contacts",
  "personal_info",
  "addresses",
  "products",
  "product_offers",
  "coupons",
  "campaigns",
  "influencers",
  "influencer_codes",
  "acquisition_rules",
  "brand_client_accounts",
  "subscriptions",
  "orders",
  "order_items",
  "order_coupons",
  "invoices",
  "invoice_items",
  "payments",
  "refunds",
  "credit_notes",
  "credit_note_items",
  "subscription_history",
  "subscription_occurrences",
  "commerce_events",
  "consents",
  "consent_history",
  "order_fulfilment_history",
  "abandoned_carts",
] as const;
export type HistoryTable = (typeof historyTables)[number];

export interface HistorySummary {
  /** Rows inserted per table. */
  rows: Record<HistoryTable, number>;
  customers: number;
  /** First customer number of this run (0 unless appending). */
  offset: number;
  seconds: number;
  /** Whether foreign key checks ran (see `fkChecks` in HistoryOptions). */
  fkChecks: boolean;
  /** Seconds spent in each step of the chunks, summed over chunks (where the time goes). */
  steps: Record<string, number>;
}

export type Progress = (done: number, total: number, elapsedMs: number) => void;

/** Subscription share of accounts of a brand with plans, and the monthly-ish chance a plan continues. */
const subscriberShare = 0.1;
const planContinues = 0.9;
const unpaidShare = 0.03;
const refundShare = 0.04;

/** Salts: one per independent random choice (< 1000; item choices use 100 + 10·line + x). */
const salt = {
  market: 1,
  first: 2,
  last: 3,
  domain: 4,
  emailStyle: 5,
  hasPhone: 6,
  place: 7,
  street: 8,
  houseNo: 9,
  apartment: 10,
  unit: 11,
  brandCount: 12,
  primaryBrand: 13,
  floor: 14,
  storey: 15,
  room: 16,
  channel: 20,
  influencer: 21,
  orders: 22,
  day: 23,
  hour: 24,
  second: 25,
  subscriber: 26,
  plan: 27,
  subDelay: 28,
  subChurn: 29,
  subEnd: 30,
  subEndAt: 31,
  engine: 32,
  social: 33,
  gap: 40,
  itemCount: 41,
  stride: 42,
  firstProduct: 43,
  coupon: 44,
  unpaid: 45,
  method: 46,
  paidDelay: 47,
  repeatSource: 48,
  renewJitter: 50,
  referral: 51,
  consent: 60,
  consentChange: 61,
  consentChannel: 62,
  consentDelay: 63,
  consentRevert: 64,
  consentRevertDelay: 65,
  ship: 70,
  deliver: 71,
  carrier: 72,
  tracking: 73,
  cart: 80,
  cartDelay: 81,
  lostCarts: 82,
  lostCartAt: 83,
  lostCartProduct: 84,
  lostCartItems: 85,
} as const;

/**
 * The platform's ids of what the seed writes, as the stores would give them: Shopify's are numeric (one
 * range per kind), other platforms' are prefixed. `id` is the row's own id (an account's for a member).
 */
const platformId = (platform: string, id: string, shopifyBase: number, prefix: string): string =>
  `CASE WHEN ${platform} = 'shopify' THEN (${shopifyBase} + ${id})::text ELSE '${prefix}-' || lpad(${id}::text, 9, '0') END`;
const orderExternalId = (platform: string, id: string) => platformId(platform, id, 5_000_000_000_000, "ORD");
const paymentExternalId = (platform: string, id: string) =>
  platformId(platform, id, 6_000_000_000_000, "PAY");
const shipmentExternalId = (platform: string, id: string) =>
  platformId(platform, id, 3_000_000_000_000, "SHP");
const memberExternalId = (platform: string, id: string) => platformId(platform, id, 9_000_000_000, "MEM");
const cartExternalId = (platform: string, id: string) => platformId(platform, id, 4_000_000_000_000, "CART");

/** A uniform draw in [0, 1) from (seed, key, salt); `pg_temp.hs_u` is created per session. */
const u = (key: string, s: number | string): string => `pg_temp.hs_u(${key}, ${s})`;
/** A pick-list slot from a draw. */
const slot = (key: string, s: number): string => `floor(${u(key, s)} * ${pickSlots})::int`;
const itemSalt = (line: string, x: number): string => `100 + 10 * ${line} + ${x}`;

interface Catalog {
  brandId: number;
  slug: string;
  products: CatalogProduct[];
  influencers: Influencer[];
}

interface MarketRow {
  id: number;
  code: string;
  country: string;
  currency: string;
  timeZone: string;
}

type Client = pg.Client;

async function rows<T extends pg.QueryResultRow>(client: Client, text: string, values: unknown[] = []) {
  return (await client.query<T>(text, values)).rows;
}

/**
 * The session: UTC (month arithmetic of subscription periods), asynchronous commit, room for temp tables.
 * Foreign key triggers are skipped (`session_replication_role = replica`, superusers only) unless asked
 * for: every reference the generator writes is an id it reserved or read in the same transaction, and the
 * integration test runs the same statements with the checks on. Returns whether they are on.
 */
async function prepareSession(client: Client, seed: number, fkChecks: boolean): Promise<boolean> {
  await client.query("SET TIME ZONE 'UTC'");
  await client.query("SET synchronous_commit = off");
  await client.query("SET work_mem = '128MB'");
  // Only possible before the session's first temporary table (an embedded PGlite shares one session).
  await client.query("SET temp_buffers = '256MB'").catch(() => {});
  await dropTemporary(client);
  // hashint8extended is the hash of hash partitioning, which PostgreSQL keeps stable across versions.
  await client.query(`CREATE OR REPLACE FUNCTION pg_temp.hs_u(k bigint, s int) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (hashint8extended(k, ${seed}::bigint * 1000 + s) & 281474976710655)::float8 / 281474976710656.0 $$`);
  if (fkChecks) return true;
  try {
    await client.query("SET session_replication_role = replica");
    return false;
  } catch {
    return true;
  }
}

const temporaryTables =
  "hs_brand, hs_market, hs_store, hs_product, hs_pslot, hs_plan, hs_offer, hs_coupon, hs_influencer, hs_campaign, hs_pick, hs_day, hs_channel, hs_carrier, hs_customer, hs_pi, hs_addr, hs_first, hs_account, hs_sub, hs_order, hs_item, hs_ii, hs_refund, hs_credit, hs_note, hs_consent, hs_cart, hs_event";

/** Leaves the session as it was: PGlite serves every connection from one session. */
async function dropTemporary(client: Client): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${temporaryTables}`);
}

async function restoreSession(client: Client): Promise<void> {
  await client.query("ROLLBACK").catch(() => {});
  await dropTemporary(client).catch(() => {});
  await client
    .query(`DROP FUNCTION IF EXISTS pg_temp.hs_u(bigint, int);
      RESET session_replication_role; RESET synchronous_commit; RESET work_mem; RESET TIME ZONE;`)
    .catch(() => {});
}

/** Brands, markets and catalogs: products, offers, coupons and campaigns created once (idempotent). */
async function prepareCatalog(client: Client, options: HistoryOptions) {
  const brandRows = await rows<{ id: string; slug: string }>(
    client,
    `SELECT id, slug FROM brands WHERE $1::text[] IS NULL OR slug = ANY($1::text[]) ORDER BY id`,
    [options.brands],
  );
  const missingBrands = (options.brands ?? []).filter((slug) => !brandRows.some((b) => b.slug === slug));
  if (missingBrands.length > 0) throw new Error(`no such brand: ${missingBrands.join(", ")}`);
  if (brandRows.length === 0) throw new Error("no brands: run the demo seed first");

  const marketRows = (
    await rows<{ id: string; code: string; country: string; currency: string; time_zone: string }>(
      client,
      `SELECT id, code, country, currency, time_zone FROM markets
        WHERE $1::text[] IS NULL OR code = ANY($1::text[]) ORDER BY code`,
      [options.markets],
    )
  ).map((m) => ({
    id: Number(m.id),
    code: m.code,
    country: m.country,
    currency: m.currency,
    timeZone: m.time_zone,
  }));
  const missingMarkets = (options.markets ?? []).filter((code) => !marketRows.some((m) => m.code === code));
  if (missingMarkets.length > 0) throw new Error(`no such market: ${missingMarkets.join(", ")}`);
  const unpriced = marketRows.filter((m) => priceFactors[m.currency] === undefined);
  if (options.markets !== null && unpriced.length > 0)
    throw new Error(`cannot price market ${unpriced[0]?.code} (${unpriced[0]?.currency})`);
  const markets = marketRows.filter((m) => priceFactors[m.currency] !== undefined);
  if (markets.length === 0) throw new Error("no markets: run the demo seed first");

  const brands: Catalog[] = brandRows.map((b) => ({
    brandId: Number(b.id),
    slug: b.slug,
    products: [...(catalogs[b.slug] ?? genericCatalog(b.slug))],
    influencers: [...(influencers[b.slug] ?? genericInfluencers(b.slug))],
  }));

  // Products by (brand, sku): the demo seed's own are found, the rest created.
  const productInput = brands.flatMap((b) => b.products.map((p) => [b.brandId, p.sku, p.name] as const));
  await client.query(
    `INSERT INTO products (brand_id, sku, name)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) ON CONFLICT (brand_id, sku) DO NOTHING`,
    [productInput.map((p) => p[0]), productInput.map((p) => p[1]), productInput.map((p) => p[2])],
  );
  const productIds = new Map(
    (
      await rows<{ id: string; brand_id: string; sku: string }>(
        client,
        "SELECT id, brand_id, sku FROM products WHERE brand_id = ANY($1::bigint[])",
        [brands.map((b) => b.brandId)],
      )
    ).map((r) => [`${r.brand_id}/${r.sku}`, Number(r.id)]),
  );
  const productId = (brandId: number, sku: string): number => {
    const id = productIds.get(`${brandId}/${sku}`);
    if (id === undefined) throw new Error(`product ${sku} missing after insert`);
    return id;
  };

  // Offers: `default` at list price in each market; subscription plans at 90%.
  const offers: {
    productId: number;
    marketId: number;
    code: string;
    kind: "default" | "plan";
    name: string;
    currency: string;
    price: number;
    interval: string | null;
    count: number | null;
  }[] = [];
  for (const brand of brands)
    for (const product of brand.products)
      for (const market of markets) {
        const price =
          market.currency === "KRW"
            ? product.krw
            : Math.max(1, Math.round(product.usd * (priceFactors[market.currency] ?? 1)));
        const id = productId(brand.brandId, product.sku);
        offers.push({
          productId: id,
          marketId: market.id,
          code: "default",
          kind: "default",
          name: product.name,
          currency: market.currency,
          price,
          interval: null,
          count: null,
        });
        if (product.plan) {
          const code = `every-${product.plan.count}-${product.plan.interval}`;
          offers.push({
            productId: id,
            marketId: market.id,
            code,
            kind: "plan",
            name: `${product.name} (${code})`,
            currency: market.currency,
            price:
              market.currency === "KRW" ? Math.round((price * 0.9) / 100) * 100 : Math.round(price * 0.9),
            interval: product.plan.interval,
            count: product.plan.count,
          });
        }
      }
  await client.query(
    `INSERT INTO product_offers (product_id, market_id, code, name, currency, unit_price, interval, interval_count)
     SELECT p, m, c, n, cur, price, i::billing_interval, ic
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::int[])
         AS t(p, m, c, n, cur, price, i, ic)
     ON CONFLICT (product_id, market_id, code) DO NOTHING`,
    [
      offers.map((o) => o.productId),
      offers.map((o) => o.marketId),
      offers.map((o) => o.code),
      offers.map((o) => o.name),
      offers.map((o) => o.currency),
      offers.map((o) => o.price),
      offers.map((o) => o.interval),
      offers.map((o) => o.count),
    ],
  );

  const couponRows = brands.flatMap((b) => [
    ...brandCoupons.map((c) => [b.brandId, c.code, c.percent] as const),
    ...b.influencers.map((i) => [b.brandId, i.coupon, i.percent] as const),
  ]);
  await client.query(
    `INSERT INTO coupons (brand_id, code) SELECT * FROM unnest($1::bigint[], $2::text[])
     ON CONFLICT (brand_id, code) DO NOTHING`,
    [couponRows.map((c) => c[0]), couponRows.map((c) => c[1])],
  );
  const campaignRows = brands.flatMap((b) => [
    ...campaignCatalog(options.from, options.to).map((c) => [b.brandId, c.code, c.name] as const),
    ...b.influencers.map((i) => [b.brandId, `influencer-${i.handle}`, `Influencer @${i.handle}`] as const),
  ]);
  await client.query(
    `INSERT INTO campaigns (brand_id, code, name) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
     ON CONFLICT (brand_id, code) DO NOTHING`,
    [campaignRows.map((c) => c[0]), campaignRows.map((c) => c[1]), campaignRows.map((c) => c[2])],
  );

  // Influencers as entities, with the codes their orders carry: the coupon, and the handle as referral
  // code (their links' `ref`). Found by handle when they exist (`--append`), whatever their case.
  const influencerRows = brands.flatMap((b) =>
    b.influencers.map((i) => [b.brandId, i.name, i.handle] as const),
  );
  await client.query(
    `INSERT INTO influencers (brand_id, name, handle)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) ON CONFLICT (brand_id, lower(handle)) DO NOTHING`,
    [influencerRows.map((i) => i[0]), influencerRows.map((i) => i[1]), influencerRows.map((i) => i[2])],
  );
  const codeRows = brands.flatMap((b) =>
    b.influencers.flatMap((i) => [
      [b.brandId, i.handle, "coupon", i.coupon] as const,
      [b.brandId, i.handle, "referral", i.handle] as const,
    ]),
  );
  await client.query(
    `INSERT INTO influencer_codes (brand_id, influencer_id, kind, code)
     SELECT t.b, i.id, t.k::influencer_code_kind, t.c
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(b, h, k, c, n)
       JOIN influencers i ON i.brand_id = t.b AND lower(i.handle) = lower(t.h)
      ORDER BY t.n
     ON CONFLICT (brand_id, kind, lower(code)) DO NOTHING`,
    [
      codeRows.map((c) => c[0]),
      codeRows.map((c) => c[1]),
      codeRows.map((c) => c[2]),
      codeRows.map((c) => c[3]),
    ],
  );
  // The default rule set, for a brand without rules of its own (a brand's rules are its own to edit).
  const ruleRows = brands.flatMap((b) =>
    defaultAcquisitionRules.map(
      (r) =>
        [b.brandId, r.type, r.priority, "paramNames" in r ? `{${r.paramNames.join(",")}}` : null] as const,
    ),
  );
  await client.query(
    `INSERT INTO acquisition_rules (brand_id, type, priority, param_names)
     SELECT t.b, t.t::acquisition_rule_type, t.p, t.n::text[]
       FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS t(b, t, p, n, o)
      WHERE NOT EXISTS (SELECT 1 FROM acquisition_rules r WHERE r.brand_id = t.b AND r.deleted_at IS NULL)
      ORDER BY t.o`,
    [
      ruleRows.map((r) => r[0]),
      ruleRows.map((r) => r[1]),
      ruleRows.map((r) => r[2]),
      ruleRows.map((r) => r[3]),
    ],
  );

  return { brands, markets, offers, couponRows, productId };
}

/** Pick lists as (list, slot, a, b, c, d) rows: `pickSlots` slots each, weighted. */
function pickRows(markets: MarketRow[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  const add = <T>(
    name: string,
    items: readonly Weighted<T>[],
    cols: (value: T, index: number) => string[],
  ) => {
    const slots = expandToSlots(
      items.map((i) => i[1]),
      pickSlots,
    );
    slots.forEach((index, position) => {
      const item = items[index];
      if (!item) return;
      const [a = "", b = "", c = "", d = ""] = cols(item[0], index);
      out.push([name, position, a, b, c, d]);
    });
  };
  const pair = (v: readonly [string, string]) => [v[0], v[1]];
  add("ko_first", koreanFirstNames, pair);
  add("ko_last", koreanLastNames, pair);
  add("en_first", englishFirstNames, pair);
  add("en_last", englishLastNames, pair);
  add("ko_domain", koreanEmailDomains, (v) => [v]);
  add("en_domain", englishEmailDomains, (v) => [v]);
  const areaCodes = "212 213 415 713 512 312 206 617 305 404 303 602 215 503 973 612 704 313 615 702".split(
    " ",
  );
  add("ko_place", koreanPlaces, (v) => [v[0], v[1], v[2]]);
  add("en_place", usPlaces, (v, index) => [v[0], v[1], v[2], areaCodes[index] ?? "555"]);
  add("ko_street", koreanStreets, (v) => [v]);
  add("en_street", usStreets, (v) => [v]);
  add("ko_pay", koreanPaymentMethods, (v) => [v]);
  add("en_pay", englishPaymentMethods, (v) => [v]);
  add(
    "hour",
    hourWeights.map((w, hour) => [hour, w] as const),
    (v) => [String(v)],
  );
  add(
    "channel",
    channels.map((c) => c),
    (v) => [v],
  );
  // Korea is the bigger market of the demo; any other market weighs like the US.
  add(
    "market",
    markets.map((m, ord) => [ord, m.code === "kr" ? 55 : 45] as const),
    (v) => [String(v)],
  );
  return out;
}

/** Creates the session's temporary tables and fills the static ones. */
async function prepareTemporaryTables(
  client: Client,
  options: HistoryOptions,
  catalog: Awaited<ReturnType<typeof prepareCatalog>>,
): Promise<void> {
  const { brands, markets } = catalog;
  await client.query(`
    CREATE TEMP TABLE hs_brand (ord int PRIMARY KEY, brand_id bigint, n_products int, strides int[],
      n_plans int, n_influencers int);
    CREATE TEMP TABLE hs_market (ord int PRIMARY KEY, market_id bigint, locale text, country text, currency text,
      tz text, ship_fee bigint, ship_free bigint, tax_pct int);
    CREATE TEMP TABLE hs_store (brand_id bigint, market_id bigint, store_id bigint, platform text,
      brand_store_id bigint, brand_platform text, PRIMARY KEY (brand_id, market_id));
    CREATE TEMP TABLE hs_product (brand_id bigint, ord int, product_id bigint, name text, sku text,
      PRIMARY KEY (brand_id, ord));
    CREATE TEMP TABLE hs_pslot (brand_id bigint, slot int, ord int, PRIMARY KEY (brand_id, slot));
    CREATE TEMP TABLE hs_plan (brand_id bigint, ord int, product_id bigint, PRIMARY KEY (brand_id, ord));
    CREATE TEMP TABLE hs_offer (product_id bigint, market_id bigint, kind text, offer_id bigint, unit_price bigint,
      step interval, code text, PRIMARY KEY (product_id, market_id, kind));
    CREATE TEMP TABLE hs_coupon (brand_id bigint, code text, coupon_id bigint, pct int, PRIMARY KEY (brand_id, code));
    CREATE TEMP TABLE hs_influencer (brand_id bigint, ord int, handle text, source text, coupon text,
      PRIMARY KEY (brand_id, ord));
    CREATE TEMP TABLE hs_campaign (brand_id bigint, code text, campaign_id bigint, PRIMARY KEY (brand_id, code));
    CREATE TEMP TABLE hs_pick (list text, slot int, a text, b text, c text, d text, PRIMARY KEY (list, slot));
    CREATE TEMP TABLE hs_day (slot int PRIMARY KEY, day date);
    CREATE TEMP TABLE hs_channel (locale text, ord int, channel text, granted float8, n int,
      PRIMARY KEY (locale, ord));
    CREATE TEMP TABLE hs_carrier (locale text, ord int, carrier text, prefix text, n int, PRIMARY KEY (locale, ord));`);

  const insert = async (table: string, columns: string, types: string[], data: unknown[][]) => {
    const arrays = types.map((_, i) => data.map((row) => row[i]));
    const params = types.map((type, i) => `$${i + 1}::${type}[]`).join(", ");
    await client.query(`INSERT INTO ${table} (${columns}) SELECT * FROM unnest(${params})`, arrays);
  };

  await client.query(
    `INSERT INTO hs_brand (ord, brand_id, n_products, strides, n_plans, n_influencers)
     SELECT o, b, n, s::int[], p, i FROM unnest($1::int[], $2::bigint[], $3::int[], $4::text[], $5::int[], $6::int[])
       AS t(o, b, n, s, p, i)`,
    [
      brands.map((_, ord) => ord),
      brands.map((b) => b.brandId),
      brands.map((b) => b.products.length),
      brands.map((b) => `{${coprimeStrides(b.products.length).join(",")}}`),
      brands.map((b) => b.products.filter((p) => p.plan).length),
      brands.map((b) => b.influencers.length),
    ],
  );
  await insert(
    "hs_market",
    "ord, market_id, locale, country, currency, tz, ship_fee, ship_free, tax_pct",
    ["int", "bigint", "text", "text", "text", "text", "bigint", "bigint", "int"],
    markets.map((m, ord) => {
      const factor = priceFactors[m.currency] ?? 1;
      const shipping = shippingByCurrency[m.currency] ?? {
        fee: Math.round(599 * factor),
        freeFrom: Math.round(5000 * factor),
      };
      return [
        ord,
        m.id,
        m.code === "kr" ? "ko" : "en",
        m.country,
        m.currency,
        m.timeZone,
        shipping.fee,
        shipping.freeFrom,
        taxPercentByCurrency[m.currency] ?? 0,
      ];
    }),
  );
  // A consent is the brand's, so a market without a store of its own reports it through the brand's first.
  await client.query(`INSERT INTO hs_store (brand_id, market_id, store_id, platform, brand_store_id, brand_platform)
    SELECT b.brand_id, m.market_id, s.id, COALESCE(s.platform, 'api'), COALESCE(s.id, f.id), COALESCE(s.platform, f.platform)
      FROM hs_brand b CROSS JOIN hs_market m
      LEFT JOIN LATERAL (SELECT id, platform FROM stores
        WHERE brand_id = b.brand_id AND market_id = m.market_id ORDER BY id LIMIT 1) s ON true
      LEFT JOIN LATERAL (SELECT id, platform FROM stores WHERE brand_id = b.brand_id ORDER BY id LIMIT 1) f ON true`);
  await insert(
    "hs_product",
    "brand_id, ord, product_id, name, sku",
    ["bigint", "int", "bigint", "text", "text"],
    brands.flatMap((b) =>
      b.products.map((p, ord) => [b.brandId, ord, catalog.productId(b.brandId, p.sku), p.name, p.sku]),
    ),
  );
  await insert(
    "hs_pslot",
    "brand_id, slot, ord",
    ["bigint", "int", "int"],
    brands.flatMap((b) =>
      expandToSlots(
        b.products.map((p) => p.weight),
        pickSlots,
      ).map((ord, position) => [b.brandId, position, ord]),
    ),
  );
  await insert(
    "hs_plan",
    "brand_id, ord, product_id",
    ["bigint", "int", "bigint"],
    brands.flatMap((b) =>
      b.products.filter((p) => p.plan).map((p, ord) => [b.brandId, ord, catalog.productId(b.brandId, p.sku)]),
    ),
  );
  await client.query(
    `INSERT INTO hs_offer (product_id, market_id, kind, offer_id, unit_price, step, code)
     SELECT o.product_id, o.market_id, t.kind, o.id, t.price,
            CASE WHEN t.i IS NULL THEN NULL ELSE (t.ic || ' ' || t.i)::interval END, o.code
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[])
         AS t(p, m, c, kind, price, i, ic)
       JOIN product_offers o ON o.product_id = t.p AND o.market_id = t.m AND o.code = t.c`,
    [
      catalog.offers.map((o) => o.productId),
      catalog.offers.map((o) => o.marketId),
      catalog.offers.map((o) => o.code),
      catalog.offers.map((o) => o.kind),
      catalog.offers.map((o) => o.price),
      catalog.offers.map((o) => o.interval),
      catalog.offers.map((o) => o.count),
    ],
  );
  await client.query(
    `INSERT INTO hs_coupon (brand_id, code, coupon_id, pct)
     SELECT t.b, t.c, c.id, t.pct FROM unnest($1::bigint[], $2::text[], $3::int[]) AS t(b, c, pct)
       JOIN coupons c ON c.brand_id = t.b AND c.code = t.c`,
    [
      catalog.couponRows.map((c) => c[0]),
      catalog.couponRows.map((c) => c[1]),
      catalog.couponRows.map((c) => c[2]),
    ],
  );
  await insert(
    "hs_influencer",
    "brand_id, ord, handle, source, coupon",
    ["bigint", "int", "text", "text", "text"],
    brands.flatMap((b) => b.influencers.map((i, ord) => [b.brandId, ord, i.handle, i.source, i.coupon])),
  );
  await client.query(
    `INSERT INTO hs_campaign (brand_id, code, campaign_id)
     SELECT brand_id, code, id FROM campaigns WHERE brand_id = ANY($1::bigint[])`,
    [brands.map((b) => b.brandId)],
  );
  await insert(
    "hs_channel",
    "locale, ord, channel, granted, n",
    ["text", "int", "text", "float8", "int"],
    Object.entries(consentGrantShares).flatMap(([locale, list]) =>
      list.map(([channel, share], ord) => [locale, ord, channel, share, list.length]),
    ),
  );
  await insert(
    "hs_carrier",
    "locale, ord, carrier, prefix, n",
    ["text", "int", "text", "text", "int"],
    Object.entries(carriers).flatMap(([locale, list]) =>
      list.map(([carrier, prefix], ord) => [locale, ord, carrier, prefix, list.length]),
    ),
  );
  const picks = pickRows(markets);
  await insert("hs_pick", "list, slot, a, b, c, d", ["text", "int", "text", "text", "text", "text"], picks);
  const days = expandToSlots(dayWeights(options.from, options.to), daySlotCount);
  await client.query(
    `INSERT INTO hs_day (slot, day) SELECT s - 1, $1::date + d FROM unnest($2::int[]) WITH ORDINALITY AS t(d, s)`,
    [options.from.toISOString().slice(0, 10), days],
  );

  // Per-chunk working tables, emptied by each chunk's COMMIT.
  await client.query(`
    CREATE TEMP TABLE hs_customer (idx bigint, email_id bigint, contact_id bigint, market_ord int, locale text,
      address text, domain text, email_sha256 text, email_md5 text, first_name text, last_name text, phone text,
      pi_sha256 text, pi_md5 text, country text, region text, city text, postal_code text, line1 text, line2 text,
      addr_sha256 text, addr_md5 text, n_brands int, primary_brand int) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_pi (id bigint, fresh boolean, sha256 text, md5 text, first_name text, last_name text,
      phone text, idx bigint) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_addr (id bigint, fresh boolean, sha256 text, md5 text, country text, region text, city text,
      postal_code text, line1 text, line2 text, idx bigint) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_first (idx bigint PRIMARY KEY, first_at timestamptz) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_account (id bigint, idx bigint, akey bigint, brand_id bigint, market_id bigint,
      locale text, currency text, tz text, ship_fee bigint, ship_free bigint, tax_pct int, store_id bigint,
      platform text, email_id bigint, contact_id bigint, pi_id bigint, addr_id bigint, channel text,
      inf_ord int, n_orders int, t0 timestamptz, subscriber boolean, plan_ord int, t_s timestamptz)
      ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_sub (id bigint, account_id bigint, akey bigint, brand_id bigint, platform text,
      product_id bigint, offer_id bigint, unit_price bigint, step interval, t_s timestamptz, k int, state text,
      changed_at timestamptz, ended_at timestamptz) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_order (id bigint, invoice_id bigint, account_id bigint, okey bigint, kind text, k int,
      brand_id bigint, market_id bigint, store_id bigint, platform text, currency text, tax_pct int,
      ship_fee bigint, ship_free bigint, pi_id bigint, addr_id bigint, placed_at timestamptz, n_items int,
      sub_id bigint, coupon text, coupon_id bigint, pct int, src text, med text, camp text, content text,
      ref text, paid boolean, method text, paid_at timestamptz,
      subtotal bigint, discount_total bigint, tax_total bigint, shipping bigint, total bigint,
      credited bigint NOT NULL DEFAULT 0, shipped_at timestamptz, delivered_at timestamptz, carrier text,
      tracking text) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_item (id bigint, order_id bigint, line_no int, product_id bigint, offer_id bigint,
      sub_id bigint, name text, quantity int, unit_price bigint, discount bigint, tax bigint, total bigint,
      credited bigint NOT NULL DEFAULT 0) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_ii (id bigint, invoice_id bigint, order_id bigint, account_id bigint, issued_at timestamptz,
      kind text, order_item_id bigint, product_id bigint, description text, amount bigint, line_no int,
      credited bigint NOT NULL DEFAULT 0) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_refund (id bigint, account_id bigint, brand_id bigint, product_id bigint, platform text,
      currency text, amount bigint, reason text, refunded_at timestamptz) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_credit (refund_id bigint, invoice_id bigint, issued_at timestamptz, invoice_item_id bigint,
      amount bigint) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_note (id bigint, refund_id bigint, invoice_id bigint, amount bigint) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_consent (account_id bigint, seq int, brand_id bigint, contact_id bigint, store_id bigint,
      platform text, channel text, status text, at timestamptz, source text) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_cart (id bigint, account_id bigint, brand_id bigint, store_id bigint, platform text,
      contact_id bigint, member text, currency text, total bigint, items jsonb, abandoned_at timestamptz,
      recovered_order_id bigint, recovered_at timestamptz) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE hs_event (id bigint, account_id bigint, store_id bigint, brand_id bigint, platform text,
      platform_event_id text, type text, order_external_id text, order_id bigint, src bigint,
      occurred_at timestamptz, payload jsonb) ON COMMIT DELETE ROWS;`);
  await client.query(
    "ANALYZE hs_brand, hs_market, hs_store, hs_product, hs_pslot, hs_plan, hs_offer, hs_coupon, hs_influencer, hs_campaign, hs_pick, hs_day, hs_channel, hs_carrier",
  );
}

/** `nextval` of a table's identity sequence, resolved once per run. */
async function sequences(client: Client, carts: boolean): Promise<Record<string, string>> {
  const names = [
    "commerce_events",
    ...(carts ? ["abandoned_carts"] : []),
    "emails",
    "contacts",
    "personal_info",
    "addresses",
    "brand_client_accounts",
    "subscriptions",
    "orders",
    "order_items",
    "invoices",
    "invoice_items",
    "refunds",
    "credit_notes",
  ];
  const result: Record<string, string> = {};
  for (const name of names) {
    const found = await rows<{ seq: string | null }>(
      client,
      "SELECT pg_get_serial_sequence($1, 'id') AS seq",
      [name],
    );
    const seq = found[0]?.seq;
    if (!seq) throw new Error(`no identity sequence on ${name}.id`);
    result[name] = `nextval('${seq.replace(/'/g, "''")}')`;
  }
  return result;
}

const jsonText = (expr: string) => `to_json((${expr})::text)::text`;

/**
 * The statements of one chunk, in order ($1 = first customer number, $2 = one past the last). Each is a
 * set-based INSERT … SELECT or UPDATE; the ones into ledger tables return their row counts by table.
 */
export function chunkStatements(
  options: HistoryOptions,
  nextval: Record<string, string>,
  brandCount: number,
  /** Whether the database has `abandoned_carts` (a table of its own migration): carts are generated only then. */
  carts = false,
) {
  const to = `'${options.to.toISOString()}'::timestamptz`;
  const from = `'${options.from.toISOString()}'::timestamptz`;
  const seq = (table: string): string => {
    const value = nextval[table];
    if (!value) throw new Error(`no sequence for ${table}`);
    return value;
  };
  const personJson = `'["person",' || ${jsonText("first_name")} || ',' || ${jsonText("last_name")} || ',' || ${jsonText("phone")} || ']'`;
  const addressJson = `'["address",' || ${["country", "region", "city", "postal_code", "line1", "line2"]
    .map((c) => jsonText(c))
    .join(" || ',' || ")} || ']'`;
  const sha = (text: string) => `encode(sha256(convert_to(${text}, 'UTF8')), 'hex')`;
  const pick = (list: string, key: string, s: number, alias: string) =>
    `JOIN hs_pick ${alias} ON ${alias}.list = ${list} AND ${alias}.slot = ${slot(key, s)}`;
  const seasonal = (ts: string) =>
    `CASE extract(month FROM ${ts})::int ${Object.entries(seasonalCampaigns)
      .map(([m, name]) => `WHEN ${m} THEN '${name}-' || extract(year FROM ${ts})::int`)
      .join(" ")} ELSE 'always-on' END`;
  const newsletter = (ts: string) => `'newsletter-' || to_char(${ts}, 'YYYY-MM')`;
  const marketing = (o: string) =>
    `jsonb_strip_nulls(jsonb_build_object('utm_source', ${o}.src, 'utm_medium', ${o}.med, 'utm_campaign', ${o}.camp,
                                          'utm_content', ${o}.content, 'ref', ${o}.ref))`;

  const work: { label: string; sql: string; table?: HistoryTable; range?: true }[] = [];
  const step = (label: string, sql: string, table?: HistoryTable) =>
    work.push({
      label,
      sql,
      ...(table ? { table } : {}),
      ...(label === "customers" ? { range: true as const } : {}),
    });

  step(
    "customers",
    `INSERT INTO hs_customer
     SELECT x.idx, ${seq("emails")}, ${seq("contacts")}, x.market_ord, x.locale, x.address, x.domain,
            ${sha("x.address")}, md5(x.address), x.first_name, x.last_name, x.phone,
            ${sha(personJson)}, md5(${personJson}), x.country, x.region, x.city, x.postal_code, x.line1, x.line2,
            ${sha(addressJson)}, md5(${addressJson}), x.n_brands, x.primary_brand
       FROM (
         SELECT g.idx, m.ord AS market_ord, m.locale, m.country,
                fn.a AS first_name, ln.a AS last_name,
                CASE WHEN ${u("g.idx", salt.emailStyle)} < 0.55 THEN fn.b || '.' || ln.b
                     WHEN ${u("g.idx", salt.emailStyle)} < 0.8 THEN ln.b || fn.b
                     ELSE left(fn.b, 1) || '_' || ln.b END || g.idx::text || '@' || dm.a AS address,
                dm.a AS domain,
                CASE WHEN ${u("g.idx", salt.hasPhone)} >= 0.85 THEN ''
                     WHEN m.locale = 'ko' THEN '+8210' || lpad(((g.idx * 7919 + 1234567) % 100000000)::text, 8, '0')
                     ELSE '+1' || pl.d || '555' || lpad(((g.idx * 7919) % 10000)::text, 4, '0') END AS phone,
                pl.a AS region, pl.b AS city,
                CASE WHEN m.locale = 'ko' THEN pl.c || lpad(floor(${u("g.idx", salt.houseNo)} * 1000)::int::text, 3, '0')
                     ELSE pl.c || lpad(floor(${u("g.idx", salt.houseNo)} * 100)::int::text, 2, '0') END AS postal_code,
                CASE WHEN m.locale = 'ko' THEN st.a || ' ' || (1 + floor(${u("g.idx", salt.unit)} * 300)::int)
                     ELSE (100 + floor(${u("g.idx", salt.unit)} * 9900)::int) || ' ' || st.a END AS line1,
                CASE WHEN m.locale = 'ko' AND ${u("g.idx", salt.apartment)} < 0.6
                       THEN (101 + floor(${u("g.idx", salt.floor)} * 15)::int) || '동 '
                         || (1 + floor(${u("g.idx", salt.storey)} * 25)::int)
                         || lpad((1 + floor(${u("g.idx", salt.room)} * 4)::int)::text, 2, '0') || '호'
                     WHEN m.locale <> 'ko' AND ${u("g.idx", salt.apartment)} < 0.35
                       THEN 'Apt ' || (1 + floor(${u("g.idx", salt.floor)} * 40)::int)
                     ELSE '' END AS line2,
                LEAST(${brandCount}, CASE WHEN ${u("g.idx", salt.brandCount)} < 0.78 THEN 1
                                           WHEN ${u("g.idx", salt.brandCount)} < 0.95 THEN 2 ELSE 3 END) AS n_brands,
                floor(${u("g.idx", salt.primaryBrand)} * ${brandCount})::int AS primary_brand
           FROM generate_series($1::bigint, $2::bigint - 1) AS g(idx)
           ${pick("'market'", "g.idx", salt.market, "pm")}
           JOIN hs_market m ON m.ord = pm.a::int
           ${pick("m.locale || '_first'", "g.idx", salt.first, "fn")}
           ${pick("m.locale || '_last'", "g.idx", salt.last, "ln")}
           ${pick("m.locale || '_domain'", "g.idx", salt.domain, "dm")}
           ${pick("m.locale || '_place'", "g.idx", salt.place, "pl")}
           ${pick("m.locale || '_street'", "g.idx", salt.street, "st")}
          ORDER BY g.idx) x`,
  );
  step("analyze", "ANALYZE hs_customer");

  // Personal info and addresses are global: find the ones that exist, reserve ids for the rest.
  step(
    "people",
    `INSERT INTO hs_pi
     SELECT COALESCE(d.existing, ${seq("personal_info")}), d.existing IS NULL, d.sha256, d.md5, d.first_name,
            d.last_name, d.phone, d.idx
       FROM (SELECT n.*, p.id AS existing
               FROM (SELECT DISTINCT ON (pi_sha256) pi_sha256 AS sha256, pi_md5 AS md5, first_name, last_name,
                            phone, idx
                       FROM hs_customer ORDER BY pi_sha256, idx) n
               LEFT JOIN personal_info p ON p.sha256 = n.sha256
              ORDER BY n.idx) d`,
  );
  step(
    "places",
    `INSERT INTO hs_addr
     SELECT COALESCE(d.existing, ${seq("addresses")}), d.existing IS NULL, d.sha256, d.md5, d.country, d.region,
            d.city, d.postal_code, d.line1, d.line2, d.idx
       FROM (SELECT n.*, a.id AS existing
               FROM (SELECT DISTINCT ON (addr_sha256) addr_sha256 AS sha256, addr_md5 AS md5, country, region, city,
                            postal_code, line1, line2, idx
                       FROM hs_customer ORDER BY addr_sha256, idx) n
               LEFT JOIN addresses a ON a.sha256 = n.sha256
              ORDER BY n.idx) d`,
  );

  // Accounts: 1–3 brands per person in their market; acquisition channel, order count, first order time.
  const localTime = (day: string, key: string) =>
    `((${day} + make_interval(hours => hr.a::int, secs => floor(${u(key, salt.second)} * 3600)::int))
        AT TIME ZONE m.tz)`;
  step(
    "accounts",
    `INSERT INTO hs_account
     SELECT ${seq("brand_client_accounts")}, y.* FROM (
       SELECT x.idx, x.akey, x.brand_id, x.market_id, x.locale, x.currency, x.tz, x.ship_fee, x.ship_free,
              x.tax_pct, x.store_id, x.platform, x.email_id, x.contact_id, x.pi_id, x.addr_id, x.channel,
              x.inf_ord, x.n_orders, x.t0, x.subscriber, x.plan_ord,
              x.t_s - make_interval(days => GREATEST(0, extract(day FROM x.t_s)::int - 28)) AS t_s
         FROM (
           SELECT w.*, w.t0 + CASE WHEN ${u("w.akey", salt.subDelay)} < 0.5 THEN interval '1 hour'
                                   ELSE make_interval(secs => -ln(1 - ${u("w.akey", salt.subDelay)}) * 90 * 86400) END
                         AS t_s
             FROM (
               SELECT v.*,
                      CASE WHEN v.t0_raw >= ${to} THEN v.t0_raw - interval '1 day'
                           WHEN v.t0_raw < ${from} THEN v.t0_raw + interval '1 day' ELSE v.t0_raw END AS t0
                 FROM (
                   SELECT c.idx, c.idx * 4 + s.n AS akey, b.brand_id, m.market_id, m.locale, m.currency, m.tz,
                          m.ship_fee, m.ship_free, m.tax_pct, st.store_id, st.platform, c.email_id, c.contact_id,
                          p.id AS pi_id, ad.id AS addr_id, ch.a AS channel,
                          floor(${u("c.idx * 4 + s.n", salt.influencer)} * b.n_influencers)::int AS inf_ord,
                          LEAST(${maxOrdersPerAccount},
                                floor(power(1 - ${u("c.idx * 4 + s.n", salt.orders)}, -1 / ${repeatAlpha}::float8)))::int
                            AS n_orders,
                          ${localTime("d.day", "c.idx * 4 + s.n")} AS t0_raw,
                          b.n_plans > 0 AND ${u("c.idx * 4 + s.n", salt.subscriber)} < ${subscriberShare} AS subscriber,
                          floor(${u("c.idx * 4 + s.n", salt.plan)} * GREATEST(b.n_plans, 1))::int AS plan_ord
                     FROM hs_customer c
                     CROSS JOIN LATERAL generate_series(0, c.n_brands - 1) AS s(n)
                     JOIN hs_brand b ON b.ord = (c.primary_brand + s.n) % ${brandCount}
                     JOIN hs_market m ON m.ord = c.market_ord
                     JOIN hs_store st ON st.brand_id = b.brand_id AND st.market_id = m.market_id
                     JOIN hs_pi p ON p.sha256 = c.pi_sha256
                     JOIN hs_addr ad ON ad.sha256 = c.addr_sha256
                     ${pick("'channel'", "c.idx * 4 + s.n", salt.channel, "ch")}
                     ${pick("'hour'", "c.idx * 4 + s.n", salt.hour, "hr")}
                     JOIN hs_day d ON d.slot = floor(${u("c.idx * 4 + s.n", salt.day)} * ${daySlotCount})::int
                 ) v
             ) w
         ) x
        ORDER BY x.idx, x.akey) y`,
  );
  step("analyze", "ANALYZE hs_account, hs_pi, hs_addr");

  // Subscriptions: periods from the start until churn (geometric) or the end of the range.
  step(
    "subscriptions",
    `INSERT INTO hs_sub
     SELECT ${seq("subscriptions")}, z.* FROM (
     SELECT z.account_id, z.akey, z.brand_id, z.platform, z.product_id, z.offer_id,
            z.unit_price, z.step, z.t_s, z.k,
            CASE WHEN z.running AND z.suspend THEN 'suspended'
                 WHEN z.running OR z.end_at >= ${to} THEN 'active' ELSE z.end_kind END,
            CASE WHEN z.running AND z.suspend THEN z.last_start + interval '3 days'
                 WHEN z.running OR z.end_at >= ${to} THEN z.last_start ELSE z.end_at END,
            CASE WHEN NOT z.running AND z.end_at < ${to} THEN z.end_at END
       FROM (
         SELECT y.*, y.t_s + (y.k - 1) * y.step AS last_start,
                CASE WHEN y.end_kind = 'expired' THEN y.t_s + y.k * y.step
                     ELSE y.t_s + (y.k - 1) * y.step + y.step * (0.1 + 0.8 * ${u("y.akey", salt.subEndAt)}) END AS end_at,
                y.running AND ${u("y.akey", salt.subEnd)} < 0.07
                  AND y.t_s + (y.k - 1) * y.step + interval '3 days' < ${to} AS suspend
           FROM (
             SELECT a.id AS account_id, a.akey, a.brand_id, a.platform, pl.product_id, o.offer_id, o.unit_price,
                    o.step, a.t_s, ko.k, kc.k_churn > ko.k AS running,
                    CASE WHEN ${u("a.akey", salt.subEnd)} < 0.75 THEN 'cancelled' ELSE 'expired' END AS end_kind
               FROM hs_account a
               JOIN hs_plan pl ON pl.brand_id = a.brand_id AND pl.ord = a.plan_ord
               JOIN hs_offer o ON o.product_id = pl.product_id AND o.market_id = a.market_id AND o.kind = 'plan'
               CROSS JOIN LATERAL (SELECT LEAST(63, 1 + floor(ln(1 - ${u("a.akey", salt.subChurn)})
                                                             / ln(${planContinues})))::int AS k_churn) kc
               CROSS JOIN LATERAL (SELECT count(*)::int AS k FROM generate_series(1, kc.k_churn) AS g(n)
                                    WHERE a.t_s + (g.n - 1) * o.step < ${to}) ko
              WHERE a.subscriber AND a.t_s < ${to}
           ) y
       ) z
      ORDER BY z.account_id) z`,
  );

  // Orders: the account's own (repeat gaps shrink as the count grows) and each subscription period's.
  step(
    "orders",
    `INSERT INTO hs_order (id, invoice_id, account_id, okey, kind, k, brand_id, market_id, store_id, platform,
         currency, tax_pct, ship_fee, ship_free, pi_id, addr_id, placed_at, n_items, sub_id, coupon, coupon_id, pct,
         src, med, camp, content, ref, paid, method, paid_at)
     SELECT ${seq("orders")}, ${seq("invoices")}, q2.* FROM (
     SELECT q.account_id, q.okey, q.kind, q.k, q.brand_id, q.market_id,
            q.store_id, q.platform, q.currency, q.tax_pct, q.ship_fee, q.ship_free, q.pi_id, q.addr_id, q.placed_at,
            q.n_items, q.sub_id, q.coupon, cp.coupon_id, cp.pct, q.src, q.med, q.camp, q.content, q.ref, q.paid,
            q.method,
            CASE WHEN q.paid THEN LEAST(q.placed_at + q.pay_delay, GREATEST(q.placed_at, ${to} - interval '1 second')) END
       FROM (
         SELECT r.*,
                -- A coupon: the influencer's or a friend's on a first order, else seasonal ones and VIP.
                CASE WHEN r.kind = 'subscription' THEN NULL
                     WHEN r.k = 1 THEN CASE r.channel
                       WHEN 'influencer' THEN CASE WHEN ${u("r.okey", salt.coupon)} < 0.7 THEN r.inf_coupon END
                       WHEN 'referral' THEN CASE WHEN ${u("r.okey", salt.coupon)} < 0.8 THEN 'FRIEND10' END
                       ELSE CASE WHEN ${u("r.okey", salt.coupon)} < 0.22 THEN 'WELCOME10' END END
                     WHEN r.month = 11 AND ${u("r.okey", salt.coupon)} < 0.35 THEN 'BLACKFRIDAY20'
                     WHEN r.month = 12 AND ${u("r.okey", salt.coupon)} < 0.25 THEN 'HOLIDAY15'
                     WHEN r.month IN (3, 4) AND ${u("r.okey", salt.coupon)} < 0.15 THEN 'SPRING10'
                     WHEN r.k >= 3 AND ${u("r.okey", salt.coupon)} < 0.08 THEN 'VIP15' END AS coupon,
                pm.a AS method,
                CASE WHEN pm.a IN ('virtual_account', 'bank_transfer')
                       THEN make_interval(secs => 3600 + ${u("r.okey", salt.paidDelay)} * 47 * 3600)
                     ELSE make_interval(secs => 30 + ${u("r.okey", salt.paidDelay)} * 570) END AS pay_delay
           FROM (
             SELECT o.*, extract(month FROM o.placed_at)::int AS month, a.channel, a.brand_id, a.market_id,
                    a.store_id, a.platform, a.currency, a.tax_pct, a.ship_fee, a.ship_free, a.pi_id, a.addr_id,
                    a.locale, inf.coupon AS inf_coupon,
                    -- First-touch parameters on a first order, the visit's own on the others.
                    CASE WHEN o.kind = 'subscription' THEN NULL
                         WHEN o.k = 1 THEN CASE a.channel
                           WHEN 'organic' THEN CASE WHEN a.locale = 'ko' AND ${u("a.akey", salt.engine)} < 0.6 THEN 'naver'
                                                    WHEN ${u("a.akey", salt.engine)} < 0.9 THEN 'google' ELSE 'bing' END
                           WHEN 'paid_search' THEN CASE WHEN a.locale = 'ko' AND ${u("a.akey", salt.engine)} < 0.6 THEN 'naver'
                                                        ELSE 'google' END
                           WHEN 'paid_social' THEN CASE WHEN ${u("a.akey", salt.social)} < 0.6 THEN 'facebook' ELSE 'instagram' END
                           WHEN 'influencer' THEN inf.source
                           WHEN 'email' THEN 'newsletter'
                           WHEN 'referral' THEN 'referral' END
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.45 THEN NULL
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.75 THEN 'newsletter'
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.9 THEN 'facebook'
                         ELSE 'google' END AS src,
                    CASE WHEN o.kind = 'subscription' THEN NULL
                         WHEN o.k = 1 THEN CASE a.channel WHEN 'organic' THEN 'organic' WHEN 'paid_search' THEN 'cpc'
                           WHEN 'paid_social' THEN 'paid_social' WHEN 'influencer' THEN 'influencer'
                           WHEN 'email' THEN 'email' WHEN 'referral' THEN 'referral' END
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.45 THEN NULL
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.75 THEN 'email'
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.9 THEN 'paid_social'
                         ELSE 'organic' END AS med,
                    CASE WHEN o.kind = 'subscription' THEN NULL
                         WHEN o.k = 1 THEN CASE a.channel WHEN 'paid_search' THEN 'brand-search'
                           WHEN 'paid_social' THEN ${seasonal("o.placed_at")}
                           WHEN 'influencer' THEN 'influencer-' || inf.handle
                           WHEN 'email' THEN ${newsletter("o.placed_at")} END
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.45 THEN NULL
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.75 THEN ${newsletter("o.placed_at")}
                         WHEN ${u("o.okey", salt.repeatSource)} < 0.9 THEN 'retargeting'
                         ELSE NULL END AS camp,
                    CASE WHEN o.kind = 'order' AND o.k = 1 AND a.channel = 'influencer' THEN inf.handle END AS content,
                    CASE WHEN o.kind = 'order' AND o.k = 1 AND a.channel = 'influencer' THEN inf.handle
                         WHEN o.kind = 'order' AND o.k = 1 AND a.channel = 'referral'
                           THEN 'FRIEND-' || upper(lpad(to_hex(floor(${u("a.akey", salt.referral)} * 16777216)::int), 6, '0'))
                         END AS ref,
                    CASE WHEN o.kind = 'subscription' THEN 1
                         ELSE LEAST(b.n_products, CASE WHEN ${u("o.okey", salt.itemCount)} < 0.55 THEN 1
                                                       WHEN ${u("o.okey", salt.itemCount)} < 0.8 THEN 2
                                                       WHEN ${u("o.okey", salt.itemCount)} < 0.93 THEN 3 ELSE 4 END) END
                      AS n_items,
                    CASE WHEN o.kind = 'subscription' THEN NOT (s.state = 'suspended' AND o.k = s.k)
                         ELSE ${u("o.okey", salt.unpaid)} >= ${unpaidShare} END AS paid
               FROM (
                 SELECT t.account_id, t.okey, 'order' AS kind, t.k, NULL::bigint AS sub_id, t.placed_at
                   FROM (
                     SELECT a.id AS account_id, a.akey * 128 + g.k AS okey, g.k,
                            a.t0 + make_interval(secs => 86400 * sum(CASE WHEN g.k = 1 THEN 0
                              ELSE -ln(1 - ${u("a.akey * 128 + g.k", salt.gap)})
                                   * GREATEST(7, LEAST(200, 540.0 / a.n_orders)) END)
                              OVER (PARTITION BY a.id ORDER BY g.k)) AS placed_at
                       FROM hs_account a CROSS JOIN LATERAL generate_series(1, a.n_orders) AS g(k)
                   ) t
                  WHERE t.placed_at < ${to}
                 UNION ALL
                 SELECT s.account_id, s.akey * 128 + 64 + g.k, 'subscription', g.k, s.id,
                        CASE WHEN g.k = 1 THEN s.t_s
                             ELSE LEAST(s.t_s + (g.k - 1) * s.step
                                          + make_interval(secs => ${u("s.akey * 128 + 64 + g.k", salt.renewJitter)} * 7200),
                                        GREATEST(s.t_s + (g.k - 1) * s.step, ${to} - interval '1 second')) END
                   FROM hs_sub s CROSS JOIN LATERAL generate_series(1, s.k) AS g(k)
               ) o
               JOIN hs_account a ON a.id = o.account_id
               JOIN hs_brand b ON b.brand_id = a.brand_id
               LEFT JOIN hs_sub s ON s.id = o.sub_id
               LEFT JOIN hs_influencer inf ON inf.brand_id = a.brand_id AND inf.ord = a.inf_ord
           ) r
           ${pick("r.locale || '_pay'", "r.okey", salt.method, "pm")}
       ) q
       LEFT JOIN hs_coupon cp ON cp.brand_id = q.brand_id AND cp.code = q.coupon
      ORDER BY q.account_id, q.placed_at, q.okey) q2`,
  );
  step("analyze", "ANALYZE hs_order, hs_sub");

  // Items: distinct products p, p+s, p+2s (mod n) with a popular first one; a subscription order bills its plan.
  const line = "g.j";
  step(
    "items",
    `INSERT INTO hs_item (id, order_id, line_no, product_id, offer_id, sub_id, name, quantity, unit_price, discount,
         tax, total)
     SELECT ${seq("order_items")}, x.order_id, x.line_no, x.product_id, x.offer_id, x.sub_id, x.name, x.quantity,
            x.unit_price, x.discount, x.tax, x.quantity * x.unit_price - x.discount + x.tax
       FROM (
         SELECT w.*, ((w.quantity * w.unit_price - w.discount) * w.tax_pct + 50) / 100 AS tax
           FROM (
             SELECT o.id AS order_id, ${line} AS line_no, p.product_id, of.offer_id, o.sub_id, p.name,
                    v.quantity, of.unit_price, v.quantity * of.unit_price * COALESCE(o.pct, 0) / 100 AS discount,
                    o.tax_pct
               FROM hs_order o
               JOIN hs_brand b ON b.brand_id = o.brand_id
               CROSS JOIN LATERAL generate_series(1, o.n_items) AS g(j)
               LEFT JOIN hs_sub s ON s.id = o.sub_id
               JOIN hs_pslot ps ON ps.brand_id = o.brand_id AND ps.slot = ${slot("o.okey", salt.firstProduct)}
               JOIN hs_product p ON p.brand_id = o.brand_id AND (
                    (s.id IS NULL AND p.ord = (ps.ord + (${line} - 1)
                      * b.strides[1 + floor(${u("o.okey", salt.stride)} * cardinality(b.strides))::int]) % b.n_products)
                 OR (s.id IS NOT NULL AND p.product_id = s.product_id))
               JOIN hs_offer of ON of.product_id = p.product_id AND of.market_id = o.market_id
                AND of.kind = CASE WHEN s.id IS NULL THEN 'default' ELSE 'plan' END
               CROSS JOIN LATERAL (SELECT CASE WHEN s.id IS NOT NULL OR ${u("o.okey", itemSalt(line, 0))} < 0.8 THEN 1
                                               WHEN ${u("o.okey", itemSalt(line, 0))} < 0.95 THEN 2 ELSE 3 END
                                          AS quantity) v
           ) w
          ORDER BY w.order_id, w.line_no
       ) x`,
  );
  step("analyze", "ANALYZE hs_item");
  step(
    "order totals",
    `UPDATE hs_order o SET subtotal = t.subtotal, discount_total = t.discount_total, tax_total = t.tax_total,
        shipping = t.shipping, total = t.subtotal - t.discount_total + t.tax_total + t.shipping,
        paid = o.paid AND t.subtotal - t.discount_total + t.tax_total + t.shipping > 0
       FROM (SELECT i.order_id, sum(i.quantity * i.unit_price)::bigint AS subtotal,
                    sum(i.discount)::bigint AS discount_total, sum(i.tax)::bigint AS tax_total,
                    CASE WHEN o2.kind = 'subscription' OR sum(i.quantity * i.unit_price - i.discount) >= o2.ship_free
                         THEN 0 ELSE o2.ship_fee END AS shipping
               FROM hs_item i JOIN hs_order o2 ON o2.id = i.order_id
              GROUP BY i.order_id, o2.kind, o2.ship_free, o2.ship_fee) t
      WHERE t.order_id = o.id`,
  );
  // Fulfilment of a store's paid orders (its webhooks report it): shipped 18–72 hours after payment, delivered
  // 20–72 hours later in Korea, 40–140 in the US; what falls after the range has not happened yet.
  step(
    "fulfilment",
    `UPDATE hs_order o SET shipped_at = f.shipped_at, carrier = f.carrier, tracking = f.tracking,
        delivered_at = CASE WHEN f.delivered_at < ${to} THEN f.delivered_at END
       FROM (SELECT x.id, x.shipped_at, x.carrier, x.tracking,
                    x.shipped_at + make_interval(secs => 3600 * CASE WHEN x.locale = 'ko'
                      THEN 20 + 52 * ${u("x.okey", salt.deliver)} ELSE 40 + 100 * ${u("x.okey", salt.deliver)} END)
                      AS delivered_at
               FROM (SELECT o2.id, o2.okey, m.locale, cr.carrier,
                            o2.paid_at + make_interval(secs => 3600 * (18 + 54 * ${u("o2.okey", salt.ship)})) AS shipped_at,
                            cr.prefix || lpad(floor(${u("o2.okey", salt.tracking)} * 10000000000)::bigint::text, 10, '0')
                              AS tracking
                       FROM hs_order o2
                       JOIN hs_market m ON m.market_id = o2.market_id
                       JOIN hs_carrier cr ON cr.locale = m.locale
                        AND cr.ord = floor(${u("o2.okey", salt.carrier)} * cr.n)::int
                      WHERE o2.paid AND o2.store_id IS NOT NULL) x
              WHERE x.shipped_at < ${to}) f
      WHERE f.id = o.id`,
  );
  step(
    "invoice lines",
    `INSERT INTO hs_ii (id, invoice_id, order_id, account_id, issued_at, kind, order_item_id, product_id, description,
         amount, line_no)
     SELECT ${seq("invoice_items")}, x.* FROM (
       SELECT o.invoice_id, o.id, o.account_id, o.placed_at, 'product', i.id, i.product_id, i.name, i.total, i.line_no
         FROM hs_item i JOIN hs_order o ON o.id = i.order_id
       UNION ALL
       SELECT o.invoice_id, o.id, o.account_id, o.placed_at, 'shipping', NULL, NULL, 'Shipping', o.shipping, 1000
         FROM hs_order o WHERE o.shipping > 0
       ORDER BY 1, 10) x`,
  );
  step("analyze", "ANALYZE hs_ii");

  // Refunds: at most one per account and product, 3–30 days after a paid order, for its line (in full, in
  // part, or with the previous paid purchase of the product too). Each is bounded by paid lines of its own,
  // so no refund exceeds the account's balance at its time.
  const itemKey = "o.okey";
  step(
    "refunds",
    `INSERT INTO hs_refund
     SELECT ${seq("refunds")}, z2.* FROM (
     SELECT z.account_id, z.brand_id, z.product_id, z.platform, z.currency, z.amount, z.reason, z.refunded_at
       FROM (
         SELECT DISTINCT ON (y.account_id, y.product_id) y.*
           FROM (
             SELECT o.account_id, o.brand_id, i.product_id, o.platform, o.currency, o.placed_at, i.id AS item_id,
                    o.placed_at + make_interval(days => 3 + floor(${u(itemKey, itemSalt("i.line_no", 2))} * 28)::int,
                                                secs => floor(${u(itemKey, itemSalt("i.line_no", 3))} * 86400)::int)
                      AS refunded_at,
                    CASE WHEN ${u(itemKey, itemSalt("i.line_no", 4))} < 0.6 THEN i.total
                         WHEN ${u(itemKey, itemSalt("i.line_no", 4))} < 0.9
                           THEN GREATEST(1, i.total * (30 + floor(${u(itemKey, itemSalt("i.line_no", 5))} * 50)::int) / 100)
                         ELSE i.total + CASE WHEN x.prev_paid THEN x.prev_total ELSE 0 END END AS amount,
                    (ARRAY['damaged', 'changed_mind', 'not_as_described', 'late_delivery', 'skin_reaction'])
                      [1 + floor(${u(itemKey, itemSalt("i.line_no", 6))} * 5)::int] AS reason,
                    o.paid, ${u(itemKey, itemSalt("i.line_no", 1))} AS draw
               FROM hs_item i JOIN hs_order o ON o.id = i.order_id
               JOIN (SELECT i2.id, lag(i2.total) OVER w AS prev_total, lag(o2.paid) OVER w AS prev_paid
                       FROM hs_item i2 JOIN hs_order o2 ON o2.id = i2.order_id
                     WINDOW w AS (PARTITION BY o2.account_id, i2.product_id ORDER BY o2.placed_at, o2.id, i2.id)) x
                 ON x.id = i.id
           ) y
          WHERE y.paid AND y.draw < ${refundShare} AND y.refunded_at < ${to}
          ORDER BY y.account_id, y.product_id, y.placed_at, y.item_id
       ) z
      ORDER BY z.account_id, z.refunded_at, z.product_id) z2`,
  );
  // The waterfall (domain/ledger/refund-waterfall.ts): the product's lines invoiced by the refund's time, most
  // recent invoice first (issued_at, invoice id, item id, all descending), each taking what is left.
  step(
    "waterfall",
    `INSERT INTO hs_credit
     SELECT w.refund_id, w.invoice_id, w.issued_at, w.invoice_item_id, LEAST(w.amount, w.refund_amount - w.before)
       FROM (
         SELECT r.id AS refund_id, r.amount AS refund_amount, ii.invoice_id, ii.issued_at, ii.id AS invoice_item_id,
                ii.amount,
                COALESCE(sum(ii.amount) OVER (PARTITION BY r.id ORDER BY ii.issued_at DESC, ii.invoice_id DESC, ii.id DESC
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
           FROM hs_refund r
           JOIN hs_ii ii ON ii.account_id = r.account_id AND ii.product_id = r.product_id AND ii.issued_at <= r.refunded_at
       ) w
      WHERE w.before < w.refund_amount`,
  );
  step(
    "credit notes",
    `INSERT INTO hs_note
     SELECT ${seq("credit_notes")}, x.refund_id, x.invoice_id, x.amount FROM (
       SELECT refund_id, invoice_id, sum(amount)::bigint AS amount, max(issued_at) AS issued_at
         FROM hs_credit GROUP BY refund_id, invoice_id
        ORDER BY refund_id, issued_at DESC, invoice_id DESC) x`,
  );
  step(
    "credited lines",
    `UPDATE hs_ii ii SET credited = c.amount FROM hs_credit c WHERE c.invoice_item_id = ii.id`,
  );
  step(
    "credited items",
    `UPDATE hs_item i SET credited = ii.credited FROM hs_ii ii WHERE ii.order_item_id = i.id AND ii.credited > 0`,
  );
  step(
    "credited orders",
    `UPDATE hs_order o SET credited = n.amount
       FROM (SELECT invoice_id, sum(amount)::bigint AS amount FROM hs_note GROUP BY invoice_id) n
      WHERE n.invoice_id = o.invoice_id`,
  );

  // Consents per brand and channel, reported by the brand's store (the market's own, else the brand's first):
  // the sign-up form's answer for every channel of the market just before the first order, then for some
  // accounts one channel flipped (an unsubscribe, or an opt-in at checkout), and for some flipped back.
  const firstGranted = (key: string) => `${u(`${key} * 8 + ch.ord`, salt.consent)} < ch.granted`;
  step(
    "consent changes",
    `INSERT INTO hs_consent (account_id, seq, brand_id, contact_id, store_id, platform, channel, status, at, source)
     SELECT x.* FROM (
       SELECT a.id, 1, a.brand_id, a.contact_id, st.brand_store_id, st.brand_platform, ch.channel,
              CASE WHEN ${firstGranted("a.akey")} THEN 'granted' ELSE 'withdrawn' END,
              a.t0 - interval '3 minutes', 'signup_form'
         FROM hs_account a
         JOIN hs_store st ON st.brand_id = a.brand_id AND st.market_id = a.market_id
         JOIN hs_channel ch ON ch.locale = a.locale
        WHERE st.brand_store_id IS NOT NULL
       UNION ALL
       SELECT y.id, y.seq, y.brand_id, y.contact_id, y.store_id, y.platform, y.channel, y.status, y.at,
              CASE WHEN y.status = 'granted' THEN 'checkout' WHEN y.channel = 'email' THEN 'unsubscribe_link'
                   ELSE 'preference_center' END
         FROM (
           SELECT a.id, g.seq, a.brand_id, a.contact_id, st.brand_store_id AS store_id, st.brand_platform AS platform,
                  ch.channel, CASE WHEN (${firstGranted("a.akey")}) = (g.seq = 2) THEN 'withdrawn' ELSE 'granted' END
                    AS status,
                  CASE g.seq WHEN 2 THEN d.t2 ELSE d.t2 + make_interval(secs => 86400
                    - ln(1 - ${u("a.akey", salt.consentRevertDelay)}) * 90 * 86400) END AS at
             FROM hs_account a
             JOIN hs_store st ON st.brand_id = a.brand_id AND st.market_id = a.market_id
             JOIN hs_channel ch ON ch.locale = a.locale AND ch.ord = floor(${u("a.akey", salt.consentChannel)} * ch.n)::int
             CROSS JOIN LATERAL (SELECT a.t0 + make_interval(secs => 3600
                                   - ln(1 - ${u("a.akey", salt.consentDelay)}) * 120 * 86400) AS t2) d
             CROSS JOIN (VALUES (2), (3)) AS g(seq)
            WHERE st.brand_store_id IS NOT NULL AND ${u("a.akey", salt.consentChange)} < ${consentChangeShare}
              AND (g.seq = 2 OR ${u("a.akey", salt.consentRevert)} < ${consentRevertShare})
         ) y
        WHERE y.at < ${to}
     ) x
     ORDER BY 1, 2, 7`,
  );
  if (carts)
    step(
      "carts",
      `INSERT INTO hs_cart (id, account_id, brand_id, store_id, platform, contact_id, member, currency, total, items,
           abandoned_at, recovered_order_id, recovered_at)
       SELECT ${seq("abandoned_carts")}, y.* FROM (
         SELECT x.account_id, x.brand_id, x.store_id, x.platform, x.contact_id,
                ${memberExternalId("x.platform", "x.account_id")}, x.currency, x.total, x.items, x.abandoned_at,
                x.order_id, x.recovered_at
           FROM (
             -- Recovered: the order's own cart, left 1–47 hours before it was placed.
             SELECT o.account_id, o.brand_id, o.store_id, o.platform, a.contact_id, o.currency,
                    sum(i.quantity * i.unit_price)::bigint AS total,
                    jsonb_agg(jsonb_build_object('sku', p.sku, 'quantity', i.quantity, 'unit_price', i.unit_price)
                              ORDER BY i.line_no) AS items,
                    o.placed_at - make_interval(secs => 3600 + ${u("o.okey", salt.cartDelay)} * 46 * 3600) AS abandoned_at,
                    o.id AS order_id, o.placed_at AS recovered_at, 0 AS k
               FROM hs_order o
               JOIN hs_account a ON a.id = o.account_id
               JOIN hs_item i ON i.order_id = o.id
               JOIN hs_product p ON p.product_id = i.product_id
              WHERE o.kind = 'order' AND o.store_id IS NOT NULL AND ${u("o.okey", salt.cart)} < ${recoveredCartShare}
              GROUP BY o.id, o.account_id, o.brand_id, o.store_id, o.platform, a.contact_id, o.currency, o.placed_at, o.okey
             UNION ALL
             -- Lost: ⌊Exp(1) × ${lostCartScale}⌋ carts (at most 3) of one or two products, any time in the account's life.
             SELECT a.id, a.brand_id, a.store_id, a.platform, a.contact_id, a.currency,
                    sum(of.unit_price)::bigint,
                    jsonb_agg(jsonb_build_object('sku', p.sku, 'quantity', 1, 'unit_price', of.unit_price) ORDER BY l.j),
                    min(a.t0 + (${to} - a.t0) * ${u("a.akey * 4 + g.k", salt.lostCartAt)}), NULL, NULL, g.k
               FROM hs_account a
               JOIN hs_brand b ON b.brand_id = a.brand_id
               CROSS JOIN LATERAL generate_series(1, LEAST(3, floor(-ln(1 - ${u("a.akey", salt.lostCarts)}) * ${lostCartScale}))::int)
                 AS g(k)
               JOIN hs_pslot ps ON ps.brand_id = a.brand_id AND ps.slot = ${slot("a.akey * 4 + g.k", salt.lostCartProduct)}
               CROSS JOIN LATERAL generate_series(1, CASE WHEN ${u("a.akey * 4 + g.k", salt.lostCartItems)} < 0.35
                                                        THEN 2 ELSE 1 END) AS l(j)
               JOIN hs_product p ON p.brand_id = a.brand_id AND p.ord = (ps.ord + l.j - 1) % b.n_products
               JOIN hs_offer of ON of.product_id = p.product_id AND of.market_id = a.market_id AND of.kind = 'default'
              WHERE a.store_id IS NOT NULL
              GROUP BY a.id, g.k, a.brand_id, a.store_id, a.platform, a.contact_id, a.currency
           ) x
          ORDER BY x.account_id, x.abandoned_at, x.k, x.order_id) y`,
    );

  // Commerce events, as the store's webhooks delivered and the consumer applied them: each order's
  // created, paid, shipped and delivered; each consent change; each abandoned cart. Payloads are what the
  // consumer stores (domain/commerce/payload.ts): emails as their hash, an order's customer reduced to it.
  const ts = (expr: string) => `to_jsonb(${expr})`;
  const eventId = (type: string, key: string) => `'seed:${type}:' || ${key}`;
  step(
    "events",
    `INSERT INTO hs_event (id, account_id, store_id, brand_id, platform, platform_event_id, type, order_external_id,
         order_id, src, occurred_at, payload)
     SELECT ${seq("commerce_events")}, e.account_id, e.store_id, e.brand_id, e.platform, e.platform_event_id, e.type,
            e.order_external_id, e.order_id, e.src, e.occurred_at, e.payload
       FROM (
         SELECT o.account_id, o.store_id, o.brand_id, o.platform, t.type, t.ord, ext.id AS order_external_id,
                o.id AS order_id, o.id AS src, t.at AS occurred_at,
                ${eventId("' || t.type || '", "ext.id")} AS platform_event_id,
                CASE t.type
                  WHEN 'order.created' THEN jsonb_build_object('order_id', ext.id, 'order', jsonb_strip_nulls(jsonb_build_object(
                    'currency', o.currency, 'placed_at', ${ts("o.placed_at")},
                    'customer', jsonb_build_object('email_sha256', c.email_sha256), 'items', it.items,
                    'shipping', o.shipping,
                    'coupons', CASE WHEN o.coupon_id IS NULL THEN '[]'::jsonb
                                    ELSE jsonb_build_array(jsonb_build_object('code', o.coupon, 'discount', o.discount_total)) END,
                    'campaign', o.camp, 'marketing', ${marketing("o")})))
                  WHEN 'order.paid' THEN jsonb_build_object('order_id', ext.id, 'amount', o.total, 'currency', o.currency,
                    'method', o.method, 'payment_id', ${paymentExternalId("o.platform", "o.id")}, 'paid_at', ${ts("o.paid_at")})
                  WHEN 'order.shipped' THEN jsonb_build_object('order_id', ext.id,
                    'shipment_id', ${shipmentExternalId("o.platform", "o.id")}, 'carrier', o.carrier,
                    'tracking_number', o.tracking)
                  ELSE jsonb_build_object('order_id', ext.id, 'shipment_id', ${shipmentExternalId("o.platform", "o.id")})
                END AS payload
           FROM hs_order o
           JOIN hs_account a ON a.id = o.account_id
           JOIN hs_customer c ON c.idx = a.idx
           JOIN (SELECT i.order_id,
                        jsonb_agg(jsonb_build_object('sku', p.sku, 'name', i.name, 'offer', of.code,
                                    'quantity', i.quantity, 'unit_price', i.unit_price, 'discount', i.discount,
                                    'tax', i.tax) ORDER BY i.line_no) AS items
                   FROM hs_item i JOIN hs_product p ON p.product_id = i.product_id
                   JOIN hs_offer of ON of.offer_id = i.offer_id
                  GROUP BY i.order_id) it ON it.order_id = o.id
           CROSS JOIN LATERAL (SELECT ${orderExternalId("o.platform", "o.id")} AS id) ext
           CROSS JOIN LATERAL (VALUES ('order.created', 1, o.placed_at), ('order.paid', 2, o.paid_at),
                                      ('order.shipped', 3, o.shipped_at), ('order.delivered', 4, o.delivered_at)) AS t(type, ord, at)
          WHERE o.store_id IS NOT NULL AND t.at IS NOT NULL AND (t.type <> 'order.paid' OR o.paid)
         UNION ALL
         SELECT k.account_id, k.store_id, k.brand_id, k.platform, 'consent.changed', 5, NULL, NULL, k.seq, k.at,
                ${eventId("consent.changed", `${memberExternalId("k.platform", "k.account_id")} || ':' || k.seq`)},
                jsonb_build_object('email_sha256', c.email_sha256,
                  'member_id', ${memberExternalId("k.platform", "k.account_id")}, 'consents', k.consents,
                  'source', k.source)
           FROM (SELECT account_id, seq, store_id, brand_id, platform, at, source,
                        jsonb_agg(jsonb_build_object('channel', channel, 'status', status) ORDER BY channel) AS consents
                   FROM hs_consent GROUP BY account_id, seq, store_id, brand_id, platform, at, source) k
           JOIN hs_account a ON a.id = k.account_id
           JOIN hs_customer c ON c.idx = a.idx${
             carts
               ? `
         UNION ALL
         SELECT r.account_id, r.store_id, r.brand_id, r.platform, 'cart.abandoned', 0, NULL, NULL, r.id, r.abandoned_at,
                ${eventId("cart.abandoned", cartExternalId("r.platform", "r.id"))},
                jsonb_build_object('cart_id', ${cartExternalId("r.platform", "r.id")}, 'member_id', r.member,
                  'email_sha256', c.email_sha256, 'items', r.items, 'total', r.total, 'currency', r.currency)
           FROM hs_cart r
           JOIN hs_account a ON a.id = r.account_id
           JOIN hs_customer c ON c.idx = a.idx`
               : ""
           }
       ) e
      ORDER BY e.account_id, e.occurred_at, e.ord, e.src`,
  );
  step("analyze", `ANALYZE hs_consent, hs_event${carts ? ", hs_cart" : ""}`);

  // The ledger, in foreign key order; identity rows are dated by the person's first order.
  step("first orders", "INSERT INTO hs_first SELECT idx, min(t0) FROM hs_account GROUP BY idx");
  step(
    "emails",
    `INSERT INTO emails (id, address, domain, sha256, md5, created_at) OVERRIDING SYSTEM VALUE
     SELECT c.email_id, c.address, c.domain, c.email_sha256, c.email_md5, f.first_at
       FROM hs_customer c JOIN hs_first f ON f.idx = c.idx ORDER BY c.email_id`,
    "emails",
  );
  step(
    "contacts",
    `INSERT INTO contacts (id, email_id, created_at, updated_at) OVERRIDING SYSTEM VALUE
     SELECT c.contact_id, c.email_id, f.first_at, f.first_at
       FROM hs_customer c JOIN hs_first f ON f.idx = c.idx ORDER BY c.contact_id`,
    "contacts",
  );
  step(
    "personal info",
    `INSERT INTO personal_info (id, first_name, last_name, phone, sha256, md5, created_at) OVERRIDING SYSTEM VALUE
     SELECT p.id, p.first_name, p.last_name, p.phone, p.sha256, p.md5, f.first_at
       FROM hs_pi p JOIN hs_first f ON f.idx = p.idx WHERE p.fresh ORDER BY p.id`,
    "personal_info",
  );
  step(
    "addresses",
    `INSERT INTO addresses (id, country, region, city, postal_code, line1, line2, sha256, md5, created_at)
       OVERRIDING SYSTEM VALUE
     SELECT a.id, a.country, a.region, a.city, a.postal_code, a.line1, a.line2, a.sha256, a.md5, f.first_at
       FROM hs_addr a JOIN hs_first f ON f.idx = a.idx WHERE a.fresh ORDER BY a.id`,
    "addresses",
  );
  step(
    "accounts",
    `INSERT INTO brand_client_accounts (id, brand_id, market_id, email_id, contact_id, personal_info_id, currency,
         invoiced, credited, paid, refunded, balance, outstanding, order_count, invoice_count, credit_note_count,
         first_order_at, last_order_at, created_at, updated_at) OVERRIDING SYSTEM VALUE
     SELECT a.id, a.brand_id, a.market_id, a.email_id, a.contact_id, a.pi_id, a.currency,
            o.invoiced, COALESCE(r.amount, 0), o.paid, COALESCE(r.amount, 0), o.paid - COALESCE(r.amount, 0),
            o.invoiced - COALESCE(r.amount, 0) - o.paid + COALESCE(r.amount, 0),
            o.n, o.n, COALESCE(cn.notes, 0), o.first_at, o.last_at, o.first_at, GREATEST(o.last_at, r.last_at)
       FROM hs_account a
       JOIN (SELECT account_id, sum(total)::bigint AS invoiced, sum(CASE WHEN paid THEN total ELSE 0 END)::bigint AS paid,
                    count(*)::int AS n, min(placed_at) AS first_at, max(placed_at) AS last_at
               FROM hs_order GROUP BY account_id) o ON o.account_id = a.id
       LEFT JOIN (SELECT account_id, sum(amount)::bigint AS amount, max(refunded_at) AS last_at
                    FROM hs_refund GROUP BY account_id) r ON r.account_id = a.id
       LEFT JOIN (SELECT x.account_id, count(*)::int AS notes FROM hs_note n JOIN hs_refund x ON x.id = n.refund_id
                   GROUP BY x.account_id) cn ON cn.account_id = a.id
      ORDER BY a.id`,
    "brand_client_accounts",
  );
  step(
    "subscriptions",
    `INSERT INTO subscriptions (id, brand_id, account_id, product_id, offer_id, platform, external_id, state,
         occurrences, current_period_start, current_period_end, started_at, ended_at, created_at, updated_at)
       OVERRIDING SYSTEM VALUE
     SELECT id, brand_id, account_id, product_id, offer_id, platform,
            CASE WHEN platform = 'shopify' THEN (8000000000 + id)::text ELSE 'SUB-' || lpad(id::text, 9, '0') END,
            state::subscription_state, k, t_s + (k - 1) * step, t_s + k * step, t_s, ended_at, t_s, changed_at
       FROM hs_sub ORDER BY id`,
    "subscriptions",
  );
  step(
    "orders",
    `INSERT INTO orders (id, brand_id, market_id, account_id, store_id, platform, external_id, currency, subtotal,
         discount_total, tax_total, shipping_total, total, credited_total, personal_info_id, billing_address_id,
         shipping_address_id, campaign_id, marketing, placed_at, created_at, fulfilment_status, fulfilment_at)
       OVERRIDING SYSTEM VALUE
     SELECT o.id, o.brand_id, o.market_id, o.account_id, o.store_id, o.platform,
            ${orderExternalId("o.platform", "o.id")}, o.currency, o.subtotal, o.discount_total, o.tax_total, o.shipping, o.total, o.credited, o.pi_id, o.addr_id,
            o.addr_id, cg.campaign_id,
            ${marketing("o")}, o.placed_at, o.placed_at,
            CASE WHEN o.delivered_at IS NOT NULL THEN 'delivered' WHEN o.shipped_at IS NOT NULL THEN 'shipped' END
              ::order_fulfilment_status, COALESCE(o.delivered_at, o.shipped_at)
       FROM hs_order o LEFT JOIN hs_campaign cg ON cg.brand_id = o.brand_id AND cg.code = o.camp
      ORDER BY o.id`,
    "orders",
  );
  step(
    "order items",
    `INSERT INTO order_items (id, order_id, line_no, product_id, offer_id, subscription_id, name, quantity, unit_price,
         discount, tax, total, credited_total) OVERRIDING SYSTEM VALUE
     SELECT id, order_id, line_no, product_id, offer_id, sub_id, name, quantity, unit_price, discount, tax, total,
            credited
       FROM hs_item ORDER BY id`,
    "order_items",
  );
  step(
    "order coupons",
    `INSERT INTO order_coupons (order_id, coupon_id, discount)
     SELECT id, coupon_id, discount_total FROM hs_order WHERE coupon_id IS NOT NULL ORDER BY id`,
    "order_coupons",
  );
  step(
    "invoices",
    `INSERT INTO invoices (id, brand_id, account_id, order_id, currency, amount, credited_total, number, issued_at,
         created_at) OVERRIDING SYSTEM VALUE
     SELECT invoice_id, brand_id, account_id, id, currency, total, credited,
            row_number() OVER (PARTITION BY account_id ORDER BY placed_at, invoice_id), placed_at, placed_at
       FROM hs_order ORDER BY invoice_id`,
    "invoices",
  );
  step(
    "invoice items",
    `INSERT INTO invoice_items (id, invoice_id, kind, order_item_id, product_id, description, amount, credited_total)
       OVERRIDING SYSTEM VALUE
     SELECT id, invoice_id, kind::invoice_item_kind, order_item_id, product_id, description, amount, credited
       FROM hs_ii ORDER BY id`,
    "invoice_items",
  );
  step(
    "payments",
    `INSERT INTO payments (brand_id, account_id, order_id, platform, external_id, method, currency, amount,
         received_at, created_at)
     SELECT brand_id, account_id, id, platform,
            ${paymentExternalId("platform", "id")}, method, currency, total, paid_at, paid_at
       FROM hs_order WHERE paid ORDER BY id`,
    "payments",
  );
  step(
    "refunds",
    `INSERT INTO refunds (id, brand_id, account_id, product_id, platform, external_id, currency, amount, reason,
         refunded_at, created_at) OVERRIDING SYSTEM VALUE
     SELECT id, brand_id, account_id, product_id, platform,
            CASE WHEN platform = 'shopify' THEN (7000000000000 + id)::text ELSE 'REF-' || lpad(id::text, 9, '0') END,
            currency, amount, reason, refunded_at, refunded_at
       FROM hs_refund ORDER BY id`,
    "refunds",
  );
  step(
    "credit notes",
    `INSERT INTO credit_notes (id, brand_id, account_id, invoice_id, refund_id, currency, amount, reason, number,
         issued_at, created_at) OVERRIDING SYSTEM VALUE
     SELECT n.id, r.brand_id, r.account_id, n.invoice_id, r.id, r.currency, n.amount, r.reason,
            row_number() OVER (PARTITION BY r.account_id ORDER BY r.refunded_at, n.id), r.refunded_at, r.refunded_at
       FROM hs_note n JOIN hs_refund r ON r.id = n.refund_id ORDER BY n.id`,
    "credit_notes",
  );
  step(
    "credit note items",
    `INSERT INTO credit_note_items (credit_note_id, invoice_item_id, amount)
     SELECT n.id, c.invoice_item_id, c.amount
       FROM hs_credit c JOIN hs_note n ON n.refund_id = c.refund_id AND n.invoice_id = c.invoice_id
      ORDER BY n.id, c.invoice_item_id DESC`,
    "credit_note_items",
  );
  step(
    "subscription history",
    `INSERT INTO subscription_history (subscription_id, from_state, to_state, occurrences, source, reason,
         order_item_id, changed_at)
     SELECT x.* FROM (
       SELECT s.id, CASE WHEN o.k = 1 THEN NULL ELSE 'active' END::subscription_state, 'active'::subscription_state,
              o.k, 'order', NULL::text, i.id, o.placed_at
         FROM hs_sub s JOIN hs_order o ON o.sub_id = s.id JOIN hs_item i ON i.order_id = o.id
       UNION ALL
       SELECT s.id, 'active', s.state::subscription_state, s.k,
              CASE s.state WHEN 'expired' THEN 'batch' ELSE 'api' END,
              CASE s.state WHEN 'suspended' THEN 'payment_failed' WHEN 'expired' THEN 'term_ended'
                           ELSE 'customer_request' END,
              NULL, s.changed_at
         FROM hs_sub s WHERE s.state <> 'active'
       ORDER BY 1, 8, 4) x`,
    "subscription_history",
  );
  step(
    "subscription occurrences",
    `INSERT INTO subscription_occurrences (subscription_id, number, order_item_id, period_start, period_end, created_at)
     SELECT s.id, o.k, i.id, s.t_s + (o.k - 1) * s.step, s.t_s + o.k * s.step, o.placed_at
       FROM hs_sub s JOIN hs_order o ON o.sub_id = s.id JOIN hs_item i ON i.order_id = o.id
      ORDER BY s.id, o.k`,
    "subscription_occurrences",
  );
  step(
    "commerce events",
    `INSERT INTO commerce_events (id, store_id, brand_id, platform, platform_event_id, type, order_external_id, order_id,
         occurred_at, received_at, payload, status, applied_at) OVERRIDING SYSTEM VALUE
     SELECT id, store_id, brand_id, platform, platform_event_id, type::commerce_event_type, order_external_id, order_id,
            occurred_at, occurred_at + interval '2 seconds', payload, 'applied', occurred_at + interval '3 seconds'
       FROM hs_event ORDER BY id`,
    "commerce_events",
  );
  step(
    "consents",
    `INSERT INTO consents (brand_id, contact_id, channel, status, at, source, event_id, created_at, updated_at)
     SELECT x.brand_id, x.contact_id, x.channel::consent_channel, x.status::consent_status, x.at, x.source, x.event_id,
            x.first_at, x.at
       FROM (SELECT DISTINCT ON (c.account_id, c.channel) c.account_id, c.brand_id, c.contact_id, c.channel, c.status,
                    c.at, c.source, e.id AS event_id, min(c.at) OVER (PARTITION BY c.account_id, c.channel) AS first_at
               FROM hs_consent c JOIN hs_event e ON e.type = 'consent.changed' AND e.account_id = c.account_id AND e.src = c.seq
              ORDER BY c.account_id, c.channel, c.seq DESC) x
      ORDER BY x.account_id, x.channel`,
    "consents",
  );
  step(
    "consent history",
    `INSERT INTO consent_history (brand_id, contact_id, channel, status, at, source, event_id, created_at)
     SELECT c.brand_id, c.contact_id, c.channel::consent_channel, c.status::consent_status, c.at, c.source, e.id,
            e.occurred_at + interval '3 seconds'
       FROM hs_consent c JOIN hs_event e ON e.type = 'consent.changed' AND e.account_id = c.account_id AND e.src = c.seq
      ORDER BY e.id, c.channel`,
    "consent_history",
  );
  step(
    "fulfilment history",
    `INSERT INTO order_fulfilment_history (order_id, status, event_id, occurred_at, shipment_id, carrier,
         tracking_number, created_at)
     SELECT order_id, CASE type WHEN 'order.shipped' THEN 'shipped' ELSE 'delivered' END::order_fulfilment_status, id,
            occurred_at, payload->>'shipment_id', payload->>'carrier', payload->>'tracking_number',
            occurred_at + interval '3 seconds'
       FROM hs_event WHERE type IN ('order.shipped', 'order.delivered') ORDER BY id`,
    "order_fulfilment_history",
  );
  if (carts)
    step(
      "abandoned carts",
      `INSERT INTO abandoned_carts (id, brand_id, store_id, platform_cart_id, contact_id, member_external_id, currency,
           total, items, abandoned_at, recovered_order_id, recovered_at, event_id, created_at, updated_at)
         OVERRIDING SYSTEM VALUE
       SELECT r.id, r.brand_id, r.store_id, ${cartExternalId("r.platform", "r.id")}, r.contact_id, r.member, r.currency,
              r.total, r.items, r.abandoned_at, r.recovered_order_id, r.recovered_at, e.id, r.abandoned_at,
              COALESCE(r.recovered_at, r.abandoned_at)
         FROM hs_cart r LEFT JOIN hs_event e ON e.type = 'cart.abandoned' AND e.src = r.id
        ORDER BY r.id`,
      "abandoned_carts",
    );
  return work;
}

/** First customer number of this run: 0, or after the highest one an earlier run gave (`--append`). */
async function startingPoint(client: Client, options: HistoryOptions, brandIds: number[]): Promise<number> {
  const existing = await rows<{ n: string }>(
    client,
    "SELECT count(*) AS n FROM (SELECT 1 FROM orders WHERE brand_id = ANY($1::bigint[]) LIMIT 1) x",
    [brandIds],
  );
  const hasHistory = Number(existing[0]?.n ?? 0) > 0;
  if (hasHistory && !options.append)
    throw new Error(
      "these brands already have orders: pass --append to add customers after them, or seed a fresh database",
    );
  if (!hasHistory) return 0;
  // Seeded emails end in their customer number before a `.example` domain.
  const last = await rows<{ n: string | null }>(
    client,
    `SELECT max((regexp_match(address, '(\\d+)@[a-z]+\\.example$'))[1]::bigint) AS n
       FROM emails WHERE domain LIKE '%.example'`,
  );
  return last[0]?.n === null || last[0]?.n === undefined ? 0 : Number(last[0].n) + 1;
}

/**
 * Generates the history of `options.customers` customers into `databaseUrl` (the demo seed must have run:
 * it needs brands and markets). Refuses when the brands already have orders, unless `append`.
 */
export async function seedHistory(
  databaseUrl: string,
  options: HistoryOptions,
  progress?: Progress,
): Promise<HistorySummary> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const fkChecks = await prepareSession(client, options.seed, options.fkChecks);
    const before = await catalogCounts(client);
    await client.query("BEGIN");
    const catalog = await prepareCatalog(client, options);
    const offset = await startingPoint(
      client,
      options,
      catalog.brands.map((b) => b.brandId),
    );
    await client.query("COMMIT");
    await prepareTemporaryTables(client, options, catalog);
    const carts = await hasAbandonedCarts(client);
    const nextval = await sequences(client, carts);
    const statements = chunkStatements(options, nextval, catalog.brands.length, carts);

    const rowsByTable = Object.fromEntries(historyTables.map((t) => [t, 0])) as Record<HistoryTable, number>;
    const steps: Record<string, number> = {};
    const chunkStarted = Date.now();
    progress?.(0, options.customers, 0);
    for (const { lo, hi } of chunkRanges(offset, options.customers, options.chunkSize)) {
      await client.query("BEGIN");
      try {
        for (const statement of statements) {
          // Temporary tables keep their statistics when COMMIT empties them: analysed once, planned well after.
          if (statement.label === "analyze" && lo !== offset) continue;
          const stepStarted = performance.now();
          const result = await client.query(statement.sql, statement.range ? [lo, hi] : []);
          if (statement.table) rowsByTable[statement.table] += result.rowCount ?? 0;
          const key = statement.table ? `${statement.label} (insert)` : statement.label;
          steps[key] = (steps[key] ?? 0) + (performance.now() - stepStarted) / 1000;
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
      progress?.(hi - offset, options.customers, Date.now() - chunkStarted);
    }
    // A bulk load leaves the planner's statistics describing the tables as they were before it; autovacuum
    // catches up in its own time, so whatever runs next (a nightly job, a benchmark) would plan for
    // nearly empty tables until then.
    const analyzeStarted = performance.now();
    await client.query(`ANALYZE ${historyTables.join(", ")}`);
    steps.analyze_tables = (performance.now() - analyzeStarted) / 1000;
    const after = await catalogCounts(client);
    for (const table of catalogTables)
      rowsByTable[table] = after[table] - before[table] + (rowsByTable[table] ?? 0);
    return {
      rows: rowsByTable,
      customers: options.customers,
      offset,
      seconds: (Date.now() - started) / 1000,
      fkChecks,
      steps,
    };
  } finally {
    await restoreSession(client);
    await client.end();
  }
}

/** Tables written once per run (not per chunk): their rows are counted before and after. */
const catalogTables = [
  "products",
  "product_offers",
  "coupons",
  "campaigns",
  "influencers",
  "influencer_codes",
  "acquisition_rules",
] as const satisfies readonly HistoryTable[];

async function catalogCounts(client: Client): Promise<Record<(typeof catalogTables)[number], number>> {
  const [row] = await rows<Record<string, string>>(
    client,
    `SELECT ${catalogTables.map((table) => `(SELECT count(*) FROM ${table}) AS ${table}`).join(", ")}`,
  );
  return Object.fromEntries(catalogTables.map((table) => [table, Number(row?.[table] ?? 0)])) as Record<
    (typeof catalogTables)[number],
    number
  >;
}

/**
 * Whether the database has `abandoned_carts`: the carts' table comes with its own migration, and the seed
 * generates carts (and their `cart.abandoned` events) only where it exists.
 */
export async function hasAbandonedCarts(client: Pick<Client, "query">): Promise<boolean> {
  const found = await client.query<{ t: string | null }>("SELECT to_regclass('abandoned_carts')::text AS t");
  return found.rows[0]?.t != null;
}

// ---------------------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------------------

/** Rows breaking each ledger invariant (all zero when the ledger is consistent), and what was checked. */
export interface LedgerCheck {
  accounts: number;
  /** Accounts whose six totals, order count or first/last order differ from their recomputation. */
  accountTotals: number;
  /** Refunds whose credit notes do not sum to the refund. */
  refundsVsCreditNotes: number;
  /** Credit notes whose items do not sum to the note. */
  creditNotesVsItems: number;
  /** Invoice items credited beyond their amount, or whose credited_total differs from their credit note items. */
  invoiceItemsCredited: number;
  /** Invoices, orders and order items whose credited_total differs from the rows below them. */
  creditedTotals: number;
  /** Invoices whose amount differs from their items, or orders whose total differs from their invoice. */
  invoiceAmounts: number;
  /** Subscriptions whose occurrence counter differs from their occurrence rows. */
  subscriptionOccurrences: number;
  /** Current consents (brand, contact, channel) that are not their latest history row, or history without one. */
  consentsVsHistory: number;
  /** Orders whose fulfilment status and time are not their latest fulfilment history row. */
  fulfilmentVsHistory: number;
  /**
   * Applied order events not linked to their order (brand and platform order id), consent history rows whose
   * event is not a consent change of the brand, fulfilment history rows whose event is not the order's.
   */
  eventLinks: number;
  /** Abandoned carts recovered by half (an order without a time or the reverse), or by another brand's order. */
  cartRecoveries: number;
}

/** One pass over the ledger, set-based: every invariant the seed promises (and the domain keeps). */
export const verifySql = `SELECT
  (SELECT count(*) FROM brand_client_accounts) AS accounts,
  (SELECT count(*) FROM brand_client_accounts a
     LEFT JOIN (SELECT account_id, sum(amount) AS s, count(number) AS n, max(number) AS top FROM invoices
                 GROUP BY account_id) i ON i.account_id = a.id
     LEFT JOIN (SELECT account_id, sum(amount) AS s, count(number) AS n, max(number) AS top FROM credit_notes
                 GROUP BY account_id) c ON c.account_id = a.id
     LEFT JOIN (SELECT account_id, sum(amount) AS s FROM payments GROUP BY account_id) p ON p.account_id = a.id
     LEFT JOIN (SELECT account_id, sum(amount) AS s FROM refunds GROUP BY account_id) r ON r.account_id = a.id
     LEFT JOIN (SELECT account_id, count(*) AS n, min(placed_at) AS f, max(placed_at) AS l FROM orders
                 GROUP BY account_id) o ON o.account_id = a.id
    WHERE a.invoiced <> COALESCE(i.s, 0) OR a.credited <> COALESCE(c.s, 0) OR a.paid <> COALESCE(p.s, 0)
       OR a.refunded <> COALESCE(r.s, 0) OR a.balance <> COALESCE(p.s, 0) - COALESCE(r.s, 0)
       OR a.outstanding <> COALESCE(i.s, 0) - COALESCE(c.s, 0) - COALESCE(p.s, 0) + COALESCE(r.s, 0)
       OR a.order_count <> COALESCE(o.n, 0) OR a.first_order_at IS DISTINCT FROM o.f
       OR a.last_order_at IS DISTINCT FROM o.l
       -- Document series: numbers are unique per account, so n numbers topped by n are exactly 1..n.
       OR a.invoice_count <> COALESCE(i.n, 0) OR COALESCE(i.top, 0) <> COALESCE(i.n, 0)
       OR a.credit_note_count <> COALESCE(c.n, 0) OR COALESCE(c.top, 0) <> COALESCE(c.n, 0)) AS account_totals,
  (SELECT count(*) FROM refunds r
     LEFT JOIN (SELECT refund_id, sum(amount) AS s FROM credit_notes GROUP BY refund_id) c ON c.refund_id = r.id
    WHERE r.amount <> COALESCE(c.s, 0)) AS refunds_vs_credit_notes,
  (SELECT count(*) FROM credit_notes n
     LEFT JOIN (SELECT credit_note_id, sum(amount) AS s FROM credit_note_items GROUP BY credit_note_id) c
       ON c.credit_note_id = n.id
    WHERE n.amount <> COALESCE(c.s, 0)) AS credit_notes_vs_items,
  (SELECT count(*) FROM invoice_items ii
     LEFT JOIN (SELECT invoice_item_id, sum(amount) AS s FROM credit_note_items GROUP BY invoice_item_id) c
       ON c.invoice_item_id = ii.id
    WHERE ii.credited_total <> COALESCE(c.s, 0) OR COALESCE(c.s, 0) > ii.amount) AS invoice_items_credited,
  (SELECT count(*) FROM invoices i
     LEFT JOIN (SELECT invoice_id, sum(amount) AS s FROM credit_notes GROUP BY invoice_id) c ON c.invoice_id = i.id
    WHERE i.credited_total <> COALESCE(c.s, 0))
  + (SELECT count(*) FROM orders o JOIN invoices i ON i.order_id = o.id WHERE o.credited_total <> i.credited_total)
  + (SELECT count(*) FROM order_items oi JOIN invoice_items ii ON ii.order_item_id = oi.id
      WHERE oi.credited_total <> ii.credited_total) AS credited_totals,
  (SELECT count(*) FROM invoices i
     LEFT JOIN (SELECT invoice_id, sum(amount) AS s FROM invoice_items GROUP BY invoice_id) ii ON ii.invoice_id = i.id
    WHERE i.amount <> COALESCE(ii.s, 0))
  + (SELECT count(*) FROM orders o JOIN invoices i ON i.order_id = o.id WHERE o.total <> i.amount) AS invoice_amounts,
  (SELECT count(*) FROM subscriptions s
     LEFT JOIN (SELECT subscription_id, count(*) AS n FROM subscription_occurrences GROUP BY subscription_id) o
       ON o.subscription_id = s.id
    WHERE s.occurrences <> COALESCE(o.n, 0)) AS subscription_occurrences,
  (SELECT count(*) FROM (SELECT DISTINCT ON (brand_id, contact_id, channel) brand_id, contact_id, channel, status, at,
                                event_id
                           FROM consent_history ORDER BY brand_id, contact_id, channel, at DESC, id DESC) h
     FULL JOIN consents c ON c.brand_id = h.brand_id AND c.contact_id = h.contact_id AND c.channel = h.channel
    WHERE (c.status, c.at, c.event_id) IS DISTINCT FROM (h.status, h.at, h.event_id)) AS consents_vs_history,
  (SELECT count(*) FROM (SELECT DISTINCT ON (order_id) order_id, status, occurred_at FROM order_fulfilment_history
                          ORDER BY order_id, occurred_at DESC, id DESC) h
     FULL JOIN (SELECT id, fulfilment_status, fulfilment_at FROM orders WHERE fulfilment_status IS NOT NULL) o
       ON o.id = h.order_id
    WHERE (o.fulfilment_status, o.fulfilment_at) IS DISTINCT FROM (h.status, h.occurred_at)) AS fulfilment_vs_history,
  (SELECT count(*) FROM commerce_events e LEFT JOIN orders o ON o.id = e.order_id
    WHERE e.status = 'applied' AND e.type::text LIKE 'order.%'
      AND (o.id IS NULL OR o.brand_id <> e.brand_id OR o.external_id <> e.order_external_id))
  + (SELECT count(*) FROM consent_history h JOIN commerce_events e ON e.id = h.event_id
      WHERE e.type <> 'consent.changed' OR e.brand_id <> h.brand_id)
  + (SELECT count(*) FROM order_fulfilment_history h JOIN commerce_events e ON e.id = h.event_id
      WHERE e.order_id IS DISTINCT FROM h.order_id OR e.type::text <> 'order.' || h.status::text) AS event_links`;

/** The carts' check, where the database has `abandoned_carts`. */
export const verifyCartsSql = `SELECT count(*) AS cart_recoveries FROM abandoned_carts c
  LEFT JOIN orders o ON o.id = c.recovered_order_id
 WHERE (c.recovered_order_id IS NULL) <> (c.recovered_at IS NULL) OR o.brand_id <> c.brand_id`;

export async function verifyLedger(databaseUrl: string): Promise<LedgerCheck> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SET work_mem = '256MB'");
    const [row] = await rows<Record<string, string>>(client, verifySql);
    if (!row) throw new Error("verification returned no row");
    const [carts] = (await hasAbandonedCarts(client))
      ? await rows<{ cart_recoveries: string }>(client, verifyCartsSql)
      : [];
    return {
      accounts: Number(row.accounts),
      accountTotals: Number(row.account_totals),
      refundsVsCreditNotes: Number(row.refunds_vs_credit_notes),
      creditNotesVsItems: Number(row.credit_notes_vs_items),
      invoiceItemsCredited: Number(row.invoice_items_credited),
      creditedTotals: Number(row.credited_totals),
      invoiceAmounts: Number(row.invoice_amounts),
      subscriptionOccurrences: Number(row.subscription_occurrences),
      consentsVsHistory: Number(row.consents_vs_history),
      fulfilmentVsHistory: Number(row.fulfilment_vs_history),
      eventLinks: Number(row.event_links),
      cartRecoveries: Number(carts?.cart_recoveries ?? 0),
    };
  } finally {
    await client.end();
  }
}

/** True when no invariant is broken. */
export const ledgerConsistent = (check: LedgerCheck): boolean =>
  Object.entries(check).every(([key, value]) => key === "accounts" || value === 0);

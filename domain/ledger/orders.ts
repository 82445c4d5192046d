import { type SQL, sql } from "drizzle-orm";
import type { Database, Executor, Transaction } from "../../db/client.ts";
import { executePrepared, executeTemplate, statementTemplate } from "../../db/prepared.ts";
import { jsonParam, pgArray, recordsetOf } from "../../db/sql.ts";
import { sqlState, uniqueViolation, violatedConstraint } from "../../db/sql-state.ts";
import { emailHashes, isNormalisedEmail, normaliseEmail } from "../contacts/email.ts";
import {
  type AddressInput,
  type AddressParts,
  address,
  type Hashed,
  personalInfo,
} from "../contacts/identity.ts";
import { Conflict, FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { RetryableConflict, retryOnConflict } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { saleRelayJobs } from "../relay/ledger-relays.ts";
import { renewableStates, type SubscriptionState } from "../subscriptions/states.ts";
import type { InvoiceLine } from "./order-detail.ts";
import { lineTotal, orderAmounts } from "./order-totals.ts";

export type BillingInterval = "day" | "week" | "month" | "year";

export interface OrderSubscriptionInput {
  action: "create" | "renew";
  externalId?: string | undefined;
  interval: BillingInterval;
  intervalCount: number;
}

export interface OrderItemInput {
  sku: string;
  name: string;
  /** Variant or offer code within the product. */
  offer: string;
  quantity: number;
  unitPrice: number;
  discount: number;
  tax: number;
  subscription?: OrderSubscriptionInput | undefined;
}

/** A normalised order with its brand resolved (the API decodes the hash id; a webhook finds it by store). */
export interface OrderInput {
  brandId: number;
  storeId: number | null;
  platform: string;
  externalId: string;
  marketCode: string;
  currency: string;
  placedAt: Date;
  customer: {
    email: string;
    firstName?: string | undefined;
    lastName?: string | undefined;
    phone?: string | undefined;
  };
  billingAddress?: AddressInput | undefined;
  shippingAddress?: AddressInput | undefined;
  items: OrderItemInput[];
  shipping: number;
  coupons: { code: string; discount: number }[];
  campaign?: string | undefined;
  marketing: Record<string, string>;
  captureId?: string | undefined;
  payment?:
    | { amount: number; method: string; externalId?: string | undefined; paidAt?: Date | undefined }
    | undefined;
}

export interface IngestedOrder {
  orderId: number;
  accountId: number;
  /** False when this (brand, platform, external id) was ingested before: nothing was written. */
  created: boolean;
  /** Sale postback jobs made in the transaction, to send to the relay queue after its commit. */
  relayJobIds: number[];
}

/** Everything about the order checked before the database is touched; throws 422 naming each bad field. */
/**
 * A coupon code as the ledger stores it (`coupons.code`) and the commerce coupon events keep it: trimmed
 * and upper-cased, so the same code typed in any case is one coupon.
 */
export const normaliseCouponCode = (code: string): string => code.trim().toUpperCase();

export function prepare(input: OrderInput) {
  const errors = new FieldErrors();
  const email = normaliseEmail(input.customer.email);
  if (!isNormalisedEmail(email)) errors.add("customer.email", email, "Not a usable email address.");

  const lines = input.items.map((item, index) => ({ ...item, lineNo: index + 1, total: lineTotal(item) }));
  for (const [index, line] of lines.entries()) {
    if (!Number.isSafeInteger(line.quantity * line.unitPrice) || !Number.isSafeInteger(line.total))
      errors.add(`items.${index}.unit_price`, "out_of_range", "The line total is too large.");
    else if (line.total < 0)
      errors.add(`items.${index}.discount`, "out_of_range", "A line's discount cannot exceed its price.");
  }
  const amounts = orderAmounts(lines, input.shipping);
  if (!Number.isSafeInteger(amounts.total))
    errors.add("items", "out_of_range", "The order total is too large.");

  // One subscription may be billed once per order; a created one needs a fresh external id.
  const seenSubscriptions = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    const externalId = line.subscription?.externalId;
    if (externalId === undefined) continue;
    if (seenSubscriptions.has(externalId))
      errors.add(
        `items.${index}.subscription.external_id`,
        "not_allowed",
        "The same subscription appears on two lines of this order.",
      );
    seenSubscriptions.set(externalId, index);
  }

  const coupons = new Map<string, number>();
  for (const coupon of input.coupons) {
    const code = normaliseCouponCode(coupon.code);
    coupons.set(code, (coupons.get(code) ?? 0) + coupon.discount);
  }
  errors.throwIfAny();
  if (!isNormalisedEmail(email)) throw new Error("email checked above");

  const billing = input.billingAddress ? address(input.billingAddress) : null;
  const shipping = input.shippingAddress ? address(input.shippingAddress) : null;
  return {
    email: { address: email.address, domain: email.domain, ...emailHashes(email.address) },
    person: personalInfo({
      first_name: input.customer.firstName,
      last_name: input.customer.lastName,
      phone: input.customer.phone,
    }),
    billing,
    shipping,
    lines,
    amounts,
    coupons: [...coupons].map(([code, discount]) => ({ code, discount })),
  };
}

type Prepared = ReturnType<typeof prepare>;

interface Renewable {
  id: number;
  external_id: string;
  account_id: number;
  product_id: number;
  state: SubscriptionState;
  occurrences: number;
  current_period_end: string | null;
}

/** What the first statement found or created. */
interface Resolved {
  prior_order_id: number | null;
  brand_id: number | null;
  market_id: number | null;
  market_currency: string | null;
  account_id: number | null;
  personal_info_id: number | null;
  addresses: { id: number; sha256: string }[] | null;
  products: { id: number; sku: string }[] | null;
  offers: { id: number; sku: string; code: string }[] | null;
  coupons: { id: number; code: string }[] | null;
  campaign_id: number | null;
  renewals: Renewable[] | null;
  taken_subscriptions: string[] | null;
  order_id: number | null;
  invoice_id: number | null;
  item_ids: number[] | null;
  invoice_item_ids: number[] | null;
  subscription_ids: number[] | null;
}

async function one<T>(tx: Executor, statement: SQL): Promise<T> {
  return firstValue<T>(await executePrepared(tx, statement));
}

function firstValue<T>(result: { rows: Record<string, unknown>[] }): T {
  const row = result.rows[0];
  if (!row) throw new Error("statement returned no row");
  return Object.values(row)[0] as T;
}

/**
 * "Find or create" for rows shared between orders (emails, products, …): insert what is missing without
 * locking what exists, then read both. A row another transaction commits while this statement waits is in
 * neither half; the caller sees the gap and runs the transaction again.
 */
function findOrCreate(name: string, insert: SQL, existing: SQL): SQL {
  return sql`${sql.raw(`${name}_new`)} AS (${insert}),
    ${sql.raw(name)} AS (SELECT * FROM ${sql.raw(`${name}_new`)} UNION ALL ${existing})`;
}

/** The values of statement 1, all of them parameters: its text is the same for every order. */
function resolveValues(input: OrderInput, p: Prepared) {
  const addresses = [p.billing, p.shipping].filter((a): a is Hashed<AddressParts> => a !== null);
  const products = [...new Map(p.lines.map((l) => [l.sku, { sku: l.sku, name: l.name }])).values()];
  const offers = [
    ...new Map(
      p.lines.map((l) => [
        `${l.sku}\u0000${l.offer}`,
        {
          sku: l.sku,
          code: l.offer,
          name: l.offer === "default" ? l.name : `${l.name} (${l.offer})`,
          unit_price: l.unitPrice,
          interval: l.subscription?.interval ?? null,
          interval_count: l.subscription ? l.subscription.intervalCount : null,
        },
      ]),
    ).values(),
  ];
  const subscriptionIds = (action: "create" | "renew") =>
    p.lines.flatMap((l) =>
      l.subscription?.action === action && l.subscription.externalId ? [l.subscription.externalId] : [],
    );
  const person = p.person
    ? [
        {
          first_name: p.person.parts.firstName,
          last_name: p.person.parts.lastName,
          phone: p.person.parts.phone,
          sha256: p.person.sha256,
          md5: p.person.md5,
        },
      ]
    : [];
  return {
    brandId: input.brandId,
    platform: input.platform,
    externalId: input.externalId,
    marketCode: input.marketCode,
    emailAddress: p.email.address,
    emailDomain: p.email.domain,
    emailSha256: p.email.sha256,
    emailMd5: p.email.md5,
    person: jsonParam(person),
    personSha256: p.person?.sha256 ?? null,
    addresses: jsonParam(
      addresses.map((a) => ({
        country: a.parts.country,
        region: a.parts.region,
        city: a.parts.city,
        postal_code: a.parts.postalCode,
        line1: a.parts.line1,
        line2: a.parts.line2,
        sha256: a.sha256,
        md5: a.md5,
      })),
    ),
    addressHashes: pgArray(addresses.map((a) => a.sha256)),
    products: jsonParam(products),
    skus: pgArray(products.map((x) => x.sku)),
    offers: jsonParam(offers),
    coupons: jsonParam(p.coupons),
    couponCodes: pgArray(p.coupons.map((c) => c.code)),
    campaign: input.campaign ?? null,
    renewIds: pgArray(subscriptionIds("renew")),
    createIds: pgArray(subscriptionIds("create")),
    lines: p.lines.length,
    invoiceLines: p.lines.length + (input.shipping > 0 ? 1 : 0),
    newSubscriptions: p.lines.filter((l) => l.subscription?.action === "create").length,
  };
}

/**
 * Statement 1 (SPEC §6 steps 1–3 and the catalog of step 4): dedups the email, the person and the
 * addresses globally, resolves brand and market, finds or creates the brand client account (its upsert
 * locks the row, so one customer's orders, payments and refunds take turns), resolves products, offers,
 * coupons, the campaign and the subscriptions to renew, and reserves the ids statement 2 will use. Nothing
 * is written when the order exists already.
 */
const resolveTemplate = statementTemplate<ReturnType<typeof resolveValues>>(
  (v) => sql`WITH
    prior AS (SELECT id FROM orders
      WHERE brand_id = ${v.brandId} AND platform = ${v.platform} AND external_id = ${v.externalId}),
    br AS (SELECT id FROM brands WHERE id = ${v.brandId}),
    mk AS (SELECT id, currency FROM markets WHERE code = ${v.marketCode}),
    go AS (SELECT br.id AS brand_id, mk.id AS market_id, mk.currency FROM br, mk
      WHERE NOT EXISTS (SELECT 1 FROM prior)),
    ${findOrCreate(
      "em",
      sql`INSERT INTO emails (address, domain, sha256, md5)
        SELECT ${v.emailAddress}, ${v.emailDomain}, ${v.emailSha256}, ${v.emailMd5} FROM go
        ON CONFLICT DO NOTHING RETURNING id`,
      sql`SELECT id FROM emails WHERE sha256 = ${v.emailSha256}`,
    )},
    ${findOrCreate(
      "ct",
      sql`INSERT INTO contacts (email_id) SELECT id FROM em
        ON CONFLICT (email_id) DO NOTHING RETURNING id`,
      sql`SELECT c.id FROM contacts c JOIN emails e ON e.id = c.email_id WHERE e.sha256 = ${v.emailSha256}`,
    )},
    ${findOrCreate(
      "pi",
      sql`INSERT INTO personal_info (first_name, last_name, phone, sha256, md5)
        SELECT r.first_name, r.last_name, r.phone, r.sha256, r.md5
          FROM go, ${recordsetOf(v.person, "first_name text, last_name text, phone text, sha256 char(64), md5 char(32)")}
        ON CONFLICT DO NOTHING RETURNING id`,
      sql`SELECT id FROM personal_info WHERE sha256 = ${v.personSha256}`,
    )},
    ${findOrCreate(
      "ad",
      sql`INSERT INTO addresses (country, region, city, postal_code, line1, line2, sha256, md5)
        SELECT DISTINCT ON (r.sha256) r.country, r.region, r.city, r.postal_code, r.line1, r.line2, r.sha256, r.md5
          FROM go, ${recordsetOf(
            v.addresses,
            "country text, region text, city text, postal_code text, line1 text, line2 text, sha256 char(64), md5 char(32)",
          )}
          ORDER BY r.sha256
        ON CONFLICT DO NOTHING RETURNING id, sha256`,
      sql`SELECT id, sha256 FROM addresses WHERE sha256 = ANY(${v.addressHashes}::char(64)[])`,
    )},
    acct AS (INSERT INTO brand_client_accounts AS a (brand_id, market_id, email_id, contact_id, personal_info_id, currency)
      SELECT go.brand_id, go.market_id, (SELECT id FROM em LIMIT 1), (SELECT id FROM ct LIMIT 1),
             (SELECT id FROM pi LIMIT 1), go.currency
        FROM go WHERE EXISTS (SELECT 1 FROM em) AND EXISTS (SELECT 1 FROM ct)
      ON CONFLICT (brand_id, market_id, email_id) DO UPDATE
        SET personal_info_id = COALESCE(EXCLUDED.personal_info_id, a.personal_info_id), updated_at = now()
      RETURNING a.id),
    ${findOrCreate(
      "pr",
      sql`INSERT INTO products (brand_id, name, sku)
        SELECT ${v.brandId}, r.name, r.sku FROM go, ${recordsetOf(v.products, "sku text, name text")} ORDER BY r.sku
        ON CONFLICT (brand_id, sku) DO NOTHING RETURNING id, sku`,
      sql`SELECT id, sku FROM products WHERE brand_id = ${v.brandId} AND sku = ANY(${v.skus}::text[])`,
    )},
    want_of AS (SELECT pr.id AS product_id, r.* FROM ${recordsetOf(
      v.offers,
      "sku text, code text, name text, unit_price bigint, interval text, interval_count int",
    )} JOIN pr ON pr.sku = r.sku),
    ${findOrCreate(
      "of",
      sql`INSERT INTO product_offers (product_id, market_id, code, name, currency, unit_price, interval, interval_count)
        SELECT w.product_id, go.market_id, w.code, w.name, go.currency, w.unit_price,
               w.interval::billing_interval, w.interval_count
          FROM go, want_of w ORDER BY w.product_id, w.code
        ON CONFLICT (product_id, market_id, code) DO NOTHING RETURNING id, product_id, code`,
      sql`SELECT o.id, o.product_id, o.code FROM product_offers o
        JOIN want_of w ON w.product_id = o.product_id AND w.code = o.code
        WHERE o.market_id = (SELECT id FROM mk)`,
    )},
    ${findOrCreate(
      "cp",
      sql`INSERT INTO coupons (brand_id, code)
        SELECT ${v.brandId}, r.code FROM go, ${recordsetOf(v.coupons, "code text")} ORDER BY r.code
        ON CONFLICT (brand_id, code) DO NOTHING RETURNING id, code`,
      sql`SELECT id, code FROM coupons WHERE brand_id = ${v.brandId} AND code = ANY(${v.couponCodes}::text[])`,
    )},
    ${findOrCreate(
      "cg",
      sql`INSERT INTO campaigns (brand_id, code, name)
        SELECT ${v.brandId}, ${v.campaign}::text, ${v.campaign}::text FROM go
          WHERE ${v.campaign}::text IS NOT NULL
        ON CONFLICT (brand_id, code) DO NOTHING RETURNING id`,
      sql`SELECT id FROM campaigns WHERE brand_id = ${v.brandId} AND code = ${v.campaign}::text`,
    )},
    rn AS (SELECT s.id, s.external_id, s.account_id, s.product_id, s.state, s.occurrences, s.current_period_end
      FROM subscriptions s
      WHERE s.brand_id = ${v.brandId} AND s.platform = ${v.platform}
        AND s.external_id = ANY(${v.renewIds}::text[])
        AND EXISTS (SELECT 1 FROM go)
      ORDER BY s.id FOR UPDATE),
    ids AS (SELECT nextval('orders_id_seq') AS order_id, nextval('invoices_id_seq') AS invoice_id,
        ARRAY(SELECT nextval('order_items_id_seq') FROM generate_series(1, ${v.lines}::int)) AS item_ids,
        ARRAY(SELECT nextval('invoice_items_id_seq') FROM generate_series(1, ${v.invoiceLines}::int)) AS invoice_item_ids,
        ARRAY(SELECT nextval('subscriptions_id_seq') FROM generate_series(1, ${v.newSubscriptions}::int)) AS subscription_ids
      FROM go)
    SELECT json_build_object(
      'prior_order_id', (SELECT id FROM prior),
      'brand_id', (SELECT id FROM br),
      'market_id', (SELECT id FROM mk),
      'market_currency', (SELECT currency FROM mk),
      'account_id', (SELECT id FROM acct),
      'personal_info_id', (SELECT id FROM pi LIMIT 1),
      'addresses', (SELECT json_agg(json_build_object('id', id, 'sha256', sha256)) FROM ad),
      'products', (SELECT json_agg(json_build_object('id', id, 'sku', sku)) FROM pr),
      'offers', (SELECT json_agg(json_build_object('id', o.id, 'sku', pr.sku, 'code', o.code))
                 FROM of o JOIN pr ON pr.id = o.product_id),
      'coupons', (SELECT json_agg(json_build_object('id', id, 'code', code)) FROM cp),
      'campaign_id', (SELECT id FROM cg LIMIT 1),
      'renewals', (SELECT json_agg(rn) FROM rn),
      'taken_subscriptions', (SELECT json_agg(external_id) FROM subscriptions
        WHERE brand_id = ${v.brandId} AND platform = ${v.platform}
          AND external_id = ANY(${v.createIds}::text[])),
      'order_id', (SELECT order_id FROM ids),
      'invoice_id', (SELECT invoice_id FROM ids),
      'item_ids', (SELECT item_ids FROM ids),
      'invoice_item_ids', (SELECT invoice_item_ids FROM ids),
      'subscription_ids', (SELECT subscription_ids FROM ids))`,
);

/** Statement 1 with an order's values, as drizzle SQL (to explain it). */
export const resolveStatement = (input: OrderInput, p: Prepared): SQL =>
  resolveTemplate.bind(resolveValues(input, p));

/** Resolved ids the second statement needs; a missing shared row means a concurrent insert: run again. */
function checkResolved(input: OrderInput, p: Prepared, r: Resolved) {
  const errors = new FieldErrors();
  if (r.brand_id === null) errors.add("brand", "not_found", "No such brand.");
  if (r.market_id === null) errors.add("market", "not_found", "No such market.");
  else if (r.market_currency !== input.currency)
    errors.add("currency", "not_allowed", `The market's currency is ${r.market_currency}.`);
  errors.throwIfAny();

  const accountId = r.account_id;
  const orderId = r.order_id;
  const invoiceId = r.invoice_id;
  if (accountId === null || orderId === null || invoiceId === null || r.market_id === null)
    throw new RetryableConflict("the email or contact was being created by another transaction");
  const products = new Map((r.products ?? []).map((x) => [x.sku, x.id]));
  const offers = new Map((r.offers ?? []).map((x) => [`${x.sku}\u0000${x.code}`, x.id]));
  const coupons = new Map((r.coupons ?? []).map((x) => [x.code, x.id]));
  const addresses = new Map((r.addresses ?? []).map((x) => [x.sha256, x.id]));
  const missingShared =
    p.lines.some((l) => !products.has(l.sku) || !offers.has(`${l.sku}\u0000${l.offer}`)) ||
    p.coupons.some((c) => !coupons.has(c.code)) ||
    (input.campaign !== undefined && r.campaign_id === null) ||
    (p.person !== null && r.personal_info_id === null) ||
    [p.billing, p.shipping].some((a) => a !== null && !addresses.has(a.sha256));
  if (missingShared) throw new RetryableConflict("a shared row was being created by another transaction");

  const renewals = new Map((r.renewals ?? []).map((s) => [s.external_id, s]));
  const taken = new Set(r.taken_subscriptions ?? []);
  for (const [index, line] of p.lines.entries()) {
    const subscription = line.subscription;
    if (subscription?.externalId === undefined) continue;
    const field = `items.${index}.subscription.external_id`;
    if (subscription.action === "create") {
      if (taken.has(subscription.externalId))
        throw new Conflict("A subscription with this external id exists already.", [
          { field, category: "conflict", message: "Already taken; renew it instead." },
        ]);
      continue;
    }
    const found = renewals.get(subscription.externalId);
    if (!found) errors.add(field, "not_found", "No such subscription of this brand and platform.");
    else if (found.account_id !== accountId)
      errors.add(field, "not_allowed", "The subscription belongs to another customer account.");
    else if (found.product_id !== products.get(line.sku))
      errors.add(field, "not_allowed", "The subscription is for another product.");
    else if (!renewableStates.includes(found.state))
      errors.add(field, "not_allowed", `The subscription is ${found.state}; it cannot be renewed.`);
  }
  errors.throwIfAny();

  const itemIds = r.item_ids ?? [];
  const invoiceItemIds = r.invoice_item_ids ?? [];
  const subscriptionIds = r.subscription_ids ?? [];
  return {
    accountId,
    orderId,
    invoiceId,
    marketId: r.market_id,
    personalInfoId: r.personal_info_id,
    campaignId: r.campaign_id,
    productId: (sku: string) => products.get(sku) ?? 0,
    offerId: (sku: string, code: string) => offers.get(`${sku}\u0000${code}`) ?? 0,
    couponId: (code: string) => coupons.get(code) ?? 0,
    addressId: (a: Hashed<AddressParts> | null) => (a === null ? null : (addresses.get(a.sha256) ?? null)),
    renewal: (externalId: string) => renewals.get(externalId),
    itemId: (index: number) => itemIds[index] ?? 0,
    invoiceItemId: (index: number) => invoiceItemIds[index] ?? 0,
    subscriptionId: (index: number) => subscriptionIds[index] ?? 0,
  };
}

type Ids = ReturnType<typeof checkResolved>;

/**
 * Statement 2 (SPEC §6 steps 4–6): subscriptions created or renewed, order items, the order with its
 * accumulated totals, the invoice and its items, coupons, the payment taken with the order, and the
 * account's running totals, with the ids statement 1 reserved: a fixed number of statements whatever the
 * number of items.
 */
function writeValues(input: OrderInput, p: Prepared, ids: Ids) {
  const placedAt = input.placedAt.toISOString();
  let created = 0;
  const subscriptionRows: Record<string, unknown>[] = [];
  const items = p.lines.map((line, index) => {
    const productId = ids.productId(line.sku);
    const offerId = ids.offerId(line.sku, line.offer);
    const itemId = ids.itemId(index);
    let subscriptionId: number | null = null;
    const subscription = line.subscription;
    if (subscription?.action === "create") {
      subscriptionId = ids.subscriptionId(created);
      created += 1;
      subscriptionRows.push({
        id: subscriptionId,
        new: true,
        product_id: productId,
        offer_id: offerId,
        external_id: subscription.externalId ?? null,
        from_state: null,
        occurrence: 1,
        previous_end: null,
        step: `${subscription.intervalCount} ${subscription.interval}`,
        order_item_id: itemId,
      });
    } else if (subscription?.action === "renew" && subscription.externalId !== undefined) {
      const renewal = ids.renewal(subscription.externalId);
      if (!renewal) throw new Error("renewal checked in statement 1");
      subscriptionId = renewal.id;
      subscriptionRows.push({
        id: renewal.id,
        new: false,
        product_id: productId,
        offer_id: offerId,
        external_id: renewal.external_id,
        from_state: renewal.state,
        occurrence: renewal.occurrences + 1,
        previous_end: renewal.current_period_end,
        step: `${subscription.intervalCount} ${subscription.interval}`,
        order_item_id: itemId,
      });
    }
    return {
      id: itemId,
      line_no: line.lineNo,
      product_id: productId,
      offer_id: offerId,
      subscription_id: subscriptionId,
      name: line.name,
      quantity: line.quantity,
      unit_price: line.unitPrice,
      discount: line.discount,
      tax: line.tax,
      total: line.total,
    };
  });
  const invoiceItems: Omit<InvoiceLine, "credited_total">[] = items.map((item, index) => ({
    id: ids.invoiceItemId(index),
    kind: "product" as const,
    order_item_id: item.id,
    product_id: item.product_id,
    description: item.name,
    amount: item.total,
  }));
  if (input.shipping > 0)
    invoiceItems.push({
      id: ids.invoiceItemId(items.length),
      kind: "shipping",
      order_item_id: null,
      product_id: null,
      description: "Shipping",
      amount: input.shipping,
    });
  const payment = input.payment
    ? [
        {
          method: input.payment.method,
          external_id: input.payment.externalId ?? null,
          amount: input.payment.amount,
          received_at: (input.payment.paidAt ?? input.placedAt).toISOString(),
        },
      ]
    : [];
  const a = p.amounts;
  return {
    placedAt,
    brandId: input.brandId,
    accountId: ids.accountId,
    orderId: ids.orderId,
    invoiceId: ids.invoiceId,
    marketId: ids.marketId,
    personalInfoId: ids.personalInfoId,
    billingAddressId: ids.addressId(p.billing),
    shippingAddressId: ids.addressId(p.shipping),
    campaignId: ids.campaignId,
    storeId: input.storeId,
    platform: input.platform,
    externalId: input.externalId,
    currency: input.currency,
    subtotal: a.subtotal,
    discountTotal: a.discountTotal,
    taxTotal: a.taxTotal,
    shippingTotal: a.shippingTotal,
    total: a.total,
    marketing: jsonParam(input.marketing),
    captureId: input.captureId ?? null,
    subscriptions: jsonParam(subscriptionRows),
    items: jsonParam(items),
    invoiceItems: jsonParam(invoiceItems),
    coupons: jsonParam(p.coupons.map((c) => ({ coupon_id: ids.couponId(c.code), discount: c.discount }))),
    payment: jsonParam(payment),
  };
}

const writeTemplate = statementTemplate<ReturnType<typeof writeValues>>(
  (v) => sql`WITH
    sub_period AS (SELECT r.*, COALESCE(r.previous_end, ${v.placedAt}::timestamptz) AS period_start,
        COALESCE(r.previous_end, ${v.placedAt}::timestamptz) + r.step::interval AS period_end
      FROM ${recordsetOf(
        v.subscriptions,
        "id bigint, new boolean, product_id bigint, offer_id bigint, external_id text, from_state text, occurrence int, previous_end timestamptz, step text, order_item_id bigint",
      )}),
    sub_new AS (INSERT INTO subscriptions (id, brand_id, account_id, product_id, offer_id, platform, external_id,
        state, occurrences, current_period_start, current_period_end, started_at)
      OVERRIDING SYSTEM VALUE
      SELECT s.id, ${v.brandId}, ${v.accountId}, s.product_id, s.offer_id, ${v.platform}, s.external_id,
             'active', 1, s.period_start, s.period_end, ${v.placedAt}::timestamptz
        FROM sub_period s WHERE s.new),
    sub_renew AS (UPDATE subscriptions t SET state = 'active', occurrences = s.occurrence,
        current_period_start = s.period_start, current_period_end = s.period_end, updated_at = now()
      FROM sub_period s WHERE NOT s.new AND t.id = s.id),
    ord AS (INSERT INTO orders (id, brand_id, market_id, account_id, store_id, platform, external_id, currency,
        subtotal, discount_total, tax_total, shipping_total, total, personal_info_id, billing_address_id,
        shipping_address_id, campaign_id, marketing, capture_id, placed_at)
      OVERRIDING SYSTEM VALUE
      VALUES (${v.orderId}, ${v.brandId}, ${v.marketId}, ${v.accountId}, ${v.storeId}, ${v.platform},
        ${v.externalId}, ${v.currency}, ${v.subtotal}, ${v.discountTotal}, ${v.taxTotal},
        ${v.shippingTotal}, ${v.total}, ${v.personalInfoId}, ${v.billingAddressId},
        ${v.shippingAddressId}, ${v.campaignId}, ${v.marketing}::jsonb,
        ${v.captureId}::uuid, ${v.placedAt}::timestamptz)),
    it AS (INSERT INTO order_items (id, order_id, line_no, product_id, offer_id, subscription_id, name, quantity,
        unit_price, discount, tax, total)
      OVERRIDING SYSTEM VALUE
      SELECT r.id, ${v.orderId}, r.line_no, r.product_id, r.offer_id, r.subscription_id, r.name, r.quantity,
             r.unit_price, r.discount, r.tax, r.total
        FROM ${recordsetOf(
          v.items,
          "id bigint, line_no int, product_id bigint, offer_id bigint, subscription_id bigint, name text, quantity int, unit_price bigint, discount bigint, tax bigint, total bigint",
        )}),
    -- The next number of the account's invoice series: statement 1 locked the account row.
    inv AS (INSERT INTO invoices (id, brand_id, account_id, order_id, currency, amount, number, issued_at)
      OVERRIDING SYSTEM VALUE
      SELECT ${v.invoiceId}, ${v.brandId}, ${v.accountId}, ${v.orderId}, ${v.currency}, ${v.total},
        acct.invoice_count + 1, ${v.placedAt}::timestamptz
        FROM brand_client_accounts acct WHERE acct.id = ${v.accountId}),
    ii AS (INSERT INTO invoice_items (id, invoice_id, kind, order_item_id, product_id, description, amount)
      OVERRIDING SYSTEM VALUE
      SELECT r.id, ${v.invoiceId}, r.kind::invoice_item_kind, r.order_item_id, r.product_id, r.description, r.amount
        FROM ${recordsetOf(
          v.invoiceItems,
          "id bigint, kind text, order_item_id bigint, product_id bigint, description text, amount bigint",
        )}),
    oc AS (INSERT INTO order_coupons (order_id, coupon_id, discount)
      SELECT ${v.orderId}, r.coupon_id, r.discount
        FROM ${recordsetOf(v.coupons, "coupon_id bigint, discount bigint")}),
    sh AS (INSERT INTO subscription_history (subscription_id, from_state, to_state, occurrences, source,
        order_item_id, changed_at)
      SELECT s.id, s.from_state::subscription_state, 'active', s.occurrence, 'order', s.order_item_id,
             ${v.placedAt}::timestamptz
        FROM sub_period s),
    so AS (INSERT INTO subscription_occurrences (subscription_id, number, order_item_id, period_start, period_end)
      SELECT s.id, s.occurrence, s.order_item_id, s.period_start, s.period_end FROM sub_period s),
    pay AS (INSERT INTO payments (brand_id, account_id, order_id, platform, external_id, method, currency,
        amount, received_at)
      SELECT ${v.brandId}, ${v.accountId}, ${v.orderId}, ${v.platform}, r.external_id, r.method,
             ${v.currency}, r.amount, r.received_at
        FROM ${recordsetOf(v.payment, "method text, external_id text, amount bigint, received_at timestamptz")}
      ON CONFLICT (brand_id, platform, external_id) WHERE external_id IS NOT NULL DO NOTHING
      RETURNING amount),
    pay_sum AS (SELECT COALESCE(SUM(amount), 0)::bigint AS amount FROM pay)
    UPDATE brand_client_accounts t SET
      invoiced = t.invoiced + ${v.total},
      paid = t.paid + pay_sum.amount,
      balance = t.balance + pay_sum.amount,
      outstanding = t.outstanding + ${v.total} - pay_sum.amount,
      order_count = t.order_count + 1,
      invoice_count = t.invoice_count + 1,
      first_order_at = LEAST(t.first_order_at, ${v.placedAt}::timestamptz),
      last_order_at = GREATEST(t.last_order_at, ${v.placedAt}::timestamptz),
      updated_at = now()
    FROM pay_sum WHERE t.id = ${v.accountId}`,
);

/** Seam for tests: called between the statements of the ingestion transaction. */
export interface IngestHooks {
  afterResolve?: () => void | Promise<void>;
}

/**
 * Ingests one normalised order in one transaction (SPEC §6), in four round trips whatever its size:
 * BEGIN, resolve (statement 1), write (statement 2), COMMIT. Idempotent on (brand, platform, external id):
 * a re-send finds the first order and writes nothing. Runs again when it loses a race on a shared row.
 */
export async function ingestOrder({
  ctx,
  input,
  hooks,
}: {
  ctx: VerbContext & { db: Database };
  input: OrderInput;
  hooks?: IngestHooks;
}): Promise<IngestedOrder> {
  assertBrand(ctx.principal, input.brandId);
  const prepared = prepare(input);
  return retryOnConflict(async () => {
    try {
      return await ctx.db.transaction(async (tx: Transaction) => {
        const resolved = firstValue<Resolved>(
          await executeTemplate(tx, resolveTemplate, resolveValues(input, prepared)),
        );
        if (resolved.prior_order_id !== null) {
          const accountId = await priorAccount(tx, resolved.prior_order_id);
          return { orderId: resolved.prior_order_id, accountId, created: false, relayJobIds: [] };
        }
        const ids = checkResolved(input, prepared, resolved);
        await hooks?.afterResolve?.();
        await executeTemplate(tx, writeTemplate, writeValues(input, prepared, ids));
        const relayJobIds =
          input.captureId === undefined
            ? []
            : await saleRelayJobs(tx, { orderId: ids.orderId, captureId: input.captureId });
        return { orderId: ids.orderId, accountId: ids.accountId, created: true, relayJobIds };
      });
    } catch (error) {
      // The same order sent twice at once: the loser waited for the winner's account lock, then hit the key.
      if (sqlState(error) === uniqueViolation) {
        const constraint = violatedConstraint(error);
        if (constraint === "orders_brand_platform_external_key") return existingOrder(ctx.db, input);
        // Two different orders creating the same subscription at once: the second one is refused.
        if (constraint === "subscriptions_brand_platform_external_key")
          throw new Conflict("A subscription with this external id exists already.", [
            {
              field: "items",
              category: "conflict",
              message: "A subscription it creates was just created by another order.",
            },
          ]);
      }
      throw error;
    }
  });
}

async function priorAccount(tx: Executor, orderId: number): Promise<number> {
  // int8 arrives as a string from the driver.
  return Number(await one<string>(tx, sql`SELECT account_id FROM orders WHERE id = ${orderId}`));
}

async function existingOrder(db: Database, input: OrderInput): Promise<IngestedOrder> {
  const result = await db.execute<{ id: number; account_id: number }>(
    sql`SELECT id, account_id FROM orders
      WHERE brand_id = ${input.brandId} AND platform = ${input.platform} AND external_id = ${input.externalId}`,
  );
  const row = result.rows[0];
  if (!row) throw new NotFound("order");
  return { orderId: Number(row.id), accountId: Number(row.account_id), created: false, relayJobIds: [] };
}

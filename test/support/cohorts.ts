import { createHash } from "node:crypto";
import fc from "fast-check";
import { accountAcquisition, acquisitionRules, influencers } from "../../db/schema/acquisition.ts";
import { brands, products } from "../../db/schema/catalog.ts";
import { consents } from "../../db/schema/commerce.ts";
import { contacts, emails } from "../../db/schema/identity.ts";
import { accountRfm, rfmSegments } from "../../db/schema/rfm.ts";
import {
  brandClientAccounts,
  coupons,
  markets,
  orderCoupons,
  orderItems,
  orders,
  productOffers,
} from "../../db/schema/sales.ts";
import { subscriptions } from "../../db/schema/subscriptions.ts";
import type { ReferenceRows } from "../../domain/cohorts/reference.ts";
import { consentChannels } from "../../domain/commerce/event-types.ts";
import { subscriptionStates } from "../../domain/subscriptions/states.ts";
import { rand, withDb } from "./api.ts";

/**
 * Random cohort data: a few brands, markets, influencers, products and coupons, and accounts with
 * random totals, dates, acquisition, RFM scores, orders (some cancelled) with items and coupons,
 * subscriptions and consents, written straight into Postgres (multi-row inserts). Dates fall on whole
 * days around {@link cohortNow}, so boundaries of the definitions' dates are hit exactly.
 */

export const cohortNow = new Date("2026-06-01T00:00:00.000Z");
const dayMs = 86_400_000;
export const dayBefore = (days: number): Date => new Date(cohortNow.getTime() - days * dayMs);

export const brandCount = 2;
export const marketSpecs = [
  { currency: "KRW", country: "KR" },
  { currency: "KRW", country: "JP" },
  { currency: "USD", country: "US" },
] as const;
export const couponCodesOf = ["SAVE10", "WELCOME", "VIP"] as const;
const contactCount = 30;
const productsPerBrand = 3;
const influencersPerBrand = 2;

const order = fc.record({
  cancelled: fc.boolean(),
  items: fc.uniqueArray(fc.nat(productsPerBrand - 1), { maxLength: 2 }),
  coupons: fc.uniqueArray(fc.nat(couponCodesOf.length - 1), { maxLength: 2 }),
});

const accountArb = fc.record({
  contact: fc.nat(contactCount - 1),
  brand: fc.nat(brandCount - 1),
  market: fc.nat(marketSpecs.length - 1),
  invoiced: fc.constantFrom(0, 1000, 2000, 3000, 6000, 12000),
  credited: fc.constantFrom(0, 0, 0, 1000),
  orderCount: fc.nat(4),
  /** Days before now of the first order, and how many days later the last one was. */
  dates: fc.option(fc.record({ first: fc.nat(400), gap: fc.nat(200) }), { freq: 4 }),
  acquisition: fc.oneof(
    fc.constant(null),
    fc.constant({ source: "organic" as const, influencer: null }),
    fc.record({ source: fc.constant("influencer" as const), influencer: fc.nat(influencersPerBrand - 1) }),
  ),
  rfm: fc.option(
    fc.record({
      r: fc.integer({ min: 1, max: 5 }),
      f: fc.integer({ min: 1, max: 5 }),
      m: fc.integer({ min: 1, max: 5 }),
      segment: fc.constantFrom(...rfmSegments),
    }),
    { freq: 3 },
  ),
  orders: fc.array(order, { maxLength: 3 }),
  subscriptions: fc.array(fc.constantFrom(...subscriptionStates), { maxLength: 2 }),
});

export const cohortDataArb = fc.record({
  accounts: fc.array(accountArb, { minLength: 40, maxLength: 60 }),
  consents: fc.array(
    fc.record({
      contact: fc.nat(contactCount - 1),
      brand: fc.nat(brandCount - 1),
      channel: fc.constantFrom(...consentChannels),
      status: fc.constantFrom("granted" as const, "withdrawn" as const),
    }),
    { minLength: 40, maxLength: 60 },
  ),
});
export type CohortData = typeof cohortDataArb extends fc.Arbitrary<infer T> ? T : never;

/** What was written: the internal ids to build definitions from, and the rows for the reference. */
export interface SeededCohortData {
  brandIds: number[];
  marketIds: number[];
  /** Per brand. */
  influencerIds: number[][];
  productIds: number[][];
  accountIds: number[];
  rows: ReferenceRows;
}

const hex = (algorithm: string, text: string) => createHash(algorithm).update(text).digest("hex");

const ids = (rows: { id: number }[]): number[] => rows.map((row) => row.id);

export async function seedCohortData(data: CohortData): Promise<SeededCohortData> {
  const suffix = rand();
  return withDb(async (db) => {
    const brandIds = ids(
      await db
        .insert(brands)
        .values(
          Array.from({ length: brandCount }, (_, i) => ({
            name: `Cohort ${i} ${suffix}`,
            slug: `co-${i}-${suffix}`,
          })),
        )
        .returning({ id: brands.id }),
    );
    const marketRows = await db
      .insert(markets)
      .values(
        marketSpecs.map((spec, i) => ({
          code: `c${i}-${suffix.slice(0, 10)}`,
          name: `Market ${i}`,
          country: spec.country,
          currency: spec.currency,
          timeZone: "UTC",
        })),
      )
      .returning({ id: markets.id, country: markets.country });
    const marketIds = ids(marketRows);
    const brandOf = (index: number): number => brandIds[index] as number;
    const influencerIds = await Promise.all(
      brandIds.map(async (brandId) =>
        ids(
          await db
            .insert(influencers)
            .values(Array.from({ length: influencersPerBrand }, (_, i) => ({ brandId, name: `Inf ${i}` })))
            .returning({ id: influencers.id }),
        ),
      ),
    );
    const ruleIds = ids(
      await db
        .insert(acquisitionRules)
        .values(brandIds.map((brandId) => ({ brandId, type: "influencer_coupon" as const, priority: 1 })))
        .returning({ id: acquisitionRules.id }),
    );
    const productIds = await Promise.all(
      brandIds.map(async (brandId) =>
        ids(
          await db
            .insert(products)
            .values(
              Array.from({ length: productsPerBrand }, (_, i) => ({ brandId, name: `P${i}`, sku: `P${i}` })),
            )
            .returning({ id: products.id }),
        ),
      ),
    );
    const offerOf = new Map<number, number>();
    const offers = await db
      .insert(productOffers)
      .values(
        productIds.flat().map((productId) => ({
          productId,
          marketId: marketIds[0] as number,
          code: "default",
          name: "Default",
          currency: "KRW",
          unitPrice: 0,
        })),
      )
      .returning({ id: productOffers.id, productId: productOffers.productId });
    for (const offer of offers) offerOf.set(offer.productId, offer.id);
    const couponRows = await db
      .insert(coupons)
      .values(brandIds.flatMap((brandId) => couponCodesOf.map((code) => ({ brandId, code }))))
      .returning({ id: coupons.id, brandId: coupons.brandId, code: coupons.code });
    const couponOf = (brandId: number, index: number): number => {
      const row = couponRows.find((c) => c.brandId === brandId && c.code === couponCodesOf[index]);
      if (!row) throw new Error("no coupon");
      return row.id;
    };
    const emailRows = await db
      .insert(emails)
      .values(
        Array.from({ length: contactCount }, (_, i) => {
          const address = `cohort.${i}.${suffix}@example.com`;
          return { address, domain: "example.com", sha256: hex("sha256", address), md5: hex("md5", address) };
        }),
      )
      .returning({ id: emails.id });
    const contactRows = await db
      .insert(contacts)
      .values(emailRows.map((email) => ({ emailId: email.id })))
      .returning({ id: contacts.id, emailId: contacts.emailId });

    // One account per (brand, market, contact): later duplicates are dropped.
    const seen = new Set<string>();
    const accounts = data.accounts.filter((account) => {
      const key = `${account.brand}:${account.market}:${account.contact}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const accountRows = await db
      .insert(brandClientAccounts)
      .values(
        accounts.map((account) => {
          const contact = contactRows[account.contact] as { id: number; emailId: number };
          const credited = Math.min(account.credited, account.invoiced);
          const first = account.dates === null ? null : dayBefore(account.dates.first);
          const last =
            account.dates === null ? null : dayBefore(Math.max(0, account.dates.first - account.dates.gap));
          return {
            brandId: brandOf(account.brand),
            marketId: marketIds[account.market] as number,
            emailId: contact.emailId,
            contactId: contact.id,
            currency: marketSpecs[account.market]?.currency ?? "KRW",
            invoiced: account.invoiced,
            credited,
            outstanding: account.invoiced - credited,
            orderCount: account.orderCount,
            firstOrderAt: first,
            lastOrderAt: last,
          };
        }),
      )
      .returning();
    const accountIds = ids(accountRows);

    const acquisitionValues = accounts.flatMap((account, i) => {
      if (account.acquisition === null) return [];
      const brandId = brandOf(account.brand);
      const influencerId =
        account.acquisition.influencer === null
          ? null
          : (influencerIds[account.brand]?.[account.acquisition.influencer] ?? null);
      return [
        {
          accountId: accountIds[i] as number,
          brandId,
          source: account.acquisition.source,
          influencerId,
          ruleId: influencerId === null ? null : (ruleIds[account.brand] ?? null),
          classifiedAt: cohortNow,
        },
      ];
    });
    if (acquisitionValues.length > 0) await db.insert(accountAcquisition).values(acquisitionValues);
    const rfmValues = accounts.flatMap((account, i) =>
      account.rfm === null
        ? []
        : [
            {
              accountId: accountIds[i] as number,
              brandId: brandOf(account.brand),
              currency: marketSpecs[account.market]?.currency ?? "KRW",
              asOf: "2026-05-31",
              recencyDays: 0,
              frequency: account.orderCount,
              monetary: 0,
              ...account.rfm,
              computedAt: cohortNow,
            },
          ],
    );
    if (rfmValues.length > 0) await db.insert(accountRfm).values(rfmValues);

    const orderSpecs = accounts.flatMap((account, i) =>
      account.orders.map((spec, n) => ({ account, accountId: accountIds[i] as number, spec, n })),
    );
    const orderRows =
      orderSpecs.length === 0
        ? []
        : await db
            .insert(orders)
            .values(
              orderSpecs.map(({ account, accountId, spec, n }) => ({
                brandId: brandOf(account.brand),
                marketId: marketIds[account.market] as number,
                accountId,
                platform: "test",
                externalId: `o-${accountId}-${n}`,
                currency: marketSpecs[account.market]?.currency ?? "KRW",
                subtotal: 0,
                discountTotal: 0,
                taxTotal: 0,
                shippingTotal: 0,
                total: 0,
                placedAt: dayBefore(10 + n),
                cancelledAt: spec.cancelled ? dayBefore(1) : null,
              })),
            )
            .returning({ id: orders.id, accountId: orders.accountId, cancelledAt: orders.cancelledAt });
    const itemValues = orderSpecs.flatMap(({ account, spec }, i) =>
      spec.items.map((product, line) => {
        const productId = productIds[account.brand]?.[product] as number;
        return {
          orderId: (orderRows[i] as { id: number }).id,
          lineNo: line + 1,
          productId,
          offerId: offerOf.get(productId) as number,
          name: "Item",
          quantity: 1,
          unitPrice: 0,
          discount: 0,
          tax: 0,
          total: 0,
        };
      }),
    );
    if (itemValues.length > 0) await db.insert(orderItems).values(itemValues);
    const orderCouponValues = orderSpecs.flatMap(({ account, spec }, i) =>
      spec.coupons.map((coupon) => ({
        orderId: (orderRows[i] as { id: number }).id,
        couponId: couponOf(brandOf(account.brand), coupon),
        discount: 0,
      })),
    );
    if (orderCouponValues.length > 0) await db.insert(orderCoupons).values(orderCouponValues);
    const subscriptionValues = accounts.flatMap((account, i) =>
      account.subscriptions.map((state, n) => {
        const productId = productIds[account.brand]?.[n % productsPerBrand] as number;
        return {
          brandId: brandOf(account.brand),
          accountId: accountIds[i] as number,
          productId,
          offerId: offerOf.get(productId) as number,
          platform: "test",
          state,
        };
      }),
    );
    const subscriptionRows =
      subscriptionValues.length === 0
        ? []
        : await db
            .insert(subscriptions)
            .values(subscriptionValues)
            .returning({ accountId: subscriptions.accountId, state: subscriptions.state });
    const consentSeen = new Set<string>();
    const consentValues = data.consents.flatMap((consent) => {
      const key = `${consent.brand}:${consent.contact}:${consent.channel}`;
      if (consentSeen.has(key)) return [];
      consentSeen.add(key);
      return [
        {
          brandId: brandOf(consent.brand),
          contactId: (contactRows[consent.contact] as { id: number }).id,
          channel: consent.channel,
          status: consent.status,
          at: cohortNow,
          source: "test",
        },
      ];
    });
    if (consentValues.length > 0) await db.insert(consents).values(consentValues);

    return {
      brandIds,
      marketIds,
      influencerIds,
      productIds,
      accountIds,
      rows: {
        accounts: accountRows.map((row) => ({
          id: row.id,
          brandId: row.brandId,
          marketId: row.marketId,
          contactId: row.contactId,
          currency: row.currency,
          invoiced: row.invoiced,
          credited: row.credited,
          orderCount: row.orderCount,
          firstOrderAt: row.firstOrderAt,
          lastOrderAt: row.lastOrderAt,
        })),
        markets: marketRows,
        acquisition: acquisitionValues.map(({ accountId, source, influencerId }) => ({
          accountId,
          source,
          influencerId,
        })),
        rfm: rfmValues.map(({ accountId, r, f, m, segment }) => ({ accountId, r, f, m, segment })),
        orders: orderRows,
        orderItems: itemValues.map(({ orderId, productId }) => ({ orderId, productId })),
        orderCoupons: orderCouponValues.map(({ orderId, couponId }) => ({ orderId, couponId })),
        coupons: couponRows.map(({ id, code }) => ({ id, code })),
        subscriptions: subscriptionRows,
        consents: consentValues.map(({ brandId, contactId, channel, status }) => ({
          brandId,
          contactId,
          channel,
          status,
        })),
      },
    };
  });
}

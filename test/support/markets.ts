import { createHash } from "node:crypto";
import { contacts, emails } from "../../db/schema/identity.ts";
import { brandClientAccounts, markets, orderItems, orders, productOffers } from "../../db/schema/sales.ts";
import {
  subscriptionHistory,
  subscriptionOccurrences,
  subscriptions,
} from "../../db/schema/subscriptions.ts";
import type { SubscriptionState } from "../../domain/subscriptions/states.ts";
import { type CallOptions, ids, ok, rand, type Tenant, withDb } from "./api.ts";

export interface MarketJson {
  id: string;
  code: string;
  name: string;
  country: string;
  currency: string;
  time_zone: string;
  created_at: string;
}

export interface StoreJson {
  id: string;
  brand: string;
  market: string;
  platform: string;
  external_ref: string;
  name: string;
  created_at: string;
}

const withKey = (key: string | undefined, body: unknown): CallOptions =>
  key === undefined ? { body } : { key, body };

/** A market with a random code (codes are global), KRW in Asia/Seoul unless told otherwise. */
export async function createMarket(
  options: { key?: string; country?: string; currency?: string; timeZone?: string } = {},
): Promise<MarketJson> {
  const code = `m-${rand()}`;
  return ok(
    "POST",
    "/api/v1/markets",
    withKey(options.key, {
      code,
      name: `Market ${code}`,
      country: options.country ?? "KR",
      currency: options.currency ?? "KRW",
      time_zone: options.timeZone ?? "Asia/Seoul",
    }),
  );
}

/** A Shopify store of `brand` in `market`, with a random shop domain. */
export async function createStore(
  brand: string,
  market: string,
  options: { key?: string; platform?: string; externalRef?: string } = {},
): Promise<StoreJson> {
  const shop = `shop-${rand()}`;
  return ok(
    "POST",
    "/api/v1/stores",
    withKey(options.key, {
      brand,
      market,
      platform: options.platform ?? "shopify",
      external_ref: options.externalRef ?? `${shop}.myshopify.com`,
      name: `Store ${shop}`,
    }),
  );
}

export interface AccountFixture {
  /** Internal ids. */
  id: number;
  brandId: number;
  marketId: number;
  productId: number;
  offerId: number;
  /** Hash ids, as the API shows them. */
  hash: { account: string; product: string; offer: string };
}

const hex = (algorithm: "sha256" | "md5", value: string): string =>
  createHash(algorithm).update(value).digest("hex");

/**
 * A customer account of `tenant`'s brand in a new KRW market, and a monthly plan of its product,
 * inserted directly: the rows order ingestion would have made before billing a subscription.
 */
export async function insertAccount(tenant: Tenant): Promise<AccountFixture> {
  const address = `sub.${rand()}@example.com`;
  const sha256 = hex("sha256", address);
  const md5 = hex("md5", address);
  return withDb(async (db) => {
    const [market] = await db
      .insert(markets)
      .values({
        code: `m-${rand()}`,
        name: "Subscriptions",
        country: "KR",
        currency: "KRW",
        timeZone: "Asia/Seoul",
      })
      .returning({ id: markets.id });
    const [email] = await db
      .insert(emails)
      .values({ address, domain: "example.com", sha256, md5 })
      .returning({ id: emails.id });
    if (!market || !email) throw new Error("no market or email row");
    const [contact] = await db.insert(contacts).values({ emailId: email.id }).returning({ id: contacts.id });
    if (!contact) throw new Error("no contact row");
    const [account] = await db
      .insert(brandClientAccounts)
      .values({
        brandId: tenant.internal.brand,
        marketId: market.id,
        emailId: email.id,
        contactId: contact.id,
        currency: "KRW",
      })
      .returning({ id: brandClientAccounts.id });
    const [offer] = await db
      .insert(productOffers)
      .values({
        productId: tenant.internal.product,
        marketId: market.id,
        code: "monthly",
        name: "Monthly",
        currency: "KRW",
        unitPrice: 29_000,
        interval: "month",
        intervalCount: 1,
      })
      .returning({ id: productOffers.id });
    if (!account || !offer) throw new Error("no account or offer row");
    return {
      id: account.id,
      brandId: tenant.internal.brand,
      marketId: market.id,
      productId: tenant.internal.product,
      offerId: offer.id,
      hash: {
        account: ids.encode("account", account.id),
        product: tenant.product.id,
        offer: ids.encode("offer", offer.id),
      },
    };
  });
}

export interface SubscriptionFixture {
  id: number;
  hashId: string;
}

/**
 * A subscription of `account` in `state`, with the history row that created it (source `order`),
 * inserted directly. `startedAt` is set for states past activation, as an order would have.
 */
export async function insertSubscription(
  account: AccountFixture,
  state: SubscriptionState,
  options: { externalId?: string | null; occurrences?: number; startedAt?: Date | null } = {},
): Promise<SubscriptionFixture> {
  const started = ["active", "suspended", "cancelled", "expired"].includes(state);
  return withDb(async (db) => {
    const [row] = await db
      .insert(subscriptions)
      .values({
        brandId: account.brandId,
        accountId: account.id,
        productId: account.productId,
        offerId: account.offerId,
        platform: "shopify",
        externalId: options.externalId === undefined ? `contract-${rand()}` : options.externalId,
        state,
        occurrences: options.occurrences ?? (started ? 1 : 0),
        startedAt:
          options.startedAt === undefined
            ? started
              ? new Date("2026-01-05T00:00:00Z")
              : null
            : options.startedAt,
      })
      .returning({ id: subscriptions.id });
    if (!row) throw new Error("no subscription row");
    await db.insert(subscriptionHistory).values({
      subscriptionId: row.id,
      fromState: null,
      toState: state,
      occurrences: options.occurrences ?? (started ? 1 : 0),
      source: "order",
      changedAt: new Date("2026-01-05T00:00:00Z"),
    });
    return { id: row.id, hashId: ids.encode("subscription", row.id) };
  });
}

/** A billed period of a subscription: an order with one item and the occurrence row linking them. */
export async function insertBilledPeriod(
  account: AccountFixture,
  subscription: SubscriptionFixture,
  period: { number: number; start: string; end: string },
): Promise<{ order: string; orderItem: string }> {
  return withDb(async (db) => {
    const [order] = await db
      .insert(orders)
      .values({
        brandId: account.brandId,
        marketId: account.marketId,
        accountId: account.id,
        platform: "shopify",
        externalId: `ord-${rand()}`,
        currency: "KRW",
        subtotal: 29_000,
        discountTotal: 0,
        taxTotal: 0,
        shippingTotal: 0,
        total: 29_000,
        placedAt: new Date(period.start),
      })
      .returning({ id: orders.id });
    if (!order) throw new Error("no order row");
    const [item] = await db
      .insert(orderItems)
      .values({
        orderId: order.id,
        lineNo: 1,
        productId: account.productId,
        offerId: account.offerId,
        subscriptionId: subscription.id,
        name: "Monthly plan",
        quantity: 1,
        unitPrice: 29_000,
        discount: 0,
        tax: 0,
        total: 29_000,
      })
      .returning({ id: orderItems.id });
    if (!item) throw new Error("no order item row");
    await db.insert(subscriptionOccurrences).values({
      subscriptionId: subscription.id,
      number: period.number,
      orderItemId: item.id,
      periodStart: new Date(period.start),
      periodEnd: new Date(period.end),
    });
    return { order: ids.encode("order", order.id), orderItem: ids.encode("orderItem", item.id) };
  });
}

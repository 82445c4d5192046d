import { and, eq, inArray } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { products } from "../../db/schema/catalog.ts";
import { markets, orders, stores } from "../../db/schema/sales.ts";
import type { Principal } from "../core/scope.ts";

/**
 * Lookups for orders and refunds that arrive from a store platform (Shopify webhooks, Cafe24 payloads):
 * they name a shop, not a brand, and a refund names an order, not an account.
 */

/** Where a platform shop's orders belong. */
export interface StoreTarget {
  storeId: number;
  brandId: number;
  marketCode: string;
  /** The market's ISO country: addresses of a domestic mall name none. */
  country: string;
  currency: string;
}

/** The store registered for this platform shop id, with its market, in one query; `null` when none is. */
export async function findStoreTarget(
  db: Executor,
  platform: string,
  externalRef: string,
): Promise<StoreTarget | null> {
  const [row] = await db
    .select({
      storeId: stores.id,
      brandId: stores.brandId,
      marketCode: markets.code,
      country: markets.country,
      currency: markets.currency,
    })
    .from(stores)
    .innerJoin(markets, eq(markets.id, stores.marketId))
    .where(and(eq(stores.platform, platform), eq(stores.externalRef, externalRef)));
  return row ?? null;
}

/**
 * A signed webhook acts for the store's brand, which only the store row names: it runs with every brand
 * in scope and no admin rights. Its HMAC is its authentication; the store lookup, its authorisation.
 */
export const storeWebhookPrincipal: Principal = { apiKeyId: 0, brandIds: null, isAdmin: false };

/** What a platform refund needs from the stored order: its account, and the brand's products by SKU. */
export interface RefundTargets {
  orderId: number;
  accountId: number;
  currency: string;
  /** The order's tax total: 0 for an order whose prices included their tax (see the Shopify adapter). */
  taxTotal: number;
  productIds: ReadonlyMap<string, number>;
}

/** `null` when the brand has no such order from this platform (yet). */
export async function findRefundTargets(
  db: Executor,
  input: { brandId: number; platform: string; orderExternalId: string; skus: readonly string[] },
): Promise<RefundTargets | null> {
  const [order] = await db
    .select({
      orderId: orders.id,
      accountId: orders.accountId,
      currency: orders.currency,
      taxTotal: orders.taxTotal,
    })
    .from(orders)
    .where(
      and(
        eq(orders.brandId, input.brandId),
        eq(orders.platform, input.platform),
        eq(orders.externalId, input.orderExternalId),
      ),
    );
  if (!order) return null;
  const rows =
    input.skus.length === 0
      ? []
      : await db
          .select({ id: products.id, sku: products.sku })
          .from(products)
          .where(and(eq(products.brandId, input.brandId), inArray(products.sku, [...new Set(input.skus)])));
  return { ...order, productIds: new Map(rows.map((row) => [row.sku, row.id])) };
}

import type { NormalisedOrder } from "../../api/schemas/order.ts";
import { markets } from "../../db/schema/sales.ts";
import { call, ids, insertApiKey, ok, rand, withDb } from "./api.ts";

export interface SalesTenant {
  brand: { id: string; internal: number };
  market: { code: string; currency: string; internal: number };
  /** An API key limited to this brand. */
  key: string;
}

/** A market inserted directly (its code is random: markets are global). */
export async function insertMarket(
  currency = "KRW",
  timeZone = "Asia/Seoul",
): Promise<SalesTenant["market"]> {
  const code = `m-${rand().slice(0, 10)}`;
  const [row] = await withDb((db) =>
    db
      .insert(markets)
      .values({ code, name: `Market ${code}`, country: "KR", currency, timeZone })
      .returning({ id: markets.id }),
  );
  if (!row) throw new Error("no market row");
  return { code, currency, internal: row.id };
}

/** A brand (through the API), a market and a key scoped to the brand. */
export async function createSalesTenant(currency = "KRW"): Promise<SalesTenant> {
  const suffix = rand();
  const brand = await ok("POST", "/api/v1/brands", {
    body: { name: `Shop ${suffix}`, slug: `shop-${suffix}` },
  });
  const internal = ids.decode("brand", brand.id);
  if (internal === null) throw new Error("brand id does not decode");
  const market = await insertMarket(currency);
  const key = await insertApiKey({ brandIds: [internal] });
  return { brand: { id: brand.id, internal }, market, key: key.key };
}

/** A unique customer email for one test. */
export const customerEmail = (label = "buyer"): string => `${label}.${rand()}@example.com`;

/**
 * A realistic three-line order: two one-off products (one discounted by a coupon) and a
 * subscription-eligible serum, shipping, a campaign and a card payment of the full amount.
 */
export function orderBody(tenant: SalesTenant, overrides: Partial<NormalisedOrder> = {}): NormalisedOrder {
  return {
    platform: "shopify",
    external_id: `ord-${rand()}`,
    brand: tenant.brand.id,
    market: tenant.market.code,
    currency: tenant.market.currency,
    placed_at: "2026-03-14T09:30:00.000Z",
    customer: { email: customerEmail(), first_name: "Minji", last_name: "Kim", phone: "+82 10-1234-5678" },
    billing_address: {
      country: "kr",
      region: "Seoul",
      city: "Gangnam-gu",
      postal_code: "06236",
      line1: "123 Teheran-ro",
      line2: "Apt 501",
    },
    shipping_address: {
      country: "KR",
      region: "Seoul",
      city: "Gangnam-gu",
      postal_code: "06236",
      line1: "123  Teheran-ro",
      line2: "Apt 501",
    },
    items: [
      { sku: "CLEANSER-150", name: "Gentle Cleanser 150 ml", quantity: 2, unit_price: 18000, discount: 3000 },
      {
        sku: "SERUM-30",
        name: "Vitamin C Serum 30 ml",
        offer: "30ml",
        quantity: 1,
        unit_price: 42000,
        tax: 0,
      },
      { sku: "MASK-5", name: "Sheet Mask 5-pack", quantity: 3, unit_price: 9900, discount: 0 },
    ],
    shipping: 3000,
    coupons: [{ code: "spring10", discount: 3000 }],
    campaign: "spring-launch",
    marketing: { utm_source: "instagram", utm_medium: "social", utm_campaign: "spring-launch" },
    // 2 × 18,000 − 3,000 + 42,000 + 3 × 9,900 + 3,000 shipping = 107,700
    payment: { amount: 107_700, method: "card", external_id: `pay-${rand()}` },
    ...overrides,
  };
}

export const postOrder = (tenant: SalesTenant, body: unknown, key: string | null = tenant.key) =>
  call("POST", "/api/v1/orders", { key, body });

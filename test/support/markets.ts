import { type CallOptions, ok, rand } from "./api.ts";

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

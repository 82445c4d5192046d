import { z } from "@hono/zod-openapi";
import {
  isKnownCountry,
  isKnownCurrency,
  type Market,
  normaliseTimeZone,
} from "../../domain/catalog/markets.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { hashId, iso, name, timestamp } from "./common.ts";
import { marketCode } from "./order.ts";

export const marketSchema = z
  .object({
    id: hashId("Market id."),
    code: z.string().openapi({ description: "The code orders name the market by.", example: "kr" }),
    name: z.string(),
    country: z.string().openapi({ example: "KR" }),
    currency: z.string().openapi({ example: "KRW" }),
    time_zone: z.string().openapi({ example: "Asia/Seoul" }),
    created_at: timestamp,
  })
  .openapi("Market");
export type MarketJson = z.infer<typeof marketSchema>;

export const presentMarket = (ids: HashIds, market: Market): MarketJson => ({
  id: ids.encode("market", market.id),
  code: market.code,
  name: market.name,
  country: market.country,
  currency: market.currency,
  time_zone: market.timeZone,
  created_at: iso(market.createdAt),
});

const country = z
  .string()
  .superRefine((value, ctx) => {
    if (!/^[A-Za-z]{2}$/.test(value))
      ctx.addIssue({
        code: "custom",
        message: "An ISO 3166-1 alpha-2 country code.",
        params: { category: "malformed" },
      });
    else if (!isKnownCountry(value.toUpperCase()))
      ctx.addIssue({
        code: "custom",
        message: "Not an assigned ISO 3166-1 country code.",
        params: { category: "not_allowed" },
      });
  })
  .transform((value) => value.toUpperCase())
  .openapi({ description: "ISO 3166-1 alpha-2 (stored upper-case).", example: "KR" });

const currency = z
  .string()
  .superRefine((value, ctx) => {
    if (!/^[A-Z]{3}$/.test(value))
      ctx.addIssue({
        code: "custom",
        message: "An ISO 4217 code in upper case.",
        params: { category: "malformed" },
      });
    else if (!isKnownCurrency(value))
      ctx.addIssue({
        code: "custom",
        message: "Not a current ISO 4217 currency.",
        params: { category: "not_allowed" },
      });
  })
  .openapi({
    description: "ISO 4217, upper case: every amount in this market is in its minor units.",
    example: "KRW",
  });

const timeZone = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const zone = normaliseTimeZone(value);
    if (zone === null) {
      ctx.addIssue({
        code: "custom",
        message: "Not an IANA time zone name (e.g. `Asia/Seoul`).",
        params: { category: "not_allowed" },
      });
      return z.NEVER;
    }
    return zone;
  })
  .openapi({
    description: "IANA zone, for the market's business days and quiet hours.",
    example: "Asia/Seoul",
  });

export const createMarketBody = z
  .strictObject({ code: marketCode, name, country, currency, time_zone: timeZone })
  .openapi("CreateMarket");

export const updateMarketBody = z
  .strictObject({ name: name.optional(), time_zone: timeZone.optional() })
  .openapi("UpdateMarket");

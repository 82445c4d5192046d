import { z } from "@hono/zod-openapi";
import type { Store } from "../../domain/catalog/stores.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { hashId, iso, name, timestamp } from "./common.ts";
import { platformSlug } from "./order.ts";

export const storeSchema = z
  .object({
    id: hashId("Store id."),
    brand: hashId("Brand id."),
    market: hashId("Market id."),
    platform: z.string().openapi({ example: "shopify" }),
    external_ref: z.string().openapi({ example: "acme-kr.myshopify.com" }),
    name: z.string(),
    created_at: timestamp,
  })
  .openapi("Store");
export type StoreJson = z.infer<typeof storeSchema>;

export const presentStore = (ids: HashIds, store: Store): StoreJson => ({
  id: ids.encode("store", store.id),
  brand: ids.encode("brand", store.brandId),
  market: ids.encode("market", store.marketId),
  platform: store.platform,
  external_ref: store.externalRef,
  name: store.name,
  created_at: iso(store.createdAt),
});

export const createStoreBody = z
  .strictObject({
    brand: hashId("The brand the shop's orders belong to."),
    market: hashId("The market the shop sells in."),
    platform: platformSlug,
    external_ref: z.string().trim().min(1).max(255).openapi({
      description: "The platform's id of the shop: a Shopify shop domain, a Cafe24 `mall_id`.",
      example: "acme-kr.myshopify.com",
    }),
    name,
  })
  .openapi("CreateStore");

export const updateStoreBody = z
  .strictObject({
    market: hashId("The market the shop's next orders belong to.").optional(),
    external_ref: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .openapi({ description: "The platform's id of the shop.", example: "acme-kr.myshopify.com" }),
    name: name.optional(),
  })
  .openapi("UpdateStore");

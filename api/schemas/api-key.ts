import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { ApiKey } from "../../domain/ops/api-keys.ts";
import { hashId, iso, isoOrNull, name, timestamp } from "./common.ts";

export const apiKeySchema = z
  .object({
    id: hashId("API key id."),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: "The key's first characters, to recognise it.", example: "lr_4fT9aQ2xZ" }),
    brands: z
      .array(z.string())
      .nullable()
      .openapi({ description: "Brands the key is limited to; null: all." }),
    is_admin: z.boolean(),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .openapi("ApiKey");
export type ApiKeyJson = z.infer<typeof apiKeySchema>;

export const presentApiKey = (ids: HashIds, key: ApiKey): ApiKeyJson => ({
  id: ids.encode("apiKey", key.id),
  name: key.name,
  prefix: key.prefix,
  brands: key.brandIds === null ? null : key.brandIds.map((id) => ids.encode("brand", id)),
  is_admin: key.isAdmin,
  created_at: iso(key.createdAt),
  last_used_at: isoOrNull(key.lastUsedAt),
  revoked_at: isoOrNull(key.revokedAt),
});

export const createdApiKeySchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      description: "The secret. Shown once: only its SHA-256 is stored.",
      example: "lr_4fT9aQ2xZk3G7QAe51FCsPW92uEOyq4B",
    }),
  })
  .openapi("CreatedApiKey");

export const createApiKeyBody = z
  .strictObject({
    name,
    brands: z
      .array(hashId("Brand id."))
      .min(1)
      .max(1000)
      .nullable()
      .default(null)
      .openapi({ description: "Limit the key to these brands; null or absent: all brands." }),
    is_admin: z.boolean().default(false),
  })
  .openapi("CreateApiKey");

import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { type Ga4Settings, maskSecret } from "../../domain/tracking/ga4.ts";
import { hashId, iso, timestamp } from "./common.ts";

export const ga4SettingsBody = z
  .strictObject({
    measurement_id: z
      .string()
      .min(1)
      .max(32)
      .openapi({ description: "The GA4 web stream's measurement id.", example: "G-8QK2M4X7ZP" }),
    api_secret: z.string().min(1).max(128).openapi({
      description:
        "A Measurement Protocol API secret of that stream (GA4 Admin → Data streams → Measurement Protocol API secrets). A secret: stored, never returned in full.",
      example: "Zm9vYmFyYmF6cXV4",
    }),
    enabled: z.boolean().default(true).openapi({ description: "Forward the brand's tracker events." }),
  })
  .openapi("Ga4SettingsInput");

export const ga4SettingsSchema = z
  .object({
    brand: hashId("The brand's hash id."),
    measurement_id: z.string().openapi({ example: "G-8QK2M4X7ZP" }),
    api_secret: z
      .string()
      .openapi({ description: "Masked: its last four characters only.", example: "••••cXV4" }),
    enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Ga4Settings");

export function presentGa4Settings(ids: HashIds, row: Ga4Settings): z.infer<typeof ga4SettingsSchema> {
  return {
    brand: ids.encode("brand", row.brandId),
    measurement_id: row.measurementId,
    api_secret: maskSecret(row.apiSecret),
    enabled: row.enabled,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { Landing } from "../../domain/routing/landings.ts";
import { hashId, httpUrl, iso, name, timestamp } from "./common.ts";

export const landingSchema = z
  .object({
    id: hashId("Landing id."),
    name: z.string(),
    brand: hashId("Brand id."),
    theme: hashId("Theme id."),
    partner: hashId("Partner id."),
    product: hashId("Product id."),
    fallback_url: z.string(),
    active: z.boolean(),
    path: z
      .string()
      .openapi({ description: "Where visitors are sent: `GET|POST` this path.", example: "/l/Xk3G7QAe" }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Landing");
export type LandingJson = z.infer<typeof landingSchema>;

export function presentLanding(ids: HashIds, landing: Landing): LandingJson {
  const id = ids.encode("landing", landing.id);
  return {
    id,
    name: landing.name,
    brand: ids.encode("brand", landing.brandId),
    theme: ids.encode("theme", landing.themeId),
    partner: ids.encode("partner", landing.partnerId),
    product: ids.encode("product", landing.productId),
    fallback_url: landing.fallbackUrl,
    active: landing.active,
    path: `/l/${id}`,
    created_at: iso(landing.createdAt),
    updated_at: iso(landing.updatedAt),
  };
}

export const createLandingBody = z
  .strictObject({
    name,
    brand: hashId("Brand id."),
    theme: hashId("Theme id."),
    partner: hashId("Partner id."),
    product: hashId("Product id (of the same brand)."),
    fallback_url: httpUrl.openapi({
      description: "Where visitors go when no rule matches or anything fails.",
    }),
    active: z.boolean().default(true),
  })
  .openapi("CreateLanding");

export const updateLandingBody = z
  .strictObject({
    name: name.optional(),
    theme: hashId("Theme id.").optional(),
    partner: hashId("Partner id.").optional(),
    product: hashId("Product id (of the landing's brand).").optional(),
    fallback_url: httpUrl.optional(),
    active: z.boolean().optional(),
  })
  .openapi("UpdateLanding");

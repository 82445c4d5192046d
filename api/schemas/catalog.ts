import { z } from "@hono/zod-openapi";
import { postbackMethod } from "../../db/schema/catalog.ts";
import { relayEvent } from "../../db/schema/relay.ts";
import type { Brand, Partner, Product, Theme } from "../../domain/catalog/catalog.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { postbackTemplateProblem } from "../../domain/relay/postback-template.ts";
import { hashId, iso, isoOrNull, name, slug, timestamp } from "./common.ts";
import { contentType, delaySeconds, deliveryHeaders, maskHeaderValues, signingSecret } from "./delivery.ts";
import { currencyCode } from "./order.ts";

export const brandSchema = z
  .object({
    id: hashId("Brand id."),
    name: z.string(),
    slug: z.string(),
    domain: z.string().nullable(),
    created_at: timestamp,
  })
  .openapi("Brand");
export type BrandJson = z.infer<typeof brandSchema>;

export const presentBrand = (_ids: HashIds, brand: Brand): BrandJson => ({
  id: _ids.encode("brand", brand.id),
  name: brand.name,
  slug: brand.slug,
  domain: brand.domain,
  created_at: iso(brand.createdAt),
});

export const createBrandBody = z
  .strictObject({
    name,
    slug,
    domain: z
      .string()
      .max(253)
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "A lower-case host name.")
      .nullable()
      .optional()
      .openapi({ example: "acme.example" }),
  })
  .openapi("CreateBrand");

export const themeSchema = z
  .object({ id: hashId("Theme id."), name: z.string(), slug: z.string(), created_at: timestamp })
  .openapi("Theme");
export type ThemeJson = z.infer<typeof themeSchema>;

export const presentTheme = (ids: HashIds, theme: Theme): ThemeJson => ({
  id: ids.encode("theme", theme.id),
  name: theme.name,
  slug: theme.slug,
  created_at: iso(theme.createdAt),
});

export const createThemeBody = z.strictObject({ name, slug }).openapi("CreateTheme");

const queryParamName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, "Letters, digits, `_`, `.` and `-` only.");

export const partnerSchema = z
  .object({
    id: hashId("Partner id."),
    name: z.string(),
    slug: z.string(),
    click_id_param: z.string().openapi({ description: "Landing URL query parameter carrying the click id." }),
    transaction_id_param: z.string(),
    postback_url: z.string().nullable(),
    postback_method: z.enum(postbackMethod.enumValues),
    postback_events: z.array(z.enum(relayEvent.enumValues)),
    postback_content_type: contentType,
    postback_headers: z
      .record(z.string(), z.string())
      .openapi({ description: "Extra headers; values of secret-looking names are masked." }),
    has_signing_secret: z
      .boolean()
      .openapi({ description: "Whether a signing secret is set (it is never shown)." }),
    payout: z
      .number()
      .int()
      .openapi({ description: "The `{payout}` macro, in minor units of payout_currency." }),
    payout_currency: z.string().nullable(),
    postback_delay_seconds: z.number().int(),
    postback_failure_limit: z.number().int(),
    postback_consecutive_failures: z.number().int(),
    postbacks_paused_at: timestamp
      .nullable()
      .openapi({ description: "Set when postbacks paused after too many failures; null when they run." }),
    created_at: timestamp,
  })
  .openapi("Partner");
export type PartnerJson = z.infer<typeof partnerSchema>;

export const presentPartner = (ids: HashIds, partner: Partner): PartnerJson => ({
  id: ids.encode("partner", partner.id),
  name: partner.name,
  slug: partner.slug,
  click_id_param: partner.clickIdParam,
  transaction_id_param: partner.transactionIdParam,
  postback_url: partner.postbackUrl,
  postback_method: partner.postbackMethod,
  postback_events: partner.postbackEvents.filter((event): event is PartnerJson["postback_events"][number] =>
    (relayEvent.enumValues as readonly string[]).includes(event),
  ),
  postback_content_type: partner.postbackContentType === "form" ? "form" : "json",
  postback_headers: maskHeaderValues(partner.postbackHeaders),
  has_signing_secret: partner.signingSecret !== null,
  payout: partner.payout,
  payout_currency: partner.payoutCurrency,
  postback_delay_seconds: partner.postbackDelaySeconds,
  postback_failure_limit: partner.postbackFailureLimit,
  postback_consecutive_failures: partner.postbackConsecutiveFailures,
  postbacks_paused_at: isoOrNull(partner.postbacksPausedAt),
  created_at: iso(partner.createdAt),
});

const postbackUrl = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = postbackTemplateProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, params: { category: "malformed" } });
  })
  .nullable()
  .openapi({
    description:
      "Postback URL template; macros {click_id} {transaction_id} {payout} {payout_minor} {currency} {event} {capture_id} {sub1}..{sub5}, and {redirect_url} for a `redirect` postback. {payout} is the partner's payout in the currency's unit by its ISO 4217 exponent (1500 USD → `15.00`, 1500 KRW → `1500`, 1500 KWD → `1.500`; a negative one with a leading minus), {payout_minor} the same in integer minor units (`1500`); both are empty without payout_currency. Every value is URL-encoded. The template is read at each attempt: a corrected URL applies to retries and resends of jobs already made.",
    example: "https://postback.affnet.example/c?click_id={click_id}&event={event}",
  });

const postbackEvents = z
  .array(z.enum(relayEvent.enumValues))
  .min(1)
  .max(relayEvent.enumValues.length)
  .refine((events) => new Set(events).size === events.length, {
    message: "Each event at most once.",
    params: { category: "not_allowed" },
  });

/** Postback delivery settings, the same on create (with defaults) and on change (each optional). */
const postbackSettings = {
  postback_content_type: contentType,
  postback_headers: deliveryHeaders,
  signing_secret: signingSecret,
  payout: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ description: "What a conversion pays, in minor units of payout_currency." }),
  payout_currency: currencyCode.nullable(),
  postback_delay_seconds: delaySeconds,
  postback_failure_limit: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .openapi({ description: "Consecutive failed attempts after which postbacks pause (default 25)." }),
};

export const createPartnerBody = z
  .strictObject({
    name,
    slug,
    click_id_param: queryParamName.default("click_id"),
    transaction_id_param: queryParamName.default("transaction_id"),
    postback_url: postbackUrl.default(null),
    postback_method: z.enum(postbackMethod.enumValues).default("get"),
    postback_events: postbackEvents.default(["lead_accepted"]),
    postback_content_type: postbackSettings.postback_content_type.default("json"),
    postback_headers: postbackSettings.postback_headers.default({}),
    signing_secret: postbackSettings.signing_secret.default(null),
    payout: postbackSettings.payout.default(0),
    payout_currency: postbackSettings.payout_currency.default(null),
    postback_delay_seconds: postbackSettings.postback_delay_seconds.default(0),
    postback_failure_limit: postbackSettings.postback_failure_limit.default(25),
  })
  .openapi("CreatePartner");

export const updatePartnerBody = z
  .strictObject({
    name: name.optional(),
    click_id_param: queryParamName.optional(),
    transaction_id_param: queryParamName.optional(),
    postback_url: postbackUrl.optional(),
    postback_method: z.enum(postbackMethod.enumValues).optional(),
    postback_events: postbackEvents.optional(),
    postback_content_type: postbackSettings.postback_content_type.optional(),
    postback_headers: postbackSettings.postback_headers.optional(),
    signing_secret: postbackSettings.signing_secret.optional(),
    payout: postbackSettings.payout.optional(),
    payout_currency: postbackSettings.payout_currency.optional(),
    postback_delay_seconds: postbackSettings.postback_delay_seconds.optional(),
    postback_failure_limit: postbackSettings.postback_failure_limit.optional(),
  })
  .openapi("UpdatePartner");

export const productSchema = z
  .object({
    id: hashId("Product id."),
    brand: hashId("Brand id."),
    name: z.string(),
    sku: z.string(),
    created_at: timestamp,
  })
  .openapi("Product");
export type ProductJson = z.infer<typeof productSchema>;

export const presentProduct = (ids: HashIds, product: Product): ProductJson => ({
  id: ids.encode("product", product.id),
  brand: ids.encode("brand", product.brandId),
  name: product.name,
  sku: product.sku,
  created_at: iso(product.createdAt),
});

export const createProductBody = z
  .strictObject({
    brand: hashId("Brand id."),
    name,
    sku: z.string().trim().min(1).max(64),
  })
  .openapi("CreateProduct");

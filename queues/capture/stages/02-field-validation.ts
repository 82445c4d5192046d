import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type Cte, pgArray, recordset } from "../../../db/sql.ts";
import {
  type CatalogView,
  type FieldError,
  type LandingIds,
  validateReferences,
  validateSubmission,
} from "../../../domain/capture/field-validation.ts";
import type { PartnerParams } from "../../../domain/capture/marketing.ts";
import type { NormalisedEmail } from "../../../domain/contacts/email.ts";
import type { PartnerPostback, RelayTargetConfig } from "../../../domain/relay/dispatch.ts";
import type { CaptureMessage } from "../message.ts";
import type { DecidedCapture } from "../types.ts";

export interface PartnerConfig extends PartnerPostback, PartnerParams {}

/** What the database holds about every id one batch names: loaded in one statement. */
export interface BatchCatalog extends CatalogView {
  partner(id: number): PartnerConfig | undefined;
  relayTargets(brandId: number): RelayTargetConfig[];
  hasRule(id: number): boolean;
}

const idList = z.array(z.number().int());
const catalogRowSchema = z.object({
  landings: z.array(z.object({ id: z.number().int(), active: z.boolean() })),
  brands: idList,
  themes: idList,
  partners: z.array(
    z.object({
      id: z.number().int(),
      clickIdParam: z.string(),
      transactionIdParam: z.string(),
      postbackUrl: z.string().nullable(),
      postbackMethod: z.enum(["redirect", "get", "post"]),
      postbackEvents: z.array(z.string()),
      payout: z.coerce.number().int(),
      payoutCurrency: z.string().nullable(),
    }),
  ),
  products: z.array(z.object({ id: z.number().int(), brandId: z.number().int() })),
  relayTargets: z.array(
    z.object({
      id: z.number().int(),
      brandId: z.number().int(),
      url: z.string(),
      method: z.string(),
      fieldMapping: z.record(z.string(), z.unknown()),
      events: z.array(z.string()),
    }),
  ),
  rules: idList,
});

function ids(values: Iterable<number | null>): number[] {
  const set = new Set<number>();
  for (const value of values) if (value !== null && Number.isSafeInteger(value) && value > 0) set.add(value);
  return [...set];
}

/** One statement: the landings, brands, themes, partners, products, relay targets and rules a batch names. */
export function catalogQuery(messages: readonly CaptureMessage[]): SQL {
  const landings = ids(messages.map((m) => m.landing.id));
  const brands = ids(messages.map((m) => m.landing.brandId));
  const themes = ids(messages.map((m) => m.landing.themeId));
  const partners = ids(messages.map((m) => m.landing.partnerId));
  const products = ids(messages.map((m) => m.landing.productId));
  const rules = ids(messages.map((m) => m.edge.ruleId));
  return sql`SELECT jsonb_build_object(
    'landings', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'active', active)), '[]'::jsonb)
                   FROM landings WHERE id = ANY(${pgArray(landings)}::bigint[])),
    'brands', (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM brands WHERE id = ANY(${pgArray(brands)}::bigint[])),
    'themes', (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM themes WHERE id = ANY(${pgArray(themes)}::bigint[])),
    'partners', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', id, 'clickIdParam', click_id_param, 'transactionIdParam', transaction_id_param,
                    'postbackUrl', postback_url, 'postbackMethod', postback_method,
                    'postbackEvents', to_jsonb(postback_events), 'payout', payout,
                    'payoutCurrency', payout_currency)), '[]'::jsonb)
                   FROM partners WHERE id = ANY(${pgArray(partners)}::bigint[])),
    'products', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'brandId', brand_id)), '[]'::jsonb)
                   FROM products WHERE id = ANY(${pgArray(products)}::bigint[])),
    'relayTargets', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', id, 'brandId', brand_id, 'url', url, 'method', method, 'fieldMapping', field_mapping,
                    'events', to_jsonb(events))
                    ORDER BY id), '[]'::jsonb)
                   FROM relay_targets WHERE active AND brand_id = ANY(${pgArray(brands)}::bigint[])),
    'rules', (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM redirect_rules WHERE id = ANY(${pgArray(rules)}::bigint[]))
  ) AS catalog`;
}

/** Reads the catalog statement's single JSON value. */
export function parseCatalog(value: unknown): BatchCatalog {
  const row = catalogRowSchema.parse(value);
  const landings = new Map(row.landings.map((landing) => [landing.id, landing]));
  const brands = new Set(row.brands);
  const themes = new Set(row.themes);
  const partners = new Map(row.partners.map((partner) => [partner.id, partner]));
  const products = new Map(row.products.map((product) => [product.id, product.brandId]));
  const rules = new Set(row.rules);
  const targets = new Map<number, RelayTargetConfig[]>();
  for (const target of row.relayTargets) {
    const list = targets.get(target.brandId) ?? [];
    list.push(target);
    targets.set(target.brandId, list);
  }
  return {
    landing: (id) => landings.get(id),
    hasBrand: (id) => brands.has(id),
    hasTheme: (id) => themes.has(id),
    hasPartner: (id) => partners.has(id),
    productBrand: (id) => products.get(id),
    partner: (id) => partners.get(id),
    relayTargets: (brandId) => targets.get(brandId) ?? [],
    hasRule: (id) => rules.has(id),
  };
}

export interface ValidatedCapture {
  errors: FieldError[];
  refs: LandingIds;
  email: NormalisedEmail | null;
}

/**
 * Stage 2, field validation: the submitted fields (8 categories), the body the edge could
 * not read, fields it cut short, and the landing and hash-id overrides against the catalog.
 */
export function validateCapture(message: CaptureMessage, catalog: BatchCatalog): ValidatedCapture {
  const submission = validateSubmission({
    fields: message.request.fields,
    truncatedFields: message.request.truncatedFields,
    bodyError: message.request.bodyError,
    receivedAt: new Date(message.receivedAt),
  });
  const references = validateReferences(message.landing, message.overrides, catalog);
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of [...references.errors, ...submission.errors]) {
    const key = `${error.field}\u0000${error.category}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(error);
  }
  return { errors, refs: references.resolved, email: submission.email };
}

/** Field errors of the captures this batch writes: one multi-row insert. */
export function fieldErrorsInsert(captures: readonly DecidedCapture[]): Cte | null {
  const rows = captures.flatMap((capture) =>
    capture.errors.map((error) => ({
      capture_id: capture.message.captureId,
      field: error.field,
      category: error.category,
      message: error.message,
    })),
  );
  if (rows.length === 0) return null;
  return {
    name: "field_error",
    body: sql`INSERT INTO capture_field_errors (capture_id, field, category, message)
      SELECT capture_id, field, category, message
      FROM ${recordset(rows, "capture_id uuid, field text, category field_error_category, message text")}`,
  };
}

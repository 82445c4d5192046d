import { env } from "cloudflare:workers";
import type { Database } from "../../db/client.ts";
import { brands, landings, partners, products, themes } from "../../db/schema/catalog.ts";
import { relayTargets } from "../../db/schema/relay.ts";
import type { KnowledgeLevel } from "../../domain/contacts/knowledge.ts";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { type CaptureMessage, captureMessageSchema } from "../../queues/capture/message.ts";
import { iphoneSafari, seoulCf } from "./fixtures.ts";

/** Fixtures of the capture consumer's tests: fresh tenants in the shared database and edge-shaped messages. */

export const codec = hashIds(env.SQIDS_ALPHABET);
const suffix = (): string => crypto.randomUUID().replaceAll("-", "").slice(0, 12);

/** A fresh address on a real-looking domain (not a disposable or reserved one). */
export const freshEmail = (label = "lead"): string => `${label}.${suffix()}@leadrail-mail.net`;

export interface Tenant {
  brandId: number;
  themeId: number;
  partnerId: number;
  productId: number;
  landingId: number;
  landingRef: string;
  fallbackUrl: string;
}

export interface TenantOptions {
  partner?: Partial<typeof partners.$inferInsert>;
  landingActive?: boolean;
  /** Field mappings of active lead buyers of the brand. */
  relayTargets?: Record<string, string>[];
}

/** A brand, theme, partner, product and landing with random slugs, written straight through drizzle. */
export async function seedTenant(db: Database, options: TenantOptions = {}): Promise<Tenant> {
  const tag = suffix();
  const [brand] = await db
    .insert(brands)
    .values({ name: `Brand ${tag}`, slug: `brand-${tag}` })
    .returning();
  const [theme] = await db
    .insert(themes)
    .values({ name: `Theme ${tag}`, slug: `theme-${tag}` })
    .returning();
  const [partner] = await db
    .insert(partners)
    .values({ name: `Partner ${tag}`, slug: `partner-${tag}`, ...options.partner })
    .returning();
  if (!brand || !theme || !partner) throw new Error("seed failed");
  const [product] = await db
    .insert(products)
    .values({ brandId: brand.id, name: `Product ${tag}`, sku: `sku-${tag}` })
    .returning();
  if (!product) throw new Error("seed failed");
  const fallbackUrl = `https://fallback-${tag}.leadrail.test/`;
  const [landing] = await db
    .insert(landings)
    .values({
      name: `Landing ${tag}`,
      brandId: brand.id,
      themeId: theme.id,
      partnerId: partner.id,
      productId: product.id,
      fallbackUrl,
      active: options.landingActive ?? true,
    })
    .returning();
  if (!landing) throw new Error("seed failed");
  for (const [index, mapping] of (options.relayTargets ?? []).entries()) {
    await db.insert(relayTargets).values({
      name: `Buyer ${tag} ${index}`,
      brandId: brand.id,
      url: `https://buyer-${tag}.leadrail.test/leads/${index}`,
      fieldMapping: mapping,
    });
  }
  return {
    brandId: brand.id,
    themeId: theme.id,
    partnerId: partner.id,
    productId: product.id,
    landingId: landing.id,
    landingRef: codec.encode("landing", landing.id),
    fallbackUrl,
  };
}

export interface MessageOptions {
  captureId?: string;
  receivedAt?: string;
  email?: string | null;
  /** Extra submitted fields (merged over the email). */
  fields?: Record<string, string>;
  truncatedFields?: Record<string, number>;
  bodyError?: string | null;
  headers?: Record<string, string>;
  cf?: Record<string, unknown> | null;
  knowledge?: KnowledgeLevel;
  query?: string;
  landing?: Partial<CaptureMessage["landing"]>;
  landingRef?: string;
  overrides?: CaptureMessage["overrides"];
}

/** A capture message as the edge sends it for a form post to the tenant's landing. */
export function captureMessage(tenant: Tenant, options: MessageOptions = {}): CaptureMessage {
  const email = options.email === undefined ? freshEmail() : options.email;
  const fields: Record<string, string> = { ...(email === null ? {} : { email }), ...options.fields };
  const landingRef = options.landingRef ?? tenant.landingRef;
  const url = `https://edge.leadrail.test/l/${landingRef}${options.query ? `?${options.query}` : ""}`;
  const body = new URLSearchParams(fields).toString();
  const message: CaptureMessage = {
    v: 1,
    captureId: options.captureId ?? uuidv7(),
    receivedAt: options.receivedAt ?? new Date().toISOString(),
    landingRef,
    landing: {
      id: tenant.landingId,
      brandId: tenant.brandId,
      themeId: tenant.themeId,
      partnerId: tenant.partnerId,
      productId: tenant.productId,
      ...options.landing,
    },
    overrides: options.overrides ?? {},
    request: {
      method: "POST",
      url,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": iphoneSafari,
        "cf-connecting-ip": "211.234.10.20",
        referer: "https://m.search.naver.com/search.naver?query=shoes",
        ...options.headers,
      },
      body,
      bodyBytes: new TextEncoder().encode(body).byteLength,
      bodyTruncated: false,
      bodyError: options.bodyError ?? null,
      fields,
      truncatedFields: options.truncatedFields ?? {},
    },
    cf: options.cf === undefined ? seoulCf : options.cf,
    edge: {
      emailSha256: null,
      knowledge: options.knowledge ?? "unknown",
      knowledgeSource: "kv",
      ruleId: null,
      fallbackReason: "no_match",
      response: { status: 303, location: tenant.fallbackUrl, headers: { "x-capture-id": "set-below" } },
      durationMs: 1.25,
    },
  };
  message.edge.response.headers["x-capture-id"] = message.captureId;
  // What the consumer receives must parse exactly as the edge's messages do.
  return captureMessageSchema.parse(JSON.parse(JSON.stringify(message)));
}

let sequence = 0;

/** Queue messages for `createMessageBatch`: distinct message ids, the given attempt number. */
export function queueMessages(bodies: readonly unknown[], attempts = 1) {
  return bodies.map((body) => {
    sequence += 1;
    return { id: `msg-${suffix()}-${sequence}`, timestamp: new Date(), attempts, body };
  });
}

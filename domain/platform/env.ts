import { z } from "zod";
import { messagingConfigSchema } from "./messaging-config.ts";
import { retentionConfigSchema } from "./retention-config.ts";

/** Bindings the Worker receives, as `npm run cf-typegen` generates them from wrangler.toml. */
export type Env = Cloudflare.Env;

const alphabet = z
  .string()
  .min(16)
  .refine((value) => new Set(value).size === value.length, "SQIDS_ALPHABET must not repeat characters");

/** Settings the edge needs: no database. */
export const edgeConfigSchema = z.object({
  SQIDS_ALPHABET: alphabet,
  GLOBAL_FALLBACK_URL: z.url({ protocol: /^https?$/ }),
  EDGE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  /** The longest the edge waits for one KV read before it answers as if KV were down; 0 waits for ever. */
  EDGE_KV_DEADLINE_MS: z.coerce.number().int().min(0).max(30_000).default(1000),
});
export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

/** Settings of everything that talks to Postgres. */
export const dbConfigSchema = edgeConfigSchema.extend({
  ...retentionConfigSchema.shape,
  ...messagingConfigSchema.shape,
  DATABASE_URL: z.string().min(1, "DATABASE_URL is not set"),
  /** GA4's Measurement Protocol endpoint tracker events are forwarded to (domain/tracking/ga4.ts). */
  GA4_ENDPOINT: z.url({ protocol: /^https?$/ }).default("https://www.google-analytics.com/mp/collect"),
  DB_WS_PROXY: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** The Shopify app's secret that signs its webhooks (a Worker secret); unset, the webhooks answer 503. */
  SHOPIFY_WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** SendGrid's Signed Event Webhook verification key (base64 SPKI, as SendGrid shows it); unset, its webhook answers 503. */
  SENDGRID_WEBHOOK_PUBLIC_KEY: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** Signs the normalised email events webhook (`X-Leadrail-Signature`); unset, it answers 503. */
  EMAIL_WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** Signs the normalised commerce events webhook (`X-Leadrail-Signature`); unset, it answers 503. */
  COMMERCE_WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** The secret token Solapi's delivery report callback carries (`?token=`); unset, the webhook answers 503. */
  MESSAGING_WEBHOOK_TOKEN: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** Signs the opt-out webhook (`X-Leadrail-Signature`, the 080 / reply service); unset, it answers 503. */
  MESSAGING_OPTOUT_WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** Signs the dashboard's session cookies (HMAC-SHA256); unset, /dashboard answers 503. */
  DASHBOARD_SESSION_SECRET: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
  /** The Cafe24 app's client secret that signs its webhooks (`X-Cafe24-Hmac-SHA256`); unset, it answers 503. */
  CAFE24_WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined)),
});
export type DbConfig = z.infer<typeof dbConfigSchema>;

const parsed = new WeakMap<object, unknown>();

function parseOnce<T>(env: Env, schema: z.ZodType<T>, tag: string): T {
  const cached = parsed.get(env) as Record<string, T> | undefined;
  if (cached?.[tag]) return cached[tag];
  const result = schema.safeParse(env);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid Worker configuration: ${fields}`);
  }
  parsed.set(env, { ...(cached ?? {}), [tag]: result.data });
  return result.data;
}

export const edgeConfig = (env: Env): EdgeConfig => parseOnce(env, edgeConfigSchema, "edge");
export const dbConfig = (env: Env): DbConfig => parseOnce(env, dbConfigSchema, "db");

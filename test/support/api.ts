import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { apiApp } from "../../api/app.ts";
import { type Database, openDb } from "../../db/client.ts";
import { apiKeys } from "../../db/schema/ops.ts";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { generateApiKey, hashApiKey } from "../../domain/ops/api-keys.ts";
import { dbConfig, type Env, edgeConfig } from "../../domain/platform/env.ts";

/** The deployment's hash-id codec, as the Worker under test uses it. */
export const ids = hashIds(edgeConfig(env).SQIDS_ALPHABET);

/** A random lower-case suffix: every test makes its own tenants in the shared database. */
export const rand = (): string => crypto.randomUUID().replaceAll("-", "").slice(0, 12);

/** Runs `work` with a database connection of its own (for arranging and checking rows directly). */
export async function withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const handle = openDb(dbConfig(env), 2);
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

export interface TestKey {
  id: number;
  key: string;
}

/** Creates an API key directly in the database (only its hash is stored, as the API does). */
export async function insertApiKey(
  options: { isAdmin?: boolean; brandIds?: number[] | null; revoked?: boolean } = {},
): Promise<TestKey> {
  const key = generateApiKey();
  const [row] = await withDb((db) =>
    db
      .insert(apiKeys)
      .values({
        name: `test ${rand()}`,
        prefix: key.slice(0, 12),
        keyHash: hashApiKey(key),
        isAdmin: options.isAdmin ?? false,
        brandIds: options.brandIds ?? null,
        revokedAt: options.revoked ? new Date() : null,
      })
      .returning({ id: apiKeys.id }),
  );
  if (!row) throw new Error("no api key row");
  return { id: row.id, key };
}

let admin: Promise<TestKey> | undefined;

/** One random admin key per test file. */
export const adminKey = (): Promise<TestKey> => {
  admin ??= insertApiKey({ isAdmin: true });
  return admin;
};

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  /** API key; `null` sends no Authorization header. Defaults to the file's admin key. */
  key?: string | null;
  body?: unknown;
  /** A body sent as is (e.g. malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Bindings to replace (e.g. a recording queue): the request then goes straight to the API app. */
  env?: Partial<Env>;
}

/** Calls the Worker through its real `fetch` entry (workers/index.ts → Hono). */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export async function call<T = any>(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiResponse<T>> {
  const key = options.key === undefined ? (await adminKey()).key : options.key;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers["content-type"] ??= "application/json";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const request = new Request(`https://api.leadrail.test${path}`, { method, headers, body });
  let response: Response;
  if (options.env) {
    const ctx = createExecutionContext();
    response = await apiApp().fetch(request, { ...env, ...options.env }, ctx);
    await waitOnExecutionContext(ctx);
  } else {
    response = await exports.default.fetch(request);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (e.g. the /docs page): keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** Asserts a successful call and returns its body. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export async function ok<T = any>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const response = await call<T>(method, path, options);
  if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status}: ${response.text}`);
  return response.body;
}

/** Asserts a problem+json answer and returns its body. */
export function expectProblem(
  response: ApiResponse,
  status: number,
  errors?: { field: string; category: string }[],
): { type: string; title: string; status: number; detail: string; instance: string; errors?: unknown[] } {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = response.body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    errors?: { field: string; category: string; message: string }[];
  };
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^urn:leadrail:problem:[a-z-]+$/);
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  if (errors) {
    const got = (body.errors ?? []).map(({ field, category }) => ({ field, category }));
    expect(got).toEqual(errors);
  }
  return body;
}

export interface Tenant {
  brand: { id: string; slug: string };
  theme: { id: string };
  partner: { id: string; click_id_param: string; transaction_id_param: string };
  product: { id: string };
  landing: { id: string; fallback_url: string };
  /** Internal ids, for checking rows and KV documents. */
  internal: { brand: number; theme: number; partner: number; product: number; landing: number };
}

const decode = (kind: Parameters<typeof ids.decode>[0], value: string): number => {
  const id = ids.decode(kind, value);
  if (id === null) throw new Error(`not a ${kind} hash id: ${value}`);
  return id;
};

/** A brand with a theme, partner, product and landing, all created through the API. */
export async function createTenant(key?: string): Promise<Tenant> {
  const suffix = rand();
  const options = (body: unknown): CallOptions => (key === undefined ? { body } : { key, body });
  const brand = await ok(
    "POST",
    "/api/v1/brands",
    options({ name: `Brand ${suffix}`, slug: `brand-${suffix}` }),
  );
  const theme = await ok(
    "POST",
    "/api/v1/themes",
    options({ name: `Theme ${suffix}`, slug: `theme-${suffix}` }),
  );
  const partner = await ok(
    "POST",
    "/api/v1/partners",
    options({
      name: `Partner ${suffix}`,
      slug: `partner-${suffix}`,
      click_id_param: "aff_click",
      transaction_id_param: "aff_tx",
    }),
  );
  const product = await ok(
    "POST",
    "/api/v1/products",
    options({ brand: brand.id, name: `Product ${suffix}`, sku: `SKU-${suffix}` }),
  );
  const landing = await ok(
    "POST",
    "/api/v1/landings",
    options({
      name: `Landing ${suffix}`,
      brand: brand.id,
      theme: theme.id,
      partner: partner.id,
      product: product.id,
      fallback_url: `https://${suffix}.example/fallback`,
    }),
  );
  return {
    brand,
    theme,
    partner,
    product,
    landing,
    internal: {
      brand: decode("brand", brand.id),
      theme: decode("theme", theme.id),
      partner: decode("partner", partner.id),
      product: decode("product", product.id),
      landing: decode("landing", landing.id),
    },
  };
}

/** Every number anywhere in a JSON value: responses must not carry sequential ids. */
export function numericIdFields(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => numericIdFields(item, `${path}[${index}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => {
      const here = path ? `${path}.${key}` : key;
      const bad =
        (key === "id" || key.endsWith("_id") || key.endsWith("Id")) && typeof item === "number" ? [here] : [];
      return [...bad, ...numericIdFields(item, here)];
    });
  }
  return [];
}

/** A queue producer that records what it was sent instead of sending it. */
export function recordingQueue(): Queue & { sent: unknown[] } {
  const sent: unknown[] = [];
  const metrics = { backlogCount: 0, backlogBytes: 0 };
  return {
    sent,
    async metrics() {
      return metrics;
    },
    async send(body: unknown) {
      sent.push(body);
      return { metadata: { metrics } };
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      for (const message of messages) sent.push(message.body);
      return { metadata: { metrics } };
    },
  };
}

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { leadrailSignature } from "../../api/adapters/email-signatures.ts";
import { type EntityKind, entityKinds } from "../../domain/core/hash-ids.ts";
import type { Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processEventsBatch } from "../../queues/events/handler.ts";
import { call, createTenant, ids, ok, rand } from "../support/api.ts";
import { seededRandom } from "../support/random.ts";
import { createSalesTenant, orderBody, postOrder } from "../support/sales.ts";

/**
 * Every operation of the OpenAPI document, called with requests generated from its own schemas: values
 * of the declared types at and beyond their limits, real hash ids of the right and the wrong kind, text
 * Postgres cannot hold, instants it cannot hold, and now and then a value of the wrong type. Whatever
 * comes, the answer is never a 5xx: bad input is a 4xx naming the field. The choices are seeded and a
 * failure prints its request, so it can be made again.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};
interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema: Schema }> };
}

/**
 * Left out: operations that reach outside the test (a postback test fires at the partner's URL; replay
 * and resend put messages on the queues other tests consume) or that publish documents every test's
 * edge reads (rules, a full publish).
 */
const skipped = new Set([
  "post /api/v1/partners/{id}/postbacks/test",
  "post /api/v1/failed-events/replay",
  "post /api/v1/relays/resend",
  "post /api/v1/admin/publish",
  "post /api/v1/rules",
  "patch /api/v1/rules/{id}",
  "delete /api/v1/rules/{id}",
]);

const kindOfSegment: Record<string, EntityKind> = {
  brands: "brand",
  themes: "theme",
  partners: "partner",
  products: "product",
  landings: "landing",
  rules: "rule",
  contacts: "contact",
  "api-keys": "apiKey",
  markets: "market",
  stores: "store",
  subscriptions: "subscription",
  orders: "order",
  accounts: "account",
  invoices: "invoice",
  "credit-notes": "creditNote",
  "relay-targets": "relayTarget",
  relays: "relayJob",
  influencers: "influencer",
  "acquisition-rules": "acquisitionRule",
};

interface Pools {
  /** Hash ids seen in the set-up's responses, by kind. */
  ids: Map<EntityKind, string[]>;
  text: string[];
}

/** Every string of `value` that is a hash id of some kind, filed under that kind. */
function harvest(value: unknown, pools: Pools): void {
  if (typeof value === "string") {
    for (const kind of Object.keys(entityKinds) as EntityKind[]) {
      if (ids.decode(kind, value) === null) continue;
      const list = pools.ids.get(kind) ?? [];
      if (!list.includes(value)) list.push(value);
      pools.ids.set(kind, list);
    }
  } else if (Array.isArray(value)) for (const item of value) harvest(item, pools);
  else if (value !== null && typeof value === "object")
    for (const item of Object.values(value)) harvest(item, pools);
}

function generator(
  doc: { components: { schemas: Record<string, Schema> } },
  pools: Pools,
  next: () => number,
) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const chance = (p: number) => next() < p;
  const resolve = (schema: Schema): Schema =>
    schema.$ref ? resolve(doc.components.schemas[schema.$ref.split("/").pop() ?? ""] ?? {}) : schema;
  const anyId = () => pick([...pools.ids.values()].flat());
  const idOf = (kind: EntityKind | undefined): string =>
    kind && pools.ids.get(kind)?.length && chance(0.7) ? pick(pools.ids.get(kind) ?? []) : anyId();
  const wrongType = () => pick([null, true, 0, -1, 1.5, [], {}, "", "x"]);

  const text = (schema: Schema, name: string): unknown => {
    if (schema.enum) return chance(0.9) ? pick(schema.enum) : "not-a-member";
    if (schema.format === "date-time")
      return pick([
        "2026-03-14T09:30:00Z",
        "2026-03-14T18:30:00+09:00",
        "1970-01-01T00:00:00Z",
        "2099-12-31T23:59:59.999Z",
        "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2026-02-30T00:00:00Z",
        "yesterday",
      ]);
    if (schema.format === "uuid")
      return pick([
        "0196f1e4-7a3b-7c2d-8e9f-0a1b2c3d4e5f",
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
      ]);
    const kind = (kindOfSegment[`${name}s`] ?? (name in entityKinds ? name : undefined)) as
      | EntityKind
      | undefined;
    if (kind || name === "cursor" || /^[A-Za-z0-9]{8}$/.test(String(schema.example ?? ""))) {
      if (chance(0.8)) return idOf(kind);
    }
    if (name === "email" || name.endsWith("_email")) return pick(pools.text.filter((t) => t.includes("@")));
    const limit = schema.maxLength ?? 64;
    return pick([
      schema.example ?? "example",
      schema.example ?? "example",
      pick(pools.text),
      "",
      "x".repeat(Math.min(limit, 20_000)),
      "x".repeat(Math.min(limit + 1, 20_001)),
      "가".repeat(Math.min(limit, 2_000)),
      "a\u0000b",
      "😀 emoji",
      "  padded  ",
      "'; DROP TABLE brands; --",
      "%00%ff",
      "https://example.test/path?q=1",
      "javascript:alert(1)",
      "kr",
      "KRW",
      String(Math.floor(next() * 1e6)),
    ]);
  };

  const number = (schema: Schema, integer: boolean): unknown => {
    const min = schema.minimum ?? -(2 ** 53);
    const max = schema.maximum ?? 2 ** 53;
    return pick([
      min,
      max,
      min - 1,
      max + 1,
      0,
      1,
      -1,
      2 ** 31,
      2 ** 53 - 1,
      2 ** 53 + 2,
      1e308,
      integer ? 1.5 : 0.1,
      Math.floor(min + next() * Math.min(max - min, 1e6)),
    ]);
  };

  const value = (raw: Schema, name: string, depth: number): unknown => {
    const schema = resolve(raw);
    if (chance(0.04)) return wrongType();
    const variants = schema.anyOf ?? schema.oneOf;
    if (variants) return value(pick(variants), name, depth);
    if (schema.allOf) return value(schema.allOf[0] ?? {}, name, depth);
    const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "object"];
    const type = pick(types.length > 1 && chance(0.8) ? types.filter((t) => t !== "null") : types);
    switch (type) {
      case "null":
        return null;
      case "string":
        return text(schema, name);
      case "integer":
        return number(schema, true);
      case "number":
        return number(schema, false);
      case "boolean":
        return chance(0.5);
      case "array": {
        const count = depth > 3 ? 0 : pick([schema.minItems ?? 0, 1, 1, 2, 3]);
        return Array.from({ length: count }, () => value(schema.items ?? {}, name, depth + 1));
      }
      default: {
        if (depth > 4) return {};
        const out: Record<string, unknown> = {};
        const required = new Set(schema.required ?? []);
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          if (required.has(key) ? chance(0.97) : chance(0.5)) out[key] = value(property, key, depth + 1);
        }
        if (typeof schema.additionalProperties === "object" && !schema.properties) {
          for (let i = 0; i < pick([0, 1, 2]); i += 1)
            out[pick(["utm_source", "utm_medium", "clickid", "k\u0000", "", "x".repeat(50)])] = value(
              schema.additionalProperties,
              "value",
              depth + 1,
            );
        }
        if (chance(0.05)) out.unexpected = "field";
        return out;
      }
    }
  };

  return { value, idOf, chance };
}

describe("every operation of the API, fuzzed from its own schemas", () => {
  it("answers every generated request without a 5xx", async () => {
    const doc = (await call("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    };
    // Real rows to point at: a catalog tenant, a sales tenant with an order, a market, a store.
    const pools: Pools = { ids: new Map(), text: [] };
    const tenant = await createTenant();
    harvest(tenant, pools);
    const sales = await createSalesTenant();
    const body = orderBody(sales);
    const order = await postOrder(sales, body);
    expect(order.status, order.text).toBe(201);
    harvest([sales, order.body], pools);
    harvest(await ok("GET", `/api/v1/contacts?email=${encodeURIComponent(body.customer.email)}`), pools);
    harvest(await ok("GET", `/api/v1/markets?code=${sales.market.code}`), pools);
    pools.text.push(
      body.customer.email,
      "Ana@Example.com",
      "not-an-email",
      sales.market.code,
      "shopify",
      "card",
    );

    const failures: string[] = [];
    let requests = 0;
    const perOperation = 20;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        // Webhooks authenticate by a signature over the body: unsigned, they stop at 401 (or 503 unconfigured).
        if (skipped.has(`${method} ${path}`) || path.startsWith("/webhooks/")) continue;
        const next = seededRandom(requests + 17);
        const { value, idOf, chance } = generator(doc, pools, next);
        for (let round = 0; round < perOperation; round += 1) {
          const kind = kindOfSegment[path.split("/")[3] ?? ""];
          let url = path.replace("{id}", () =>
            encodeURIComponent(
              path.startsWith("/api/v1/captures")
                ? String(value({ format: "uuid", type: "string" }, "id", 0))
                : chance(0.85)
                  ? idOf(kind)
                  : "zz",
            ),
          );
          const query = new URLSearchParams();
          for (const parameter of operation.parameters ?? []) {
            if (parameter.in !== "query" || (!parameter.required && chance(0.5))) continue;
            const v = value(parameter.schema, parameter.name, 1);
            if (v !== null && typeof v !== "object") query.set(parameter.name, String(v));
          }
          if ([...query].length > 0) url += `?${query}`;
          const schema = operation.requestBody?.content?.["application/json"]?.schema;
          const payload = schema ? value(schema, "body", 0) : undefined;
          // Mostly the admin key; now and then a key limited to the sales tenant's brand.
          const key = chance(0.2) ? { key: sales.key } : {};
          const response = await call(
            method.toUpperCase(),
            url,
            payload === undefined ? key : { ...key, body: payload },
          );
          requests += 1;
          if (response.status >= 500)
            failures.push(
              `${method.toUpperCase()} ${url} ${JSON.stringify(payload)?.slice(0, 600)} → ${response.status} ${response.text.slice(0, 300)}`,
            );
        }
      }
    }
    expect(requests).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  }, 240_000);

  it("takes signed normalised email events whatever their values: a 4xx or queued, and every queued message consumed", async () => {
    const doc = (await call("GET", "/openapi.json")).body as {
      components: { schemas: Record<string, Schema> };
    };
    const schema = doc.components.schemas.NormalisedEmailEvents;
    if (!schema) throw new Error("the OpenAPI document has no NormalisedEmailEvents");
    const pools: Pools = { ids: new Map(), text: ["ana@example.com", "Ana.Lima+x@GoogleMail.com"] };
    harvest(await createTenant(), pools);
    const { value } = generator(doc, pools, seededRandom(99));
    const secret = `whsec-${rand()}`;
    const queued: unknown[] = [];
    const queue = {
      async send() {
        throw new Error("the webhooks send with sendBatch");
      },
      async sendBatch(messages: Iterable<MessageSendRequest>) {
        for (const { body } of messages) queued.push(JSON.parse(JSON.stringify(body)));
      },
    } as unknown as Queue;
    const failures: string[] = [];
    let accepted = 0;
    for (let round = 0; round < 60; round += 1) {
      const body = JSON.stringify(value(schema, "body", 0));
      const bytes = Uint8Array.from(new TextEncoder().encode(body));
      const response = await call("POST", "/webhooks/email", {
        key: null,
        rawBody: body,
        headers: { "x-leadrail-signature": await leadrailSignature(bytes, secret) },
        env: { EMAIL_WEBHOOK_SECRET: secret, EVENTS_QUEUE: queue },
      });
      if (response.status === 202) accepted += 1;
      else if (response.status >= 500)
        failures.push(`${body.slice(0, 400)} → ${response.status} ${response.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
    const batch = createMessageBatch(
      queueNames.events,
      queued.map((body, n) => ({ id: `fuzz-${rand()}-${n}`, timestamp: new Date(), attempts: 1, body })),
    );
    const ctx = createExecutionContext();
    const report = await processEventsBatch(batch, env as Env);
    const result = await getQueueResult(batch, ctx);
    expect({
      acked: result.explicitAcks.length,
      retried: result.retryMessages.length,
      fallback: report.fallback,
    }).toEqual({
      acked: queued.length,
      retried: 0,
      fallback: false,
    });
  });
});

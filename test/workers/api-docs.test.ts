import { describe, expect, it } from "vitest";
import { call } from "../support/api.ts";

const paths: Record<string, string[]> = {
  "/healthz": ["get"],
  "/api/v1/brands": ["get", "post"],
  "/api/v1/brands/{id}": ["get"],
  "/api/v1/themes": ["get", "post"],
  "/api/v1/themes/{id}": ["get"],
  "/api/v1/partners": ["get", "post"],
  "/api/v1/partners/{id}": ["get", "patch"],
  "/api/v1/partners/{id}/postbacks/resume": ["post"],
  "/api/v1/partners/{id}/postbacks/test": ["post"],
  "/api/v1/products": ["get", "post"],
  "/api/v1/products/{id}": ["get"],
  "/api/v1/landings": ["get", "post"],
  "/api/v1/landings/{id}": ["get", "patch"],
  "/api/v1/rules": ["get", "post"],
  "/api/v1/rules/{id}": ["delete", "get", "patch"],
  "/api/v1/captures/{id}": ["get"],
  "/api/v1/contacts": ["get"],
  "/api/v1/contacts/{id}/unsubscribe": ["post"],
  "/api/v1/api-keys": ["get", "post"],
  "/api/v1/api-keys/{id}": ["delete"],
  "/api/v1/admin/publish": ["post"],
  "/api/v1/failed-events": ["get"],
  "/api/v1/failed-events/replay": ["post"],
  "/api/v1/markets": ["get", "post"],
  "/api/v1/markets/{id}": ["delete", "get", "patch"],
  "/api/v1/stores": ["get", "post"],
  "/api/v1/stores/{id}": ["delete", "get", "patch"],
  "/api/v1/subscriptions": ["get"],
  "/api/v1/subscriptions/{id}": ["get"],
  "/api/v1/subscriptions/{id}/transitions": ["post"],
  "/api/v1/orders": ["get", "post"],
  "/api/v1/orders/{id}": ["get"],
  "/api/v1/orders/cafe24": ["post"],
  "/api/v1/payments": ["post"],
  "/api/v1/refunds": ["post"],
  "/api/v1/accounts": ["get"],
  "/api/v1/accounts/{id}": ["get"],
  "/api/v1/contacts/{id}/accounts": ["get"],
  "/api/v1/invoices/{id}": ["get"],
  "/api/v1/credit-notes/{id}": ["get"],
  "/webhooks/shopify/orders-create": ["post"],
  "/webhooks/shopify/refunds-create": ["post"],
  "/api/v1/relay-targets": ["get", "post"],
  "/api/v1/relay-targets/{id}": ["delete", "get", "patch"],
  "/api/v1/relays": ["get"],
  "/api/v1/relays/resend": ["post"],
  "/api/v1/relays/{id}": ["get"],
  "/api/v1/conversions": ["get"],
  "/webhooks/email/sendgrid": ["post"],
  "/webhooks/email": ["post"],
};

describe("API description", () => {
  it("serves an OpenAPI 3.1 document with every path and operation", async () => {
    const response = await call("GET", "/openapi.json", { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = JSON.parse(response.text);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("leadrail API");
    const documented = Object.fromEntries(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).map(([path, operations]) => [
        path,
        Object.keys(operations).sort(),
      ]),
    );
    expect(documented).toEqual(paths);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.Problem.properties).toHaveProperty("errors");
    // Every reference resolves inside the document.
    const refs: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) {
          if (key === "$ref" && typeof item === "string") refs.push(item);
          else walk(item);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
      expect(target, ref).toBeTypeOf("object");
    }
    // Every authenticated operation says so, and documents its problem responses.
    for (const [path, operations] of Object.entries(
      doc.paths as Record<
        string,
        Record<
          string,
          { security?: unknown; responses: Record<string, { content?: Record<string, unknown> }> }
        >
      >,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path === "/healthz") continue;
        // Store webhooks authenticate by their signature, not an API key; a bad one is still a documented 401.
        if (path.startsWith("/webhooks/")) expect(operation.security, `${method} ${path}`).toBeUndefined();
        else expect(operation.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
        expect(operation.responses["401"]?.content, `${method} ${path}`).toHaveProperty([
          "application/problem+json",
        ]);
      }
    }
  });

  it("serves an interactive reference at /docs", async () => {
    const response = await call("GET", "/docs", { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.text).toContain("<title>leadrail API</title>");
    expect(response.text).toContain("/openapi.json");
  });

  it("reports database reachability at /healthz", async () => {
    const response = await call("GET", "/healthz", { key: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok", database: "ok", database_latency_ms: expect.any(Number) });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiReferenceBundlePath } from "../../api/docs-assets.ts";
import { call } from "../support/api.ts";
import { installedApiReferenceBundle } from "../support/docs-assets.ts";

const origin = "https://api.leadrail.test";

/** Every URL the page would load or link: src and href attributes, CSS url(), and any absolute URL in it. */
function referencedUrls(html: string): string[] {
  const urls: string[] = [];
  for (const match of html.matchAll(/\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    urls.push(match[1] ?? match[2] ?? match[3] ?? "");
  }
  for (const match of html.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)/gi)) {
    urls.push((match[1] ?? match[2] ?? match[3] ?? "").trim());
  }
  for (const match of html.matchAll(/(?:[a-z][a-z0-9+.-]*:)?\/\/[^\s"'<>)]+/gi)) urls.push(match[0]);
  return urls;
}

const paths: Record<string, string[]> = {
  "/healthz": ["get"],
  "/api/v1/brands": ["get", "post"],
  "/api/v1/brands/{id}": ["get"],
  "/api/v1/brands/{brand}/ga4": ["delete", "get", "put"],
  "/api/v1/brands/{brand}/messaging-settings": ["get", "put"],
  "/api/v1/brands/{brand}/opt-outs": ["post"],
  "/api/v1/brands/{brand}/consents/reconfirm": ["post"],
  "/api/v1/message-templates": ["get", "post"],
  "/api/v1/message-templates/{id}": ["get", "patch"],
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
  "/api/v1/batch-runs": ["get"],
  "/api/v1/analytics/ltv": ["get"],
  "/api/v1/analytics/coupon-roi": ["get"],
  "/api/v1/analytics/campaign-roi": ["get"],
  "/api/v1/analytics/retention": ["get"],
  "/api/v1/analytics/acquisition": ["get"],
  "/api/v1/analytics/scatter": ["get"],
  "/api/v1/rfm/recompute": ["post"],
  "/api/v1/rfm/heatmap": ["get"],
  "/api/v1/markets": ["get", "post"],
  "/api/v1/markets/{id}": ["delete", "get", "patch"],
  "/api/v1/stores": ["get", "post"],
  "/api/v1/stores/{id}": ["delete", "get", "patch"],
  "/api/v1/subscriptions": ["get"],
  "/api/v1/subscriptions/{id}": ["get"],
  "/api/v1/subscriptions/{id}/transitions": ["post"],
  "/api/v1/orders": ["get", "post"],
  "/api/v1/orders/{id}": ["get"],
  "/api/v1/orders/{id}/cancel": ["post"],
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
  "/webhooks/shopify/{topic}": ["post"],
  "/api/v1/relay-targets": ["get", "post"],
  "/api/v1/relay-targets/{id}": ["delete", "get", "patch"],
  "/api/v1/relays": ["get"],
  "/api/v1/relays/resend": ["post"],
  "/api/v1/relays/{id}": ["get"],
  "/api/v1/conversions": ["get"],
  "/api/v1/influencers": ["get", "post"],
  "/api/v1/influencers/{id}": ["get", "patch"],
  "/api/v1/acquisition-rules": ["get", "post"],
  "/api/v1/acquisition-rules/{id}": ["delete", "get", "patch"],
  "/api/v1/acquisition/classify": ["post"],
  "/api/v1/cohorts/preview": ["post"],
  "/api/v1/cohorts": ["get", "post"],
  "/api/v1/cohorts/{id}": ["delete", "get", "patch"],
  "/api/v1/cohorts/{id}/members": ["get"],
  "/api/v1/cohorts/{id}/snapshots": ["get", "post"],
  "/api/v1/cohorts/{id}/snapshots/diff": ["get"],
  "/api/v1/cohorts/{id}/snapshots/{snapshot}/members": ["get"],
  "/api/v1/campaigns": ["get", "post"],
  "/api/v1/campaigns/{id}": ["get", "patch"],
  "/api/v1/campaigns/{id}/launch": ["post"],
  "/api/v1/campaigns/{id}/pause": ["post"],
  "/api/v1/campaigns/{id}/resume": ["post"],
  "/api/v1/campaigns/{id}/complete": ["post"],
  "/api/v1/campaigns/{id}/cancel": ["post"],
  "/api/v1/rfm/cells/cohort": ["post"],
  "/api/v1/campaigns/{id}/funnel": ["get"],
  "/api/v1/experiments/{id}/results": ["get"],
  "/webhooks/email/sendgrid": ["post"],
  "/webhooks/email": ["post"],
  "/webhooks/commerce": ["post"],
  "/webhooks/cafe24": ["post"],
  "/webhooks/messaging/solapi": ["post"],
  "/webhooks/messaging/opt-outs": ["post"],
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

  it("serves an interactive reference at /docs that loads nothing from another origin", async () => {
    const response = await call("GET", "/docs", { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.text).toContain("<title>leadrail API</title>");
    const urls = referencedUrls(response.text);
    // The one script is the Worker's own copy of the bundle; nothing else is loaded or linked.
    expect(urls).toEqual([apiReferenceBundlePath]);
    for (const url of urls) expect(new URL(url, `${origin}/docs`).origin, url).toBe(origin);
    expect(response.text).not.toMatch(/https?:/);
    // The bundle is told to fetch no web fonts and to offer none of Scalar's hosted services.
    const config = /Scalar\.createApiReference\('#app', (\{[\s\S]*?\})\)\s*<\/script>/.exec(
      response.text,
    )?.[1];
    expect(JSON.parse(config ?? "null")).toEqual({
      _integration: "hono",
      url: "/openapi.json",
      withDefaultFonts: false,
      showDeveloperTools: "never",
      agent: { disabled: true },
      telemetry: false,
    });
    const document = await call("GET", "/openapi.json", { key: null });
    expect(document.status).toBe(200);
    expect(JSON.parse(document.text).info.title).toBe("leadrail API");
  });

  it("serves the script /docs loads from the Worker's static assets: the installed bundle, byte for byte", async () => {
    const page = await call("GET", "/docs", { key: null });
    const [script] = referencedUrls(page.text);
    expect(script).toBe(apiReferenceBundlePath);
    const expected = installedApiReferenceBundle;
    for (const method of ["GET", "HEAD"]) {
      const response = await exports.default.fetch(
        new Request(new URL(script ?? "", `${origin}/docs`), { method }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (method === "HEAD") {
        expect(bytes.length).toBe(0);
        continue;
      }
      expect(bytes.length).toBe(expected.bytes);
      const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
        .map((byte) => byte.toString(16).padStart(2, "0"))
        .join("");
      expect(digest).toBe(expected.sha256);
      // Scalar's banner, then the code that defines the global the page calls.
      expect(new TextDecoder().decode(bytes.subarray(0, 400))).toMatch(
        /^\/\*\*\n[\s\S]*@scalar\/api-reference \d+\.\d+\.\d+\n/,
      );
    }
  });

  it("answers 404 for a file the assets do not have, and never hands other paths to them", async () => {
    const missing = await call("GET", "/docs/assets/nothing-here.js", { key: null });
    expect(missing.status).toBe(404);
    // The bundle's name outside the prefix is an API path like any other: the API's problem+json 404.
    const outside = await call("GET", "/scalar-api-reference.js", { key: null });
    expect(outside.status).toBe(404);
    expect(outside.headers.get("content-type")).toBe("application/problem+json");
    const nested = await call("GET", `/api/v1${apiReferenceBundlePath}`, { key: null });
    expect(nested.status).toBe(401);
  });

  it("reports database reachability at /healthz", async () => {
    const response = await call("GET", "/healthz", { key: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok", database: "ok", database_latency_ms: expect.any(Number) });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});

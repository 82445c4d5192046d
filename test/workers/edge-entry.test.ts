import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { codec, freshEmail, freshId, globalFallback, landingUrl, seedLanding } from "./edge-harness.ts";

/** The edge through the Worker's own fetch entry (workers/index.ts), with the configured bindings and queue. */
describe("the Worker entry", () => {
  const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("redirects an unknown landing to the global fallback", async () => {
    const response = await exports.default.fetch(
      new Request(landingUrl(codec.encode("landing", freshId()), `email=${freshEmail()}`), {
        redirect: "manual",
      }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(response.headers.get("x-capture-id")).toMatch(uuidV7);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers a form POST without an email with 303 to the landing's fallback", async () => {
    const landing = await seedLanding();
    const response = await exports.default.fetch(
      new Request(landingUrl(landing.ref), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "name=Ada",
        redirect: "manual",
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(response.headers.get("x-capture-id")).toMatch(uuidV7);
  });

  it("gives every capture its own id", async () => {
    const landing = await seedLanding({ active: false });
    const ids = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const response = await exports.default.fetch(
        new Request(landingUrl(landing.ref, `email=${freshEmail()}`), { redirect: "manual" }),
      );
      expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
      ids.add(response.headers.get("x-capture-id") ?? "");
    }
    expect(ids.size).toBe(5);
  });

  it("answers other methods with 405 and other /l/ paths with 404", async () => {
    const landing = await seedLanding();
    const put = await exports.default.fetch(
      new Request(landingUrl(landing.ref), { method: "PUT", body: "x" }),
    );
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");
    const nested = await exports.default.fetch(new Request("https://edge.leadrail.test/l/a/b"));
    expect(nested.status).toBe(404);
  });
});

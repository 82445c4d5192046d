import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { knowledgeKey } from "../../domain/contacts/knowledge.ts";
import { landingKey, partnerKey } from "../../domain/routing/edge-config.ts";
import { clearEdgeCaches } from "../../workers/edge/config-store.ts";
import { handleEdgeRequest } from "../../workers/edge/router.ts";
import { call, freshEmail, harness, landingUrl, rule, seedKnowledge, seedLanding } from "./edge-harness.ts";

/** The per-isolate cache of KV documents, with a TTL above 0 (the other tests run with 0: no cache). */
describe("edge cache", () => {
  afterEach(() => clearEdgeCaches());

  it("asks KV to keep every document it reads for 30 s at the location (the platform's minimum, not its 60 s default)", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const { response } = await call(h, new Request(landingUrl(landing.ref, `email=${freshEmail()}`)));
    expect(response.headers.get("location")).toBe("https://offers.test/any");
    // The landing, the rules, the partner and the knowledge entry.
    expect(h.readOptions).toEqual(Array(4).fill({ type: "json", cacheTtl: 30 }));
  });

  it("serves landings, rules and knowledge from memory within the TTL", async () => {
    clearEdgeCaches();
    const landing = await seedLanding();
    const h = await harness({
      rules: [
        rule({ knowledge: "unknown", targetUrl: "https://offers.test/unknown" }),
        rule({ knowledge: "known", targetUrl: "https://offers.test/known" }),
      ],
      vars: { EDGE_CACHE_TTL_MS: "60000" },
    });
    const email = freshEmail();
    const url = landingUrl(landing.ref, `email=${email}`);
    const first = await call(h, new Request(url));
    expect(first.response.headers.get("location")).toBe("https://offers.test/unknown");
    const reads = h.configReads.length;

    // Change everything in KV: the cached copies still decide.
    await seedKnowledge(email, []);
    await env.EDGE_CONFIG.put(landingKey(landing.doc.id), JSON.stringify({ ...landing.doc, active: false }));
    const second = await call(h, new Request(url));
    expect(second.response.headers.get("location")).toBe("https://offers.test/unknown");
    expect(h.configReads.length).toBe(reads);

    clearEdgeCaches();
    const third = await call(h, new Request(url));
    expect(third.response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(third.message.edge.fallbackReason).toBe("inactive_landing");
    expect(third.message.edge.knowledge).toBe("known");
    await env.KNOWLEDGE.delete(knowledgeKey(sha256Hex(email)));
  });

  it("does not keep a failed read", async () => {
    clearEdgeCaches();
    const landing = await seedLanding();
    const failing = await harness({ failConfig: "landing", vars: { EDGE_CACHE_TTL_MS: "60000" } });
    const failed = await call(failing, new Request(landingUrl(landing.ref, `email=${freshEmail()}`)));
    expect(failed.message.edge.fallbackReason).toBe("kv_error");
    const working = await harness({ vars: { EDGE_CACHE_TTL_MS: "60000" } });
    const ok = await call(working, new Request(landingUrl(landing.ref, `email=${freshEmail()}`)));
    expect(ok.message.edge.fallbackReason).toBe("no_match");
  });

  it("never shares a pending read between requests: concurrent misses each read, later requests hit", async () => {
    clearEdgeCaches();
    const landing = await seedLanding();
    const h = await harness({
      rules: [rule({ targetUrl: "https://offers.test/any" })],
      vars: { EDGE_CACHE_TTL_MS: "60000" },
    });
    const visit = async () => {
      const ctx = createExecutionContext();
      const response = await handleEdgeRequest(
        new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
        h.env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response.headers.get("location");
    };
    // Each request awaits only promises of its own: a read another request started is not waited for.
    expect(await Promise.all([visit(), visit(), visit()])).toEqual(Array(3).fill("https://offers.test/any"));
    expect(h.configReads.sort()).toEqual([
      landingKey(landing.doc.id),
      landingKey(landing.doc.id),
      landingKey(landing.doc.id),
      // The landing's partner document (whether its postback rides on the redirect), none published here.
      partnerKey(landing.doc.partnerId),
      partnerKey(landing.doc.partnerId),
      partnerKey(landing.doc.partnerId),
      "rules",
      "rules",
      "rules",
    ]);
    expect(await visit()).toBe("https://offers.test/any");
    expect(h.configReads.length).toBe(9);
  });
});

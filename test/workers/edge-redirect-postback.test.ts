import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type PartnerDoc, partnerKey } from "../../domain/routing/edge-config.ts";
import { ids, ok, rand } from "../support/api.ts";
import { call, freshEmail, harness, landingUrl, rule, seedKnowledge, seedLanding } from "./edge-harness.ts";

const form = (fields: Record<string, string>): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

async function seedPartner(id: number, redirectPostback: PartnerDoc["redirectPostback"]): Promise<void> {
  const doc: PartnerDoc = { v: 1, id, active: true, signingSecret: null, redirectPostback };
  await env.EDGE_CONFIG.put(partnerKey(id), JSON.stringify(doc));
}

describe("redirect postbacks at the edge", () => {
  it("sends a new lead through the partner's network URL, which forwards to the rule's page", async () => {
    const landing = await seedLanding();
    await seedPartner(landing.doc.partnerId, {
      urlTemplate:
        "https://track.network.test/lead?cid={click_id}&e={event}&id={capture_id}&to={redirect_url}",
      events: ["lead_accepted"],
      payout: 0,
      currency: null,
    });
    const h = await harness({
      rules: [rule({ brandId: landing.doc.brandId, targetUrl: "https://offers.test/thanks?c={capture_id}" })],
    });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref), form({ email: freshEmail(), clickid: "net-42" })),
    );
    const captureId = response.headers.get("x-capture-id") ?? "";
    const target = `https://offers.test/thanks?c=${captureId}`;
    const expected = `https://track.network.test/lead?cid=net-42&e=lead_accepted&id=${captureId}&to=${encodeURIComponent(target)}`;
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(expected);
    // The capture records the redirect as given.
    expect(message.edge.response.location).toBe(expected);
    expect(message.edge.fallbackReason).toBeNull();
  });

  it("keeps the network's URL for a click id cut at 2,048 units inside an emoji: the emoji goes whole", async () => {
    const landing = await seedLanding();
    await seedPartner(landing.doc.partnerId, {
      urlTemplate: "https://track.network.test/lead?cid={click_id}&p={payout}&to={redirect_url}",
      events: ["lead_accepted"],
      payout: 1500,
      currency: "USD",
    });
    const h = await harness({
      rules: [rule({ brandId: landing.doc.brandId, targetUrl: "https://offers.test/long?c={click_id}" })],
    });
    const clickId = `${"a".repeat(2047)}😀`;
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref), form({ email: freshEmail(), clickid: clickId })),
    );
    const kept = "a".repeat(2047);
    const target = `https://offers.test/long?c=${kept}`;
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(
      `https://track.network.test/lead?cid=${kept}&p=15.00&to=${encodeURIComponent(target)}`,
    );
    expect(message.edge.fallbackReason).toBeNull();
    expect(message.request.fields.clickid).toBe(kept);
    expect(message.request.truncatedFields).toEqual({ clickid: 2049 });
  });

  it("sends an active contact of the brand (a duplicate) and a partner without a redirect postback straight to the page", async () => {
    const landing = await seedLanding();
    await seedPartner(landing.doc.partnerId, {
      urlTemplate: "https://track.network.test/lead?to={redirect_url}",
      events: ["lead_accepted"],
      payout: 0,
      currency: null,
    });
    const h = await harness({
      rules: [rule({ brandId: landing.doc.brandId, targetUrl: "https://offers.test/again" })],
    });
    const email = freshEmail();
    await seedKnowledge(email, [landing.doc.brandId]);
    const duplicate = await call(h, new Request(landingUrl(landing.ref), form({ email })));
    expect(duplicate.response.headers.get("location")).toBe("https://offers.test/again");

    const plain = await seedLanding();
    await seedPartner(plain.doc.partnerId, null);
    const h2 = await harness({
      rules: [rule({ brandId: plain.doc.brandId, targetUrl: "https://offers.test/plain" })],
    });
    const direct = await call(h2, new Request(landingUrl(plain.ref), form({ email: freshEmail() })));
    expect(direct.response.headers.get("location")).toBe("https://offers.test/plain");

    // No partner document at all (never published): the page too.
    const missing = await seedLanding();
    const h3 = await harness({
      rules: [rule({ brandId: missing.doc.brandId, targetUrl: "https://offers.test/none" })],
    });
    const none = await call(h3, new Request(landingUrl(missing.ref), form({ email: freshEmail() })));
    expect(none.response.headers.get("location")).toBe("https://offers.test/none");
  });
});

describe("publishing a partner's redirect postback", () => {
  it("writes it into the partner's edge document on create and on every change", async () => {
    const suffix = rand();
    const created = await ok("POST", "/api/v1/partners", {
      body: {
        name: `Network ${suffix}`,
        slug: `network-${suffix}`,
        postback_url: "https://track.network.test/lead?cid={click_id}&to={redirect_url}",
        postback_method: "redirect",
        postback_events: ["lead_accepted"],
        payout: 250,
        payout_currency: "USD",
      },
    });
    const id = ids.decode("partner", created.id) ?? 0;
    const doc = async () => (await env.EDGE_CONFIG.get(partnerKey(id), "json")) as PartnerDoc | null;
    expect((await doc())?.redirectPostback).toEqual({
      urlTemplate: "https://track.network.test/lead?cid={click_id}&to={redirect_url}",
      events: ["lead_accepted"],
      payout: 250,
      currency: "USD",
    });
    await ok("PATCH", `/api/v1/partners/${created.id}`, { body: { postback_method: "get" } });
    expect((await doc())?.redirectPostback).toBeNull();
  });
});

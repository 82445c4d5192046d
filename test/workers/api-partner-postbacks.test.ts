import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { partners } from "../../db/schema/catalog.ts";
import { partnerKey } from "../../domain/routing/edge-config.ts";
import { call, expectProblem, ids, insertApiKey, ok, rand, withDb } from "../support/api.ts";

const secret = "whsec_0123456789abcdef";

async function storedPartner(hashId: string) {
  const id = ids.decode("partner", hashId);
  if (id === null) throw new Error("partner id does not decode");
  const [row] = await withDb((db) => db.select().from(partners).where(eq(partners.id, id)));
  if (!row) throw new Error("no partner row");
  return row;
}

describe("partner postback settings", () => {
  it("creates a partner with every postback setting; the secret is write-only", async () => {
    const slug = `net-${rand()}`;
    const response = await call("POST", "/api/v1/partners", {
      body: {
        name: "Net",
        slug,
        postback_url: "https://pb.net.example/p?c={click_id}&amt={payout}&cur={currency}",
        postback_method: "post",
        postback_events: ["sale", "refund"],
        postback_content_type: "form",
        postback_headers: { "X-Api-Key": "k_live_abcdefghijklmnop", "X-Source": "leadrail" },
        signing_secret: secret,
        payout: 12_500,
        payout_currency: "KRW",
        postback_delay_seconds: 60,
        postback_failure_limit: 5,
      },
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: "Net",
      slug,
      click_id_param: "click_id",
      transaction_id_param: "transaction_id",
      postback_url: "https://pb.net.example/p?c={click_id}&amt={payout}&cur={currency}",
      postback_method: "post",
      postback_events: ["sale", "refund"],
      postback_content_type: "form",
      postback_headers: { "X-Api-Key": "k_li****", "X-Source": "leadrail" },
      has_signing_secret: true,
      payout: 12_500,
      payout_currency: "KRW",
      postback_delay_seconds: 60,
      postback_failure_limit: 5,
      postback_consecutive_failures: 0,
      postbacks_paused_at: null,
      created_at: expect.any(String),
    });
    expect(response.text).not.toContain(secret);
    expect(response.text).not.toContain("k_live_abcdefghijklmnop");
    const row = await storedPartner(response.body.id);
    expect(row.signingSecret).toBe(secret);
    expect(row.postbackHeaders).toEqual({ "X-Api-Key": "k_live_abcdefghijklmnop", "X-Source": "leadrail" });
  });

  it("changes only the given fields; null removes the secret; the pause state is shown", async () => {
    const created = await ok("POST", "/api/v1/partners", {
      body: { name: "Net", slug: `net-${rand()}`, signing_secret: secret },
    });
    const changed = await ok("PATCH", `/api/v1/partners/${created.id}`, {
      body: {
        postback_url: "https://pb.net.example/{event}?tx={transaction_id}",
        postback_events: ["lead_accepted", "sale"],
        payout: 300,
        payout_currency: "USD",
        postback_headers: { Authorization: "Bearer abc" },
      },
    });
    expect(changed).toEqual({
      ...created,
      postback_url: "https://pb.net.example/{event}?tx={transaction_id}",
      postback_events: ["lead_accepted", "sale"],
      payout: 300,
      payout_currency: "USD",
      postback_headers: { Authorization: "Bearer ****" },
    });
    expect((await storedPartner(created.id)).signingSecret).toBe(secret);

    const paused = new Date("2026-11-22T10:00:00.000Z");
    await withDb((db) =>
      db
        .update(partners)
        .set({ postbacksPausedAt: paused, postbackConsecutiveFailures: 25 })
        .where(eq(partners.id, ids.decode("partner", created.id) ?? 0)),
    );
    const removed = await ok("PATCH", `/api/v1/partners/${created.id}`, {
      body: { signing_secret: null, postback_method: "redirect" },
    });
    expect(removed).toMatchObject({
      has_signing_secret: false,
      postback_method: "redirect",
      postback_consecutive_failures: 25,
      postbacks_paused_at: paused.toISOString(),
    });
    expect(await ok("GET", `/api/v1/partners/${created.id}`)).toEqual(removed);
    expect((await storedPartner(created.id)).signingSecret).toBeNull();
    // The edge's document follows the secret (it verifies the partner's /pb conversions).
    const internal = ids.decode("partner", created.id) ?? 0;
    expect(await env.EDGE_CONFIG.get(partnerKey(internal), "json")).toEqual({
      v: 1,
      id: internal,
      active: true,
      signingSecret: null,
      // The partner's postbacks ride on the visitor's redirect, so the edge gets them too.
      redirectPostback: {
        urlTemplate: "https://pb.net.example/{event}?tx={transaction_id}",
        events: ["lead_accepted", "sale"],
        payout: 300,
        currency: "USD",
      },
    });
    await ok("PATCH", `/api/v1/partners/${created.id}`, { body: { signing_secret: `${secret}-2` } });
    expect(await env.EDGE_CONFIG.get(partnerKey(internal), "json")).toMatchObject({
      signingSecret: `${secret}-2`,
    });
    // An empty change is allowed and changes nothing.
    expect(await ok("PATCH", `/api/v1/partners/${created.id}`, { body: {} })).toEqual({
      ...removed,
      has_signing_secret: true,
    });
  });

  it("refuses bad settings with 422 naming each field and writes nothing", async () => {
    const created = await ok("POST", "/api/v1/partners", { body: { name: "Net", slug: `net-${rand()}` } });
    const before = await storedPartner(created.id);
    expectProblem(
      await call("PATCH", `/api/v1/partners/${created.id}`, {
        body: {
          postback_url: "https://pb.net.example/?a={amount}",
          postback_method: "put",
          postback_content_type: "xml",
          postback_headers: { "Content-Type": "text/plain" },
          signing_secret: "short",
          postback_events: ["lead_accepted", "click"],
          payout: -1,
          payout_currency: "krw",
          postback_delay_seconds: 86_401,
          postback_failure_limit: 0,
          slug: "renamed",
        },
      }),
      422,
      [
        { field: "postback_url", category: "malformed" },
        { field: "postback_method", category: "not_allowed" },
        { field: "postback_events.1", category: "not_allowed" },
        { field: "postback_content_type", category: "not_allowed" },
        { field: "postback_headers.Content-Type", category: "not_allowed" },
        { field: "signing_secret", category: "too_short" },
        { field: "payout", category: "out_of_range" },
        { field: "payout_currency", category: "malformed" },
        { field: "postback_delay_seconds", category: "out_of_range" },
        { field: "postback_failure_limit", category: "out_of_range" },
        { field: "slug", category: "not_allowed" },
      ],
    );
    expectProblem(
      await call("PATCH", `/api/v1/partners/${created.id}`, {
        body: { postback_url: "https://{click_id}.example/", postback_headers: { "X-A": "x\r\ny" } },
      }),
      422,
      [
        { field: "postback_url", category: "malformed" },
        { field: "postback_headers.X-A", category: "malformed" },
      ],
    );
    // A payout needs a currency, on change as on create.
    expectProblem(await call("PATCH", `/api/v1/partners/${created.id}`, { body: { payout: 100 } }), 422, [
      { field: "payout_currency", category: "missing" },
    ]);
    expectProblem(
      await call("POST", "/api/v1/partners", { body: { name: "N", slug: `n-${rand()}`, payout: 100 } }),
      422,
      [{ field: "payout_currency", category: "missing" }],
    );
    expect(await storedPartner(created.id)).toEqual(before);
  });

  it("needs a key for all brands; an unknown partner is a 404", async () => {
    const created = await ok("POST", "/api/v1/partners", { body: { name: "Net", slug: `net-${rand()}` } });
    const scoped = await insertApiKey({ brandIds: [1] });
    expectProblem(
      await call("PATCH", `/api/v1/partners/${created.id}`, { key: scoped.key, body: { payout: 0 } }),
      403,
    );
    expectProblem(
      await call("PATCH", `/api/v1/partners/${created.id}`, { key: null, body: { payout: 0 } }),
      401,
    );
    expectProblem(
      await call("PATCH", `/api/v1/partners/${ids.encode("partner", 2 ** 40)}`, { body: { payout: 0 } }),
      404,
    );
    expectProblem(await call("PATCH", "/api/v1/partners/nope", { body: { payout: 0 } }), 404);
  });
});

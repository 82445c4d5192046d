import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { partners } from "../../db/schema/catalog.ts";
import { relayAttempts, relayJobs } from "../../db/schema/relay.ts";
import { signature } from "../../domain/relay/delivery.ts";
import { call, expectProblem, ids, insertApiKey, ok, rand, withDb } from "../support/api.ts";
import { relaySink, seenBySink } from "../support/relay-sink.ts";

const secret = "whsec_test_fire_0123456789";

async function partnerWith(settings: Record<string, unknown>): Promise<{ id: string; internal: number }> {
  const partner = await ok("POST", "/api/v1/partners", {
    body: { name: "Net", slug: `net-${rand()}`, ...settings },
  });
  return { id: partner.id, internal: ids.decode("partner", partner.id) ?? 0 };
}

describe("test postback", () => {
  it("sends a signed JSON post with sample macros and shows the request and the answer", async () => {
    const key = `fire-${rand()}`;
    const partner = await partnerWith({
      postback_url: `${relaySink}/sink/${key}/ok?c={click_id}&e={event}`,
      postback_method: "post",
      postback_events: ["sale"],
      postback_headers: { "X-Api-Key": "k_live_abcdefghijklmnop" },
      signing_secret: secret,
      payout: 1_500,
      payout_currency: "EUR",
    });
    const response = await call("POST", `/api/v1/partners/${partner.id}/postbacks/test`);
    expect(response.status, response.text).toBe(200);
    const macros = {
      click_id: "test-click-id",
      transaction_id: "test-transaction-id",
      // 1500 minor units of EUR: 15.00 in the currency's unit.
      payout: "15.00",
      payout_minor: "1500",
      currency: "EUR",
      event: "sale",
      capture_id: "00000000-0000-7000-8000-000000000000",
      sub1: "test-sub1",
      sub2: "test-sub2",
      sub3: "test-sub3",
      sub4: "test-sub4",
      sub5: "test-sub5",
    };
    const url = `${relaySink}/sink/${key}/ok?c=test-click-id&e=sale`;
    expect(response.body).toEqual({
      event: "sale",
      request: {
        method: "POST",
        url,
        headers: {
          "X-Leadrail-Test": "1",
          "X-Api-Key": "k_li****",
          "Content-Type": "application/json",
          "User-Agent": "leadrail-relay/1",
          "X-Leadrail-Signature": expect.stringMatching(/^t=\d+,v1=\*\*\*\*$/),
        },
        body: JSON.stringify(macros),
      },
      response: { status: 200, body: expect.any(String), truncated: false },
      latency_ms: expect.any(Number),
      error: null,
      succeeded: true,
    });
    expect(response.text).not.toContain("abcdefghijklmnop");
    const seen = await seenBySink(key);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe("POST");
    expect(request?.body).toBe(JSON.stringify(macros));
    expect(request?.headers["x-api-key"]).toBe("k_live_abcdefghijklmnop");
    expect(request?.headers["x-leadrail-test"]).toBe("1");
    // The signature verifies with the partner's secret over "<t>.<body>".
    const header = request?.headers["x-leadrail-signature"] ?? "";
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    expect(header).toBe(await signature(secret, t, JSON.stringify(macros)));
    // Nothing is stored; the failure counter does not move.
    const [jobs] = await withDb((db) =>
      db.select({ n: count() }).from(relayJobs).where(eq(relayJobs.partnerId, partner.internal)),
    );
    expect(jobs?.n).toBe(0);
  });

  it("reports a failing endpoint (capped body) and one that drops the connection, storing nothing", async () => {
    const key = `fire-${rand()}`;
    const partner = await partnerWith({
      postback_url: `${relaySink}/sink/${key}/fail?e={event}`,
      postback_events: ["lead_accepted", "refund"],
    });
    const failed = await ok("POST", `/api/v1/partners/${partner.id}/postbacks/test`, {
      body: { event: "refund" },
    });
    expect(failed).toMatchObject({
      event: "refund",
      request: { method: "GET", url: `${relaySink}/sink/${key}/fail?e=refund`, body: null },
      response: { status: 500, truncated: true },
      error: null,
      succeeded: false,
    });
    expect(failed.response.body).toHaveLength(4096);

    await ok("PATCH", `/api/v1/partners/${partner.id}`, {
      body: { postback_url: `${relaySink}/sink/${key}/drop` },
    });
    const dropped = await ok("POST", `/api/v1/partners/${partner.id}/postbacks/test`, { body: {} });
    expect(dropped).toMatchObject({ event: "lead_accepted", response: null, succeeded: false });
    expect(typeof dropped.error).toBe("string");
    const [row] = await withDb((db) => db.select().from(partners).where(eq(partners.id, partner.internal)));
    expect(row?.postbackConsecutiveFailures).toBe(0);
    expect(row?.postbacksPausedAt).toBeNull();
    const [attempts] = await withDb((db) =>
      db
        .select({ n: count() })
        .from(relayAttempts)
        .innerJoin(relayJobs, eq(relayJobs.id, relayAttempts.jobId))
        .where(eq(relayJobs.partnerId, partner.internal)),
    );
    expect(attempts?.n).toBe(0);
  });

  it("refuses a partner without a URL (422), a scoped key (403), an unknown partner (404)", async () => {
    const partner = await partnerWith({});
    expectProblem(await call("POST", `/api/v1/partners/${partner.id}/postbacks/test`), 422, [
      { field: "postback_url", category: "missing" },
    ]);
    expectProblem(
      await call("POST", `/api/v1/partners/${partner.id}/postbacks/test`, { body: { event: "click" } }),
      422,
      [{ field: "event", category: "not_allowed" }],
    );
    const scoped = await insertApiKey({ brandIds: [1] });
    expectProblem(
      await call("POST", `/api/v1/partners/${partner.id}/postbacks/test`, { key: scoped.key }),
      403,
    );
    expectProblem(
      await call("POST", `/api/v1/partners/${ids.encode("partner", 2 ** 40)}/postbacks/test`),
      404,
    );
  });
});

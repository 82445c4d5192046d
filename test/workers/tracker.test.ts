import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { captures } from "../../db/schema/capture.ts";
import { sha256HexSync } from "../../domain/core/sha256.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import type { Env } from "../../domain/platform/env.ts";
import { responseBodyCap } from "../../domain/relay/delivery.ts";
import { trackerScript } from "../../domain/tracking/script.ts";
import { trackerMessageSchema } from "../../queues/events/tracker-message.ts";
import worker from "../../workers/index.ts";
import { call, expectProblem, ids, insertApiKey, rand, recordingQueue, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
import { iphoneSafari, seoulCf } from "../support/fixtures.ts";
import { seedCampaign } from "../support/funnel.ts";
import { relaySink, seenBySink } from "../support/relay-sink.ts";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function edge(
  request: Request,
  overrides: Partial<Env> = {},
): Promise<{ response: Response; sent: unknown[] }> {
  const queue = recordingQueue();
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    request as unknown as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...overrides, EVENTS_QUEUE: queue },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { response, sent: queue.sent };
}

const collect = (
  body: string,
  headers: Record<string, string> = {},
  init: { userAgent?: string; cf?: Record<string, unknown> } = {},
) =>
  edge(
    new Request("https://edge.leadrail.test/collect", {
      method: "POST",
      headers: {
        "content-type": "text/plain;charset=UTF-8",
        origin: "https://shop.test",
        "user-agent": init.userAgent ?? iphoneSafari,
        ...headers,
      },
      body,
      cf: init.cf ?? seoulCf,
    } as RequestInit),
  );

const visitor = () => `v${rand()}${rand()}`;

function beacon(brand: string, fields: Record<string, unknown> = {}, events?: unknown[]) {
  const now = Date.now();
  return {
    v: 1,
    brand,
    vid: visitor(),
    sid: `s${rand()}${rand()}`,
    sent: now,
    ctx: {},
    events: events ?? [
      {
        type: "page_view",
        t: now - 1000,
        url: "https://shop.test/spring",
        ref: "https://google.com/",
        title: "Spring",
      },
    ],
    ...fields,
  };
}

describe("GET /t.js", () => {
  it("serves the script with cache headers and an ETag, and a 304 when it is current", async () => {
    const { response } = await edge(new Request("https://edge.leadrail.test/t.js"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600, stale-while-revalidate=86400");
    const etag = `"${sha256HexSync(trackerScript).slice(0, 32)}"`;
    expect(response.headers.get("etag")).toBe(etag);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.text()).toBe(trackerScript);

    const again = await edge(
      new Request("https://edge.leadrail.test/t.js", { headers: { "if-none-match": etag } }),
    );
    expect(again.response.status).toBe(304);
    expect(again.response.headers.get("etag")).toBe(etag);
    expect(await again.response.text()).toBe("");
    const head = await edge(new Request("https://edge.leadrail.test/t.js", { method: "HEAD" }));
    expect(head.response.status).toBe(200);
    const post = await edge(new Request("https://edge.leadrail.test/t.js", { method: "POST" }));
    expect(post.response.status).toBe(405);
  });
});

describe("POST /collect", () => {
  const brand = ids.encode("brand", 424_242);

  it("answers 204 with CORS for the page's origin and queues one tracker message", async () => {
    const body = beacon(brand, {
      ctx: { capture: "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", lr_m: "AbC123", gclid: "Cj0", ttclid: "Tt" },
    });
    body.events.push({
      type: "click",
      t: body.sent,
      url: "https://shop.test/spring",
      el: { tag: "a", href: "https://shop.test/buy", text: "Buy", id: null },
    });
    const before = Date.now();
    const { response, sent } = await collect(JSON.stringify(body));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.test");
    expect(response.headers.get("vary")).toBe("Origin");
    expect(sent).toHaveLength(1);
    const message = trackerMessageSchema.parse(sent[0]);
    expect(message).toEqual({
      type: "tracker",
      brandId: 424_242,
      visitorId: body.vid,
      sessionId: body.sid,
      captureId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      linkToken: "AbC123",
      clickIds: { gclid: "Cj0", ttclid: "Tt" },
      receivedAt: expect.any(String),
      country: "KR",
      userAgent: iphoneSafari,
      bot: false,
      events: [
        {
          id: expect.stringMatching(uuidV7),
          type: "page_view",
          url: "https://shop.test/spring",
          referrer: "https://google.com/",
          title: "Spring",
          element: null,
          occurredAt: expect.any(String),
        },
        {
          id: expect.stringMatching(uuidV7),
          type: "click",
          url: "https://shop.test/spring",
          referrer: null,
          title: null,
          element: { tag: "a", href: "https://shop.test/buy", text: "Buy", id: null },
          occurredAt: message.receivedAt,
        },
      ],
    });
    const received = Date.parse(message.receivedAt);
    expect(received).toBeGreaterThanOrEqual(before - 1);
    // The page view happened a second before the beacon left: on the edge's clock too.
    expect(received - Date.parse(message.events[0]?.occurredAt ?? "")).toBe(1000);
  });

  it("takes application/json, answers a preflight, and marks a crawler's beacon a bot's", async () => {
    const json = await collect(JSON.stringify(beacon(brand)), { "content-type": "application/json" });
    expect(json.response.status).toBe(204);
    expect(json.sent).toHaveLength(1);
    const bot = await collect(
      JSON.stringify(beacon(brand)),
      {},
      {
        userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      },
    );
    expect(bot.sent).toMatchObject([{ bot: true }]);
    const preflight = await edge(
      new Request("https://edge.leadrail.test/collect", {
        method: "OPTIONS",
        headers: { origin: "https://shop.test", "access-control-request-method": "POST" },
      }),
    );
    expect(preflight.response.status).toBe(204);
    expect(preflight.response.headers.get("access-control-allow-origin")).toBe("https://shop.test");
    expect(preflight.response.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
    expect(preflight.response.headers.get("access-control-allow-headers")).toBe("content-type");
    const get = await edge(new Request("https://edge.leadrail.test/collect"));
    expect(get.response.status).toBe(405);
  });

  it("answers 400 naming the field for a bad beacon, 413 past 16 KB, 415 for another type; queues nothing", async () => {
    const cases: [string, number, string, string][] = [
      ["{not json", 400, "body", "malformed"],
      [JSON.stringify(beacon("not-a-brand!")), 400, "brand", "malformed"],
      [JSON.stringify(beacon(ids.encode("product", 7))), 400, "brand", "malformed"],
      [JSON.stringify(beacon(brand, { vid: "x" })), 400, "vid", "malformed"],
      [JSON.stringify(beacon(brand, {}, [])), 400, "events", "missing"],
      [
        JSON.stringify(
          beacon(
            brand,
            {},
            Array.from({ length: 21 }, () => ({ type: "page_view", t: 1, url: "https://a.test/" })),
          ),
        ),
        400,
        "events",
        "out_of_range",
      ],
      [
        JSON.stringify(beacon(brand, {}, [{ type: "scroll", t: 1, url: "https://a.test/" }])),
        400,
        "events.0.type",
        "not_allowed",
      ],
      [JSON.stringify({ ...beacon(brand), pad: "x".repeat(16 * 1024) }), 413, "body", "too_long"],
    ];
    for (const [body, status, field, category] of cases) {
      const { response, sent } = await collect(body);
      expect(response.status, field).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.test");
      const problem = await response.json<{
        status: number;
        errors: { field: string; category: string }[];
      }>();
      expect(problem.status).toBe(status);
      expect(problem.errors.map((e) => ({ field: e.field, category: e.category }))).toEqual([
        { field, category },
      ]);
      expect(sent).toEqual([]);
    }
    const form = await collect("a=b", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.response.status).toBe(415);
    expect(form.sent).toEqual([]);
  });
});

type StoredEvent = {
  id: string;
  brand_id: number;
  visitor_id: string;
  type: string;
  capture_id: string | null;
  contact_id: number | null;
  message_send_id: number | null;
  click_ids: Record<string, string>;
  country: string | null;
  bot: boolean;
  element: unknown;
  ga4_forwarded_at: string | null;
};

const storedEvents = (visitorId: string) =>
  withDb(async (db) => {
    const result = await db.execute<StoredEvent>(
      sql`SELECT id, brand_id::int AS brand_id, visitor_id, type, capture_id, contact_id::int AS contact_id,
            message_send_id::int AS message_send_id, click_ids, country, bot, element, ga4_forwarded_at
          FROM tracker_events WHERE visitor_id = ${visitorId} ORDER BY occurred_at, id`,
    );
    return result.rows;
  });

/** A beacon through the real edge, its message through the real consumer. */
async function track(body: Record<string, unknown>, overrides: Partial<Env> = {}) {
  const { response, sent } = await collect(JSON.stringify(body));
  expect(response.status).toBe(204);
  const forwards = recordingQueue();
  const consumed = await consumeEventsBatch(sent, { EVENTS_QUEUE: forwards, ...overrides });
  return { message: trackerMessageSchema.parse(sent[0]), consumed, forwards: forwards.sent };
}

describe("the tracker part of the events consumer", () => {
  it("stores the events, links the capture, its contact and the send, and a redelivery changes nothing", async () => {
    const seeded = await seedCampaign({
      launchedAt: new Date(Date.now() - 3_600_000),
      arms: [{ name: "control", role: "control", weight: 1, from: 0, to: 10_000 }],
      customers: [
        { arm: 0, send: { status: "delivered" } },
        { arm: 0, send: { status: "delivered" } },
      ],
    });
    const brand = seeded.tenant.brand.id;
    const brandId = seeded.tenant.brand.internal;
    const [sendA, sendB] = seeded.sends;
    const token = seeded.tokens[0];
    const contacts = await withDb(async (db) => {
      const result = await db.execute<{ id: number; contact_id: number }>(
        sql`SELECT id::int AS id, contact_id::int AS contact_id FROM message_sends WHERE id IN (${sendA}, ${sendB})`,
      );
      return new Map(result.rows.map((row) => [row.id, row.contact_id]));
    });
    const contactA = contacts.get(sendA ?? 0);
    const contactB = contacts.get(sendB ?? 0);
    // A capture of this brand whose contact is B's.
    const captureId = uuidv7();
    await withDb((db) =>
      db.insert(captures).values({
        id: captureId,
        receivedAt: new Date(),
        landingRef: "x",
        brandId,
        contactId: contactB,
        outcome: "new",
      }),
    );

    // 1. A page naming a send: linked to the send and its contact.
    const first = beacon(brand, { ctx: { lr_m: token, fbclid: "Fb1" } });
    const vid = String(first.vid);
    const one = await track(first);
    expect(one.consumed.acked).toEqual(one.consumed.ids);
    expect(one.consumed.report.parts.tracker).toEqual({
      received: 1,
      stored: 1,
      duplicates: 0,
      unknownBrands: 0,
      linkedCaptures: 0,
      linkedSends: 1,
      linkedContacts: 1,
      ga4Forwards: 0,
    });
    // 2. The same visitor later, naming nothing: the contact comes from the earlier event.
    const later = beacon(brand, { vid });
    await track(later);
    // 3. Another visitor with a capture id: the capture and its contact; a click's element kept.
    const other = beacon(brand, { ctx: { capture: captureId } }, [
      { type: "click", t: Date.now(), url: "https://shop.test/", el: { tag: "button", text: "Go" } },
    ]);
    await track(other);
    // 4. A token of a send of another campaign arm, a capture of another brand: not linked.
    const stranger = beacon(brand, { ctx: { lr_m: "AbCdEfGhIj", capture: uuidv7() } });
    await track(stranger);

    const rowsA = await storedEvents(vid);
    expect(rowsA.map((row) => [row.type, row.capture_id, row.contact_id, row.message_send_id])).toEqual([
      ["page_view", null, contactA, sendA],
      ["page_view", null, contactA, null],
    ]);
    expect(rowsA[0]).toMatchObject({
      brand_id: brandId,
      click_ids: { fbclid: "Fb1" },
      country: "KR",
      bot: false,
    });
    const rowsOther = await storedEvents(String(other.vid));
    expect(rowsOther.map((row) => [row.type, row.capture_id, row.contact_id, row.message_send_id])).toEqual([
      ["click", captureId, contactB, null],
    ]);
    expect(rowsOther[0]?.element).toEqual({ tag: "button", href: null, text: "Go", id: null });
    const rowsStranger = await storedEvents(String(stranger.vid));
    expect(rowsStranger.map((row) => [row.capture_id, row.contact_id, row.message_send_id])).toEqual([
      [null, null, null],
    ]);

    // One batch: a new visitor's page naming the capture, then its next page naming nothing: both linked.
    const sameBatchVid = visitor();
    const landed = await collect(
      JSON.stringify(beacon(brand, { vid: sameBatchVid, ctx: { capture: captureId } })),
    );
    const next = await collect(JSON.stringify(beacon(brand, { vid: sameBatchVid })));
    await consumeEventsBatch([...next.sent, ...landed.sent]);
    expect((await storedEvents(sameBatchVid)).map((row) => [row.capture_id, row.contact_id])).toEqual([
      [captureId, contactB],
      [null, contactB],
    ]);

    // Redelivered: nothing new, nothing changed.
    const again = await consumeEventsBatch([one.message, one.message]);
    expect(again.acked).toEqual(again.ids);
    expect(again.report.parts.tracker).toMatchObject({ received: 2, stored: 0, duplicates: 2 });
    expect(await storedEvents(vid)).toEqual(rowsA);
  });

  it("stores a batch of beacons alone in its one statement, and with poison in one transaction", async () => {
    const seeded = await seedCampaign({
      launchedAt: new Date(Date.now() - 3_600_000),
      arms: [{ name: "control", role: "control", weight: 1, from: 0, to: 10_000 }],
      customers: [{ arm: 0, send: { status: "delivered" } }],
    });
    const brand = seeded.tenant.brand.id;
    // Only tracker messages: the statement on its own, atomic without BEGIN and COMMIT.
    const first = await collect(JSON.stringify(beacon(brand)));
    const second = await collect(JSON.stringify(beacon(brand)));
    const alone = await consumeEventsBatch([...first.sent, ...second.sent]);
    expect(alone.acked).toEqual(alone.ids);
    expect(alone.report).toMatchObject({ statements: 1, poison: 0, fallback: false });
    expect(alone.report.parts.tracker).toMatchObject({ received: 2, stored: 2 });
    // With a message no part accepts: BEGIN, the tracker statement, the failed_events insert, COMMIT.
    const third = await collect(JSON.stringify(beacon(brand)));
    const mixed = await consumeEventsBatch([...third.sent, { type: "tracker", brandId: "x" }]);
    expect(mixed.acked).toEqual(mixed.ids);
    expect(mixed.report).toMatchObject({ statements: 4, poison: 1, fallback: false });
    expect(mixed.report.parts.tracker).toMatchObject({ received: 1, stored: 1 });
    // A redelivery of the batch alone changes nothing, in one statement again.
    const again = await consumeEventsBatch([...first.sent, ...second.sent]);
    expect(again.report).toMatchObject({ statements: 1 });
    expect(again.report.parts.tracker).toMatchObject({ received: 2, stored: 0, duplicates: 2 });
  });

  it("drops the events of a brand that does not exist, counting them", async () => {
    const body = beacon(ids.encode("brand", 2_000_000_000));
    const { consumed } = await track(body);
    expect(consumed.acked).toEqual(consumed.ids);
    expect(consumed.report.parts.tracker).toMatchObject({ received: 1, stored: 0, unknownBrands: 1 });
    expect(await storedEvents(String(body.vid))).toEqual([]);
  });
});

describe("GA4 settings and forwarding", () => {
  async function brandWithKey() {
    const created = await call("POST", "/api/v1/brands", {
      body: { name: `GA ${rand()}`, slug: `ga-${rand()}` },
    });
    expect(created.status).toBe(201);
    const brand = created.body.id as string;
    const brandId = ids.decode("brand", brand) ?? 0;
    return { brand, brandId };
  }

  it("puts, gets (secret masked) and deletes a brand's settings, naming bad fields", async () => {
    const { brand, brandId } = await brandWithKey();
    const path = `/api/v1/brands/${brand}/ga4`;
    expectProblem(await call("GET", path), 404);
    const put = await call("PUT", path, { body: { measurement_id: "G-ABC1234", api_secret: "s3cret-xyz9" } });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({
      brand,
      measurement_id: "G-ABC1234",
      api_secret: "••••xyz9",
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const replaced = await call("PUT", path, {
      body: { measurement_id: "G-ABC1234", api_secret: "another-secret", enabled: false },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ api_secret: "••••cret", enabled: false });
    const got = await call("GET", path);
    expect(got.status).toBe(200);
    expect(got.text).not.toContain("another-secret");
    expect(got.body).toMatchObject({ measurement_id: "G-ABC1234", api_secret: "••••cret", enabled: false });

    expectProblem(
      await call("PUT", path, { body: { measurement_id: "UA-1234-1", api_secret: "short" } }),
      422,
      [
        { field: "measurement_id", category: "malformed" },
        { field: "api_secret", category: "too_short" },
      ],
    );
    expectProblem(await call("PUT", path, { body: { measurement_id: "G-ABC1234" } }), 422, [
      { field: "api_secret", category: "missing" },
    ]);
    expectProblem(await call("PUT", path, { rawBody: "{" }), 400);
    expectProblem(
      await call("PUT", `/api/v1/brands/${ids.encode("brand", 2_000_000_001)}/ga4`, {
        body: { measurement_id: "G-ABC1234", api_secret: "s3cret-xyz9" },
      }),
      404,
    );
    // A key of another brand sees nothing of it.
    const stranger = await insertApiKey({ brandIds: [2_000_000_002] });
    expect((await call("GET", path, { key: stranger.key })).status).toBe(403);
    const stored = await withDb(
      async (db) =>
        (
          await db.execute<{ api_secret: string }>(
            sql`SELECT api_secret FROM brand_ga4_settings WHERE brand_id = ${brandId}`,
          )
        ).rows,
    );
    expect(stored).toEqual([{ api_secret: "another-secret" }]);

    expect((await call("DELETE", path)).status).toBe(204);
    expectProblem(await call("GET", path), 404);
    expectProblem(await call("DELETE", path), 404);
  });

  it("forwards stored page views and clicks with the exact Measurement Protocol payload, retrying a 500", async () => {
    const { brand, brandId } = await brandWithKey();
    const put = await call("PUT", `/api/v1/brands/${brand}/ga4`, {
      body: { measurement_id: "G-TRACK42", api_secret: "mp-secret-0042" },
    });
    expect(put.status).toBe(201);
    const key = `ga4-${rand()}`;
    const failing = { GA4_ENDPOINT: `${relaySink}/sink/${key}/fail` };
    const working = { GA4_ENDPOINT: `${relaySink}/sink/${key}/status/204` };

    const now = Date.now();
    const body = beacon(brand, {}, [
      {
        type: "page_view",
        t: now - 500,
        url: "https://shop.test/spring",
        ref: "https://google.com/",
        title: "Spring",
      },
      {
        type: "click",
        t: now,
        url: "https://shop.test/spring",
        el: { tag: "a", href: "https://shop.test/buy", text: "Buy now" },
      },
    ]);
    const vid = String(body.vid);
    const { consumed, forwards, message } = await track(body);
    expect(consumed.report.parts.tracker).toMatchObject({ stored: 2, ga4Forwards: 1 });
    const stored = await storedEvents(vid);
    expect(forwards).toEqual([
      { type: "tracker.ga4", brandId, eventIds: stored.map((row) => row.id).sort() },
    ]);
    // The beacon redelivered before its events were forwarded: stored once, the forward asked for again.
    const early = recordingQueue();
    const redelivered0 = await consumeEventsBatch([message], { EVENTS_QUEUE: early });
    expect(redelivered0.report.parts.tracker).toMatchObject({ stored: 0, duplicates: 2, ga4Forwards: 1 });
    expect(early.sent).toEqual(forwards);

    // GA4 answers 500: recorded, the message retried with back-off, nothing marked forwarded.
    const failed = await consumeEventsBatch(forwards, failing);
    expect(failed.retried).toEqual(failed.ids);
    expect(failed.delays).toEqual([2]);
    expect(failed.report.ga4).toEqual({
      messages: 1,
      requests: 1,
      succeeded: 0,
      failed: 1,
      forwarded: 0,
      acked: 0,
      retried: 1,
    });
    expect((await storedEvents(vid)).map((row) => row.ga4_forwarded_at)).toEqual([null, null]);

    // The retry (second attempt) reaches GA4.
    const retried = await consumeEventsBatch(forwards, working, 2);
    expect(retried.acked).toEqual(retried.ids);
    expect(retried.report.ga4).toMatchObject({ requests: 1, succeeded: 1, forwarded: 2 });
    const seen = await seenBySink(key);
    expect(seen).toHaveLength(2);
    const expectedBody = {
      client_id: vid,
      events: [
        {
          name: "page_view",
          params: {
            page_location: "https://shop.test/spring",
            page_referrer: "https://google.com/",
            page_title: "Spring",
            engagement_time_msec: 1,
          },
        },
        {
          name: "click",
          params: {
            page_location: "https://shop.test/spring",
            link_url: "https://shop.test/buy",
            link_text: "Buy now",
            engagement_time_msec: 1,
          },
        },
      ],
    };
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: `/sink/${key}/fail?measurement_id=G-TRACK42&api_secret=mp-secret-0042`,
    });
    expect(seen[1]).toMatchObject({
      method: "POST",
      url: `/sink/${key}/status/204?measurement_id=G-TRACK42&api_secret=mp-secret-0042`,
    });
    expect(seen[1]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual(expectedBody);
    expect(JSON.parse(seen[1]?.body ?? "")).toEqual(expectedBody);

    const deliveries = await withDb(
      async (db) =>
        (
          await db.execute<{
            attempt: number;
            response_status: number;
            succeeded: boolean;
            events: number;
            body_length: number;
            error: string | null;
          }>(
            sql`SELECT attempt, response_status, succeeded, cardinality(event_ids) AS events,
                coalesce(length(response_body), 0) AS body_length, error
              FROM ga4_deliveries WHERE brand_id = ${brandId} ORDER BY id`,
          )
        ).rows,
    );
    expect(deliveries).toEqual([
      {
        attempt: 1,
        response_status: 500,
        succeeded: false,
        events: 2,
        body_length: responseBodyCap,
        error: "http 500",
      },
      { attempt: 2, response_status: 204, succeeded: true, events: 2, body_length: 0, error: null },
    ]);
    expect((await storedEvents(vid)).every((row) => row.ga4_forwarded_at !== null)).toBe(true);

    // Delivered again (and the beacon redelivered): nothing is sent twice.
    const redelivered = await consumeEventsBatch(forwards, working, 3);
    expect(redelivered.acked).toEqual(redelivered.ids);
    expect(redelivered.report.ga4).toMatchObject({ requests: 0, forwarded: 0 });
    const beaconAgain = recordingQueue();
    const replayed = await consumeEventsBatch([message], { EVENTS_QUEUE: beaconAgain, ...working });
    expect(replayed.report.parts.tracker).toMatchObject({ stored: 0, duplicates: 2, ga4Forwards: 0 });
    expect(beaconAgain.sent).toEqual([]);
    expect(await seenBySink(key)).toHaveLength(2);
  });

  it("forwards no bot's events and nothing for a brand without settings", async () => {
    const without = await brandWithKey();
    const human = await track(beacon(without.brand));
    expect(human.forwards).toEqual([]);
    expect(human.consumed.report.parts.tracker).toMatchObject({ stored: 1, ga4Forwards: 0 });

    const withSettings = await brandWithKey();
    await call("PUT", `/api/v1/brands/${withSettings.brand}/ga4`, {
      body: { measurement_id: "G-BOTS0001", api_secret: "mp-secret-bots" },
    });
    const { response, sent } = await collect(
      JSON.stringify(beacon(withSettings.brand)),
      {},
      {
        userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      },
    );
    expect(response.status).toBe(204);
    const forwards = recordingQueue();
    const consumed = await consumeEventsBatch(sent, { EVENTS_QUEUE: forwards });
    expect(consumed.report.parts.tracker).toMatchObject({ stored: 1, ga4Forwards: 0 });
    expect(forwards.sent).toEqual([]);
  });
});

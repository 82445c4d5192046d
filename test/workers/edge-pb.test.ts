import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { partners } from "../../db/schema/catalog.ts";
import { inboundConversions } from "../../db/schema/relay.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { partnerKey } from "../../domain/routing/edge-config.ts";
import { publishPartners } from "../../domain/routing/edge-publish.ts";
import {
  type ConversionMessage,
  conversionMessageSchema,
  storeConversions,
} from "../../queues/events/conversion.ts";
import { processEventsBatch } from "../../queues/events/handler.ts";
import worker from "../../workers/index.ts";
import {
  createTenant,
  expectProblem,
  ids,
  ok,
  rand,
  recordingQueue,
  type Tenant,
  withDb,
} from "../support/api.ts";
import { callPb, insertAttributedCapture, type PbCall, signedConversion, unixNow } from "../support/pb.ts";
import { seededRandom } from "../support/random.ts";
import { errorsDuring } from "./edge-harness.ts";

const secret = `pb-secret-${rand()}`;
let tenant: Tenant;
let unsigned: Tenant;

beforeAll(async () => {
  tenant = await createTenant();
  // Created second, so its partner id is at least 2 and the id before it is a valid cursor.
  unsigned = await createTenant();
  await withDb(async (db) => {
    await db.update(partners).set({ signingSecret: secret }).where(eq(partners.id, tenant.internal.partner));
    await publishPartners(db, env.EDGE_CONFIG, [tenant.internal.partner]);
  });
});

const now = unixNow;
const pb = callPb;
/** Signed with the partner's secret unless told. */
const signed = (params: Record<string, string>, key = secret) => signedConversion(params, key);

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("GET|POST /pb", () => {
  it("publishes a partner's document when it is created, and again when republished", async () => {
    expect(await env.EDGE_CONFIG.get(partnerKey(unsigned.internal.partner), "json")).toEqual({
      v: 1,
      id: unsigned.internal.partner,
      active: true,
      signingSecret: null,
      redirectPostback: null,
    });
    expect(await env.EDGE_CONFIG.get(partnerKey(tenant.internal.partner), "json")).toEqual({
      v: 1,
      id: tenant.internal.partner,
      active: true,
      signingSecret: secret,
      redirectPostback: null,
    });
    await env.EDGE_CONFIG.delete(partnerKey(unsigned.internal.partner));
    // A partner-phase cursor just before this partner: one partner document, then the walk goes on after it.
    const cursor = ids.encode("partner", unsigned.internal.partner - 1);
    const page = await ok("POST", `/api/v1/admin/publish?limit=1&cursor=${cursor}`);
    expect(page).toEqual({
      landings: 0,
      partners: 1,
      rules: expect.any(Number),
      published_at: expect.any(String),
      next_cursor: unsigned.partner.id,
    });
    expect(await env.EDGE_CONFIG.get(partnerKey(unsigned.internal.partner), "json")).toMatchObject({
      id: unsigned.internal.partner,
    });
  });

  it("takes conversions from a partner created through the API with a signing secret at once", async () => {
    const key = `created-${rand()}`;
    const partner = await ok("POST", "/api/v1/partners", {
      body: { name: `Network ${rand()}`, slug: `network-${rand()}`, signing_secret: key },
    });
    expect(partner.has_signing_secret).toBe(true);
    const params = await signed({ partner: partner.id, transaction_id: `tx-${rand()}`, ts: now() }, key);
    const response = await pb(params);
    expect(response.status, response.text).toBe(202);
    expect(response.sent).toMatchObject([{ partnerId: ids.decode("partner", partner.id) }]);
    // Signed with another partner's secret: refused.
    const { sig: _sig, ...unsignedParams } = params;
    expectProblem(await pb(await signed(unsignedParams, secret)), 401);
  });

  it("accepts a signed conversion: 202 with a receipt and one message on the events queue", async () => {
    const ts = now();
    const params = await signed({
      partner: tenant.partner.id,
      click_id: "clk 1/2",
      transaction_id: `tx-${rand()}`,
      amount: "19.90",
      currency: "USD",
      ts,
      sub1: "é&=",
    });
    const response = await pb(params);
    expect(response.status, response.text).toBe(202);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.body).toEqual({ receipt: expect.stringMatching(uuidV7), status: "accepted" });
    expect(response.sent).toHaveLength(1);
    const { sig: _sig, ...unsignedParams } = params;
    expect(response.sent[0]).toEqual({
      v: 1,
      type: "conversion",
      receiptId: response.body.receipt,
      receivedAt: expect.any(String),
      partnerId: tenant.internal.partner,
      clickId: "clk 1/2",
      transactionId: params.transaction_id,
      event: "sale",
      amount: 1990,
      currency: "USD",
      params: unsignedParams,
    });
    expect(conversionMessageSchema.safeParse(response.sent[0]).success).toBe(true);
  });

  it("accepts the same conversion as a form or JSON POST", async () => {
    const params = await signed({
      partner: tenant.partner.id,
      transaction_id: `tx-${rand()}`,
      event: "lead",
      ts: now(),
    });
    for (const form of [true, false]) {
      const response = await pb(params, { method: "POST", form });
      expect(response.status, response.text).toBe(202);
      expect(response.sent).toMatchObject([
        { transactionId: params.transaction_id, event: "lead", amount: null },
      ]);
    }
  });

  it("refuses a bad, missing or stale signature, an unknown partner and one without a secret: 401, nothing enqueued", async () => {
    const base = { partner: tenant.partner.id, transaction_id: `tx-${rand()}`, ts: now() };
    const good = await signed(base);
    const cases: [string, Record<string, string>][] = [
      ["wrong secret", await signed(base, "not-the-secret")],
      ["tampered amount", { ...good, amount: "1.00", currency: "USD" }],
      ["tampered transaction id", { ...good, transaction_id: "other" }],
      ["missing sig", base],
      ["empty sig", { ...base, sig: "" }],
      ["not hex", { ...base, sig: "z".repeat(64) }],
      ["stale", await signed({ ...base, ts: String(Math.floor(Date.now() / 1000) - 16 * 60) })],
      ["future", await signed({ ...base, ts: String(Math.floor(Date.now() / 1000) + 10 * 60) })],
      ["no ts", await signed({ partner: tenant.partner.id, transaction_id: "t" })],
      ["unknown partner", await signed({ ...base, partner: ids.encode("partner", 999_999_999) })],
      ["not a partner id", await signed({ ...base, partner: tenant.brand.id })],
      ["no partner", await signed({ transaction_id: "t", ts: now() })],
      ["partner without a secret", await signed({ ...base, partner: unsigned.partner.id })],
    ];
    for (const [name, params] of cases) {
      const response = await pb(params);
      const problem = expectProblem(response, 401);
      expect(problem.type, name).toBe("urn:leadrail:problem:unauthorized");
      expect(problem.instance).toBe("/pb");
      expect(response.sent, name).toEqual([]);
    }
  });

  it("answers 503 (retry) with nothing enqueued when the partner's document is not read within EDGE_KV_DEADLINE_MS", async () => {
    const params = await signed({ partner: tenant.partner.id, click_id: `clk-${rand()}`, ts: now() });
    const stalled = { get: () => new Promise(() => {}) } as unknown as KVNamespace;
    let response: PbCall | undefined;
    const logged = await errorsDuring(async () => {
      response = await pb(params, { env: { EDGE_CONFIG: stalled, EDGE_KV_DEADLINE_MS: "30" } });
    });
    if (!response) throw new Error("no answer");
    expectProblem(response, 503);
    expect(response.body.detail).toBe("The conversion could not be checked; retry.");
    expect(response.sent).toEqual([]);
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      { event: "pb.kv_error", receipt: response.body.request_id, error: "DeadlineExceeded" },
    ]);
    // The same conversion goes through once KV answers.
    expect((await pb(params)).status).toBe(202);
  });

  it("names bad fields of a signed conversion (422) and refuses repeated parameters (400), nothing enqueued", async () => {
    const invalid = await pb(
      await signed({ partner: tenant.partner.id, amount: "1.234", currency: "USD", ts: now() }),
    );
    expectProblem(invalid, 422, [
      { field: "click_id", category: "missing" },
      { field: "amount", category: "malformed" },
    ]);
    expect(invalid.sent).toEqual([]);
    const params = await signed({ partner: tenant.partner.id, transaction_id: "t", ts: now() });
    const queue = recordingQueue();
    const ctx = createExecutionContext();
    const url = `https://edge.leadrail.test/pb?${new URLSearchParams(params)}&transaction_id=t2`;
    const request: Request<unknown, IncomingRequestCfProperties> = new Request(url);
    const response = await worker.fetch(request, { ...env, EVENTS_QUEUE: queue }, ctx);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(queue.sent).toEqual([]);
  });
});

describe("events consumer: conversions", () => {
  const insertCapture = (fields: { clickId?: string; transactionId?: string; partnerId: number }) =>
    insertAttributedCapture(tenant, fields);

  async function accepted(params: Record<string, string>): Promise<ConversionMessage> {
    const response = await pb(await signed({ partner: tenant.partner.id, ts: now(), ...params }));
    expect(response.status, response.text).toBe(202);
    return conversionMessageSchema.parse(response.sent[0]);
  }

  const rowsOf = (transactionId: string) =>
    withDb((db) =>
      db
        .select()
        .from(inboundConversions)
        .where(eq(inboundConversions.transactionId, transactionId))
        .orderBy(inboundConversions.id),
    );

  it("stores a conversion attached to the capture of its click id; a duplicate changes nothing", async () => {
    const clickId = `clk-${rand()}`;
    const transactionId = `tx-${rand()}`;
    // The same click id under another partner must not be chosen.
    await insertCapture({ clickId, partnerId: unsigned.internal.partner });
    const captureId = await insertCapture({ clickId, partnerId: tenant.internal.partner });
    const message = await accepted({
      click_id: clickId,
      transaction_id: transactionId,
      amount: "1500",
      currency: "KRW",
    });

    const first = await withDb((db) => storeConversions(db, [message]));
    expect(first).toEqual({ received: 1, stored: 1, attached: 1, duplicates: 0, unknownPartners: 0 });
    const rows = await rowsOf(transactionId);
    expect(rows).toEqual([
      {
        id: expect.any(Number),
        partnerId: tenant.internal.partner,
        transactionId,
        clickId,
        captureId,
        event: "sale",
        amount: 1500,
        currency: "KRW",
        raw: {
          partner: tenant.partner.id,
          ts: message.params.ts,
          click_id: clickId,
          transaction_id: transactionId,
          amount: "1500",
          currency: "KRW",
        },
        receivedAt: new Date(message.receivedAt),
        createdAt: expect.any(Date),
      },
    ]);

    // Re-sent by the partner (a new receipt, another amount) and redelivered by the queue, in one batch.
    const again = await accepted({
      click_id: clickId,
      transaction_id: transactionId,
      amount: "9999",
      currency: "KRW",
    });
    const second = await withDb((db) => storeConversions(db, [again, message, again]));
    expect(second).toEqual({ received: 3, stored: 0, attached: 0, duplicates: 3, unknownPartners: 0 });
    expect(await rowsOf(transactionId)).toEqual(rows);
  });

  it("attaches by transaction id without a click id, keys a click-only conversion by click and event, and keeps an unmatched one", async () => {
    const transactionId = `tx-${rand()}`;
    const byTransaction = await insertCapture({ transactionId, partnerId: tenant.internal.partner });
    const clickId = `clk-${rand()}`;
    const byClick = await insertCapture({ clickId, partnerId: tenant.internal.partner });
    const unmatched = `tx-${rand()}`;
    const messages = [
      await accepted({ transaction_id: transactionId }),
      await accepted({ click_id: clickId, event: "lead" }),
      await accepted({ click_id: clickId, event: "sale" }),
      await accepted({ transaction_id: unmatched }),
      { ...(await accepted({ transaction_id: `tx-${rand()}` })), partnerId: 999_999_999 },
    ];
    const result = await withDb((db) => storeConversions(db, messages));
    expect(result).toEqual({ received: 5, stored: 4, attached: 3, duplicates: 0, unknownPartners: 1 });
    expect((await rowsOf(transactionId)).map((row) => row.captureId)).toEqual([byTransaction]);
    expect((await rowsOf(`click:${clickId}:lead`)).map((row) => [row.captureId, row.event])).toEqual([
      [byClick, "lead"],
    ]);
    expect((await rowsOf(`click:${clickId}:sale`)).map((row) => [row.captureId, row.event])).toEqual([
      [byClick, "sale"],
    ]);
    expect((await rowsOf(unmatched)).map((row) => row.captureId)).toEqual([null]);
  });

  it("goes through the events dispatcher: stored in one statement, acked, and a redelivered batch changes nothing", async () => {
    const clickId = `clk-${rand()}`;
    const captureId = await insertCapture({ clickId, partnerId: tenant.internal.partner });
    const transactionIds = [`tx-${rand()}`, `tx-${rand()}`, `tx-${rand()}`];
    const bodies: unknown[] = [];
    for (const transactionId of transactionIds) {
      const response = await pb(
        await signed({
          partner: tenant.partner.id,
          ts: now(),
          click_id: clickId,
          transaction_id: transactionId,
        }),
      );
      bodies.push(...response.sent);
    }
    const deliver = async () => {
      const messages = bodies.map((body, index) => ({
        id: `pb-${index}-${rand()}`,
        timestamp: new Date(),
        attempts: 1,
        body,
      }));
      const batch = createMessageBatch(queueNames.events, messages);
      const ctx = createExecutionContext();
      const report = await processEventsBatch(batch, env);
      const result = await getQueueResult(batch, ctx);
      return { report, acked: result.explicitAcks.length, retried: result.retryMessages.length };
    };
    const first = await deliver();
    expect(first).toMatchObject({ acked: 3, retried: 0, report: { poison: 0, fallback: false } });
    expect(first.report.parts.conversion).toEqual({
      received: 3,
      stored: 3,
      attached: 3,
      duplicates: 0,
      unknownPartners: 0,
    });
    // BEGIN, the one conversion statement, COMMIT: the same for any batch size.
    expect(first.report.statements).toBe(3);
    const again = await deliver();
    expect(again).toMatchObject({ acked: 3, retried: 0 });
    expect(again.report.parts.conversion).toEqual({
      received: 3,
      stored: 0,
      attached: 0,
      duplicates: 3,
      unknownPartners: 0,
    });
    for (const transactionId of transactionIds) {
      expect((await rowsOf(transactionId)).map((row) => row.captureId)).toEqual([captureId]);
    }
  });

  it("answers signed conversions of any values with a 202 or a 4xx, and the consumer stores every message it queued", async () => {
    const next = seededRandom(4242);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const junk = () =>
      pick([
        "",
        "x".repeat(300),
        "\u0000",
        "😀",
        "가나다",
        "%00",
        "1e400",
        "NaN",
        "-1",
        "0",
        "12.5",
        "9007199254740993",
        "USD",
        "usd",
        "sale",
        "Sale!",
      ]);
    const statuses = new Set<number>();
    const queued: unknown[] = [];
    for (let round = 0; round < 80; round += 1) {
      const params: Record<string, string> = {
        partner: pick([
          tenant.partner.id,
          tenant.partner.id,
          unsigned.partner.id,
          ids.encode("brand", 1),
          junk(),
        ]),
        ts: pick([now(), now(), String(Number(now()) - 86_400), "0", junk()]),
      };
      if (next() < 0.8) params.click_id = pick([`clk-${rand()}`, junk()]);
      if (next() < 0.6) params.transaction_id = pick([`tx-${rand()}`, junk()]);
      if (next() < 0.5) params.amount = pick(["19.90", "0", "1000000", junk()]);
      if (next() < 0.5) params.currency = pick(["USD", "KRW", junk()]);
      if (next() < 0.4) params.event = pick(["sale", "lead", junk()]);
      if (next() < 0.3) params[pick(["sub1", "sub5", "extra", "x".repeat(40)])] = junk();
      const response = await pb(
        await signed(params),
        pick([{}, { method: "POST" as const }, { method: "POST" as const, form: false }]),
      );
      statuses.add(response.status);
      expect(response.status, `${JSON.stringify(params)} → ${response.text}`).toBeLessThan(500);
      for (const body of response.sent) {
        expect(conversionMessageSchema.safeParse(body).success).toBe(true);
        queued.push(body);
      }
    }
    expect([...statuses].sort()).toEqual(expect.arrayContaining([202, 401, 422]));
    const batch = createMessageBatch(
      queueNames.events,
      queued.map((body, index) => ({
        id: `pbfuzz-${index}-${rand()}`,
        timestamp: new Date(),
        attempts: 1,
        body,
      })),
    );
    const ctx = createExecutionContext();
    const report = await processEventsBatch(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect({
      acked: result.explicitAcks.length,
      retried: result.retryMessages.length,
      poison: report.poison,
    }).toEqual({
      acked: queued.length,
      retried: 0,
      poison: 0,
    });
  });
});

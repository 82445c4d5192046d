import { env } from "cloudflare:workers";
import { asc, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { partners } from "../../db/schema/catalog.ts";
import { inboundConversions } from "../../db/schema/relay.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { publishPartners } from "../../domain/routing/edge-publish.ts";
import { conversionMessageSchema } from "../../queues/events/conversion.ts";
import {
  call,
  createTenant,
  expectProblem,
  ids,
  insertApiKey,
  numericIdFields,
  ok,
  rand,
  type Tenant,
  withDb,
} from "../support/api.ts";
import { callPb, deliverEvents, insertAttributedCapture, signedConversion, unixNow } from "../support/pb.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;

const secret = `conv-secret-${rand()}`;
let mine: Tenant;
let theirs: Tenant;
let mineKey: string;
let theirsKey: string;
let strangerKey: string;
const capture = { a1: "", a2: "", b1: "" };
const clickA1 = `clk-a1-${rand()}`;
const clickB1 = `clk-b1-${rand()}`;
const txA2 = `tx-a2-${rand()}`;

/** The conversions as the API must show them, by label, filled in once they are stored. */
const expected: Record<"c1" | "c2" | "c3" | "c4" | "c5" | "c6", Json> = {
  c1: null,
  c2: null,
  c3: null,
  c4: null,
  c5: null,
  c6: null,
};

/**
 * One conversion through the real path: a signed `/pb` call through the edge, its queued message
 * delivered to the events consumer. The edge stamps `receivedAt` with the time of the call; it is set
 * here to `receivedAt` so the time filters can be checked against fixed instants.
 */
async function report(tenant: Tenant, params: Record<string, string>, receivedAt: string) {
  const signed = await signedConversion({ partner: tenant.partner.id, ts: unixNow(), ...params }, secret);
  const response = await callPb(signed);
  expect(response.status, response.text).toBe(202);
  const message = conversionMessageSchema.parse(response.sent[0]);
  const delivered = await deliverEvents([{ ...message, receivedAt }]);
  expect(delivered).toMatchObject({ acked: 1, retried: 0, report: { poison: 0 } });
  expect(delivered.report.parts.conversion).toMatchObject({ stored: 1 });
  return message.params;
}

/** The stored row of a partner's conversion (for its internal id and store time only). */
async function storedRow(partnerId: number, key: string) {
  const rows = await withDb((db) =>
    db
      .select()
      .from(inboundConversions)
      .where(eq(inboundConversions.partnerId, partnerId))
      .orderBy(asc(inboundConversions.id)),
  );
  const row = rows.find((candidate) => candidate.transactionId === key);
  if (!row) throw new Error(`no conversion ${key}`);
  return row;
}

beforeAll(async () => {
  mine = await createTenant();
  theirs = await createTenant();
  await withDb(async (db) => {
    await db
      .update(partners)
      .set({ signingSecret: secret })
      .where(inArray(partners.id, [mine.internal.partner, theirs.internal.partner]));
    await publishPartners(db, env.EDGE_CONFIG, [mine.internal.partner, theirs.internal.partner]);
  });
  mineKey = (await insertApiKey({ brandIds: [mine.internal.brand] })).key;
  theirsKey = (await insertApiKey({ brandIds: [theirs.internal.brand] })).key;
  strangerKey = (await insertApiKey({ brandIds: [(await createTenant()).internal.brand] })).key;
  capture.a1 = await insertAttributedCapture(mine, { clickId: clickA1 });
  capture.a2 = await insertAttributedCapture(mine, { transactionId: txA2 });
  capture.b1 = await insertAttributedCapture(theirs, { clickId: clickB1 });

  const tx1 = `tx-1-${rand()}`;
  const tx4 = `tx-4-${rand()}`;
  const tx5 = `tx-5-${rand()}`;
  const specs: {
    label: keyof typeof expected;
    tenant: Tenant;
    params: Record<string, string>;
    at: string;
    key: string;
    capture: string | null;
    transactionId: string | null;
    event: string;
    amount: number | null;
    currency: string | null;
  }[] = [
    {
      label: "c1",
      tenant: mine,
      params: { click_id: clickA1, transaction_id: tx1, amount: "19.90", currency: "USD", sub1: "s1" },
      at: "2025-03-01T10:01:00.000Z",
      key: tx1,
      capture: capture.a1,
      transactionId: tx1,
      event: "sale",
      amount: 1990,
      currency: "USD",
    },
    {
      label: "c2",
      tenant: mine,
      params: { click_id: clickA1, event: "lead" },
      at: "2025-03-01T10:02:00.000Z",
      key: `click:${clickA1}:lead`,
      capture: capture.a1,
      transactionId: null,
      event: "lead",
      amount: null,
      currency: null,
    },
    {
      label: "c3",
      tenant: mine,
      params: { transaction_id: txA2, amount: "1500", currency: "KRW" },
      at: "2025-03-01T10:03:00.000Z",
      key: txA2,
      capture: capture.a2,
      transactionId: txA2,
      event: "sale",
      amount: 1500,
      currency: "KRW",
    },
    {
      label: "c4",
      tenant: mine,
      params: { transaction_id: tx4, click_id: `clk-nobody-${rand()}` },
      at: "2025-03-01T10:04:00.000Z",
      key: tx4,
      capture: null,
      transactionId: tx4,
      event: "sale",
      amount: null,
      currency: null,
    },
    {
      label: "c5",
      tenant: mine,
      params: { click_id: clickA1, transaction_id: tx5, event: "refund" },
      at: "2025-03-01T10:05:00.000Z",
      key: tx5,
      capture: capture.a1,
      transactionId: tx5,
      event: "refund",
      amount: null,
      currency: null,
    },
    {
      label: "c6",
      tenant: theirs,
      params: { click_id: clickB1, event: "sale" },
      at: "2025-03-01T10:06:00.000Z",
      key: `click:${clickB1}:sale`,
      capture: capture.b1,
      transactionId: null,
      event: "sale",
      amount: null,
      currency: null,
    },
  ];
  for (const spec of specs) {
    const params = await report(spec.tenant, spec.params, spec.at);
    const row = await storedRow(spec.tenant.internal.partner, spec.key);
    expected[spec.label] = {
      id: ids.encode("conversion", row.id),
      status: spec.capture === null ? "unmatched" : "matched",
      partner: spec.tenant.partner.id,
      brand: spec.capture === null ? null : spec.tenant.brand.id,
      capture: spec.capture,
      click_id: spec.params.click_id ?? null,
      transaction_id: spec.transactionId,
      event: spec.event,
      amount: spec.amount,
      currency: spec.currency,
      params: { partner: spec.tenant.partner.id, ts: params.ts, ...spec.params },
      received_at: spec.at,
      created_at: row.createdAt.toISOString(),
    };
  }
});

const list = (query: string, key?: string) =>
  ok("GET", `/api/v1/conversions${query}`, key === undefined ? {} : { key });
const of = (...labels: (keyof typeof expected)[]) => labels.map((label) => expected[label]);

describe("GET /api/v1/conversions", () => {
  it("lists a partner's conversions newest first, as stored: matched or not, amounts in minor units", async () => {
    const body = await list(`?partner=${mine.partner.id}`);
    expect(body).toEqual({ data: of("c5", "c4", "c3", "c2", "c1"), next_cursor: null });
    expect(numericIdFields(body)).toEqual([]);
    expect(await list(`?partner=${theirs.partner.id}`)).toEqual({ data: of("c6"), next_cursor: null });
  });

  it("filters by capture (any case), event, match status and time received", async () => {
    const p = `partner=${mine.partner.id}`;
    const cases: [string, (keyof typeof expected)[]][] = [
      [`?capture=${capture.a1}`, ["c5", "c2", "c1"]],
      [`?capture=${capture.a1.toUpperCase()}`, ["c5", "c2", "c1"]],
      [`?capture=${capture.a2}`, ["c3"]],
      [`?capture=${capture.b1}`, ["c6"]],
      [`?capture=${uuidv7()}`, []],
      [`?${p}&event=lead`, ["c2"]],
      [`?${p}&event=refund`, ["c5"]],
      [`?${p}&event=sale`, ["c4", "c3", "c1"]],
      [`?${p}&event=signup`, []],
      [`?${p}&status=unmatched`, ["c4"]],
      [`?${p}&status=matched`, ["c5", "c3", "c2", "c1"]],
      [`?${p}&since=2025-03-01T10:02:00Z&until=2025-03-01T10:04:00Z`, ["c3", "c2"]],
      [`?${p}&since=2025-03-01T19:04:00%2B09:00`, ["c5", "c4"]],
      [`?${p}&until=2025-03-01T10:01:00.001Z`, ["c1"]],
      [`?${p}&until=2025-03-01T10:01:00Z`, []],
      [`?${p}&since=2025-03-01&until=2025-03-02`, ["c5", "c4", "c3", "c2", "c1"]],
      [`?${p}&since=2025-03-02`, []],
      [`?capture=${capture.a1}&event=sale&since=2025-03-01T10:01:00Z`, ["c1"]],
      [`?capture=${capture.a1}&partner=${theirs.partner.id}`, []],
    ];
    for (const [query, labels] of cases) {
      expect(await list(query), query).toEqual({ data: of(...labels), next_cursor: null });
    }
  });

  it("pages newest first with an opaque cursor: every conversion once, no gaps", async () => {
    for (const [query, limit] of [
      [`partner=${mine.partner.id}`, 2],
      [`partner=${mine.partner.id}`, 1],
      [`capture=${capture.a1}`, 2],
      [`partner=${mine.partner.id}&status=matched`, 3],
    ] as const) {
      const whole = (await list(`?${query}`)).data;
      const seen: Json[] = [];
      const cursors: (string | null)[] = [];
      let cursor: string | null = null;
      do {
        const page: Json = await list(
          `?${query}&limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`,
        );
        expect(page.data.length).toBeLessThanOrEqual(limit);
        seen.push(...page.data);
        cursor = page.next_cursor;
        cursors.push(cursor);
      } while (cursor !== null);
      expect(seen, query).toEqual(whole);
      expect(cursors).toHaveLength(Math.ceil(whole.length / limit));
      // Opaque: a hash id, not the internal number.
      for (const next of cursors.slice(0, -1)) expect(next).toMatch(/^[A-Za-z0-9]{8,}$/);
    }
    // A full last page still says there is nothing after it only when the next one would be empty.
    const exact = await list(`?partner=${mine.partner.id}&limit=5`);
    expect(exact).toEqual({ data: of("c5", "c4", "c3", "c2", "c1"), next_cursor: null });
    const split = await list(`?partner=${mine.partner.id}&limit=4`);
    expect(split.data).toEqual(of("c5", "c4", "c3", "c2"));
    expect(split.next_cursor).toBe(expected.c2.id);
  });

  it("shows a brand-scoped key only conversions of its brands' captures; an unmatched one needs a key for every brand", async () => {
    expect(await list("", mineKey)).toEqual({ data: of("c5", "c3", "c2", "c1"), next_cursor: null });
    expect(await list(`?partner=${mine.partner.id}&status=unmatched`, mineKey)).toEqual({
      data: [],
      next_cursor: null,
    });
    expect(await list("", theirsKey)).toEqual({ data: of("c6"), next_cursor: null });
    expect(await list(`?partner=${mine.partner.id}`, theirsKey)).toEqual({ data: [], next_cursor: null });
    expect(await list(`?capture=${capture.a1}`, theirsKey)).toEqual({ data: [], next_cursor: null });
    expect(await list("", strangerKey)).toEqual({ data: [], next_cursor: null });
    // Paging a scoped list skips what the key cannot see.
    const first = await list("?limit=2", mineKey);
    expect(first.data).toEqual(of("c5", "c3"));
    expect(await list(`?limit=2&cursor=${first.next_cursor}`, mineKey)).toEqual({
      data: of("c2", "c1"),
      next_cursor: null,
    });
    expectProblem(await call("GET", "/api/v1/conversions", { key: null }), 401);
  });

  it("refuses bad filters with a 422 naming the field", async () => {
    const cases: [string, string, string][] = [
      [`?partner=${mine.brand.id}`, "partner", "malformed"],
      ["?partner=0", "partner", "malformed"],
      ["?capture=not-a-uuid", "capture", "malformed"],
      ["?event=Sale!", "event", "malformed"],
      ["?status=pending", "status", "not_allowed"],
      ["?since=yesterday", "since", "malformed"],
      ["?until=1969-12-31T23:59:59Z", "until", "out_of_range"],
      ["?since=2025-03-02T00:00:00Z&until=2025-03-01T00:00:00Z", "until", "out_of_range"],
      ["?since=2025-03-01T00:00:00Z&until=2025-03-01T09:00:00%2B09:00", "until", "out_of_range"],
      [`?cursor=${mine.partner.id}`, "cursor", "malformed"],
      ["?cursor=%21%21", "cursor", "malformed"],
      ["?limit=0", "limit", "out_of_range"],
      ["?limit=201", "limit", "out_of_range"],
    ];
    for (const [query, field, category] of cases) {
      const response = await call("GET", `/api/v1/conversions${query}`);
      expect(expectProblem(response, 422, [{ field, category }]).type, query).toBe(
        "urn:leadrail:problem:validation-failed",
      );
    }
  });
});

describe("GET /api/v1/captures/{id}: conversions", () => {
  it("carries the capture's conversions newest first, in the list's shape", async () => {
    const a1 = await ok("GET", `/api/v1/captures/${capture.a1}`);
    expect(a1.conversions).toEqual(of("c5", "c2", "c1"));
    expect(a1.conversions_next_cursor).toBeNull();
    expect(a1.conversions).toEqual((await list(`?capture=${capture.a1}`)).data);
    expect(await ok("GET", `/api/v1/captures/${capture.a2}`, { key: mineKey })).toMatchObject({
      conversions: of("c3"),
      conversions_next_cursor: null,
    });
    expect(await ok("GET", `/api/v1/captures/${capture.b1}`, { key: theirsKey })).toMatchObject({
      conversions: of("c6"),
      conversions_next_cursor: null,
    });
    const none = await insertAttributedCapture(mine, { clickId: `clk-none-${rand()}` });
    expect(await ok("GET", `/api/v1/captures/${none}`)).toMatchObject({
      conversions: [],
      conversions_next_cursor: null,
    });
    // Another brand's capture, conversions and all, stays hidden (403, as every other brand's resource).
    expectProblem(await call("GET", `/api/v1/captures/${capture.a1}`, { key: theirsKey }), 403);
  });

  it("carries the newest 100 and a cursor for the rest of the list", async () => {
    const clickId = `clk-many-${rand()}`;
    const many = await insertAttributedCapture(mine, { clickId });
    const bodies: unknown[] = [];
    for (let index = 0; index < 101; index += 1) {
      const signed = await signedConversion(
        {
          partner: mine.partner.id,
          ts: unixNow(),
          click_id: clickId,
          transaction_id: `many-${index}-${rand()}`,
        },
        secret,
      );
      const response = await callPb(signed);
      expect(response.status, response.text).toBe(202);
      bodies.push(...response.sent);
    }
    const delivered = await deliverEvents(bodies);
    expect(delivered.report.parts.conversion).toMatchObject({ stored: 101, attached: 101 });
    const all: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await list(
        `?capture=${many}&limit=200${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(all).toHaveLength(101);
    const detail = await ok("GET", `/api/v1/captures/${many}`);
    expect(detail.conversions).toEqual(all.slice(0, 100));
    expect(detail.conversions_next_cursor).toBe(all[99].id);
    expect(await list(`?capture=${many}&cursor=${detail.conversions_next_cursor}`)).toEqual({
      data: all.slice(100),
      next_cursor: null,
    });
  });
});

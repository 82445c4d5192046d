import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { captureMarketing, captures } from "../../db/schema/capture.ts";
import { relayJobs } from "../../db/schema/relay.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { buildRelayRequest } from "../../domain/relay/delivery.ts";
import {
  call,
  createTenant,
  ids,
  insertApiKey,
  ok,
  recordingQueue,
  type Tenant,
  withDb,
} from "../support/api.ts";
import { decode, placeOrder, productOf } from "../support/ledger.ts";
import { customerEmail, insertMarket, orderBody, type SalesTenant } from "../support/sales.ts";

const template =
  "https://pb.net.example/conv?click={click_id}&tx={transaction_id}&amt={payout}&cur={currency}&e={event}&cap={capture_id}&s1={sub1}&s5={sub5}";

interface Setup {
  tenant: Tenant;
  sales: SalesTenant;
}

/** A catalog tenant whose partner listens to `events`, and a market to sell in with a brand-scoped key. */
async function setup(events: string[]): Promise<Setup> {
  const tenant = await createTenant();
  await ok("PATCH", `/api/v1/partners/${tenant.partner.id}`, {
    body: {
      postback_url: template,
      postback_method: "get",
      postback_events: events,
      payout: 2_500,
      payout_currency: "USD",
    },
  });
  const market = await insertMarket();
  const key = (await insertApiKey({ brandIds: [tenant.internal.brand] })).key;
  return { tenant, sales: { brand: { id: tenant.brand.id, internal: tenant.internal.brand }, market, key } };
}

/** A capture of the tenant's landing (its partner), with a marketing row carrying the network's ids. */
async function insertCapture(tenant: Tenant, marketing = true): Promise<string> {
  const id = uuidv7();
  await withDb(async (db) => {
    await db.insert(captures).values({
      id,
      receivedAt: new Date("2026-03-01T08:00:00.000Z"),
      landingRef: tenant.landing.id,
      landingId: tenant.internal.landing,
      brandId: tenant.internal.brand,
      partnerId: tenant.internal.partner,
      outcome: "new",
    });
    if (marketing)
      await db.insert(captureMarketing).values({
        captureId: id,
        clickId: "clk 42/ü&x",
        transactionId: "tx-9",
        sub1: "a+b",
      });
  });
  return id;
}

const jobsOf = (column: "orderId" | "refundId", id: number) =>
  withDb((db) => db.select().from(relayJobs).where(eq(relayJobs[column], id)));

const expectedValues = (event: "sale" | "refund", captureId: string) => ({
  click_id: "clk 42/ü&x",
  transaction_id: "tx-9",
  payout_minor: "2500",
  currency: "USD",
  event,
  capture_id: captureId,
  sub1: "a+b",
  sub2: "",
  sub3: "",
  sub4: "",
  sub5: "",
});

let listening: Setup;

beforeAll(async () => {
  listening = await setup(["lead_accepted", "sale", "refund"]);
});

describe("sale and refund postbacks from the ledger", () => {
  it("an order from a listening partner's capture makes exactly one sale job; a re-sent order none", async () => {
    const captureId = await insertCapture(listening.tenant);
    const body = orderBody(listening.sales, { capture_id: captureId });
    const queue = recordingQueue();
    const created = await call("POST", "/api/v1/orders", {
      key: listening.sales.key,
      env: { RELAYS_QUEUE: queue },
      body,
    });
    expect(created.status, created.text).toBe(201);
    const orderId = decode("order", created.body.id);
    const jobs = await jobsOf("orderId", orderId);
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job).toMatchObject({
      kind: "postback",
      event: "sale",
      status: "pending",
      attempts: 0,
      captureId,
      orderId,
      refundId: null,
      partnerId: listening.tenant.internal.partner,
      relayTargetId: null,
      jobValues: expectedValues("sale", captureId),
      payload: null,
    });
    // Sent with the partner's template as it is at the attempt: every value URL-encoded, {payout} in dollars.
    const request = await buildRelayRequest(
      { kind: "postback", event: "sale", values: job?.jobValues, payload: null },
      { url: template, method: "get", contentType: "json", headers: {}, signingSecret: null },
      new Date(),
    );
    expect(request.url).toBe(
      `https://pb.net.example/conv?click=clk%2042%2F%C3%BC%26x&tx=tx-9&amt=25.00&cur=USD&e=sale&cap=${captureId}&s1=a%2Bb&s5=`,
    );
    expect(queue.sent).toEqual([{ jobId: job?.id }]);

    // The job shows in the relays API, with the order.
    const listed = await ok("GET", `/api/v1/relays?partner=${listening.tenant.partner.id}&event=sale`, {
      key: listening.sales.key,
    });
    expect(listed.data.map((item: { id: string; order: string }) => [item.id, item.order])).toEqual([
      [ids.encode("relayJob", job?.id ?? 0), created.body.id],
    ]);

    const again = recordingQueue();
    const resent = await call("POST", "/api/v1/orders", {
      key: listening.sales.key,
      env: { RELAYS_QUEUE: again },
      body,
    });
    expect(resent.status).toBe(200);
    expect(await jobsOf("orderId", orderId)).toHaveLength(1);
    expect(again.sent).toEqual([]);
  });

  it("an order without a capture, or from a partner not listening to sales, makes none", async () => {
    const queue = recordingQueue();
    const plain = await call("POST", "/api/v1/orders", {
      key: listening.sales.key,
      env: { RELAYS_QUEUE: queue },
      body: orderBody(listening.sales),
    });
    expect(plain.status, plain.text).toBe(201);
    expect(await jobsOf("orderId", decode("order", plain.body.id))).toEqual([]);

    const deaf = await setup(["lead_accepted"]);
    const captureId = await insertCapture(deaf.tenant);
    const other = await call("POST", "/api/v1/orders", {
      key: deaf.sales.key,
      env: { RELAYS_QUEUE: queue },
      body: orderBody(deaf.sales, { capture_id: captureId }),
    });
    expect(other.status, other.text).toBe(201);
    expect(await jobsOf("orderId", decode("order", other.body.id))).toEqual([]);
    // A capture the ledger never saw (no row): the order is stored, no job.
    const unknown = await call("POST", "/api/v1/orders", {
      key: listening.sales.key,
      env: { RELAYS_QUEUE: queue },
      body: orderBody(listening.sales, { capture_id: uuidv7() }),
    });
    expect(unknown.status, unknown.text).toBe(201);
    expect(await jobsOf("orderId", decode("order", unknown.body.id))).toEqual([]);
    expect(queue.sent).toEqual([]);
  });

  it("a refund on such an order makes one refund job; its re-send none", async () => {
    // Refunds only: placing the order makes no sale job (nothing reaches the real relay queue).
    const refunds = await setup(["refund"]);
    const captureId = await insertCapture(refunds.tenant, false);
    const email = customerEmail("refund");
    const order = await placeOrder(
      refunds.sales,
      email,
      "2026-03-02T00:00:00.000Z",
      [{ sku: "SERUM-30", unitPrice: 42_000 }],
      { overrides: { capture_id: captureId } },
    );
    const refundBody = {
      account: order.account.id,
      product: productOf(order, "SERUM-30"),
      amount: 10_000,
      currency: refunds.sales.market.currency,
      external_id: `rf-${captureId}`,
    };
    const queue = recordingQueue();
    const refunded = await call("POST", "/api/v1/refunds", {
      key: refunds.sales.key,
      env: { RELAYS_QUEUE: queue },
      body: refundBody,
    });
    expect(refunded.status, refunded.text).toBe(201);
    const refundId = decode("refund", refunded.body.refund.id);
    const jobs = await jobsOf("refundId", refundId);
    // No marketing row: the network's ids are empty, everything else is filled.
    const values = {
      ...expectedValues("refund", captureId),
      click_id: "",
      transaction_id: "",
      sub1: "",
    };
    expect(jobs).toEqual([
      expect.objectContaining({
        kind: "postback",
        event: "refund",
        status: "pending",
        captureId,
        orderId: decode("order", order.id),
        refundId,
        partnerId: refunds.tenant.internal.partner,
        jobValues: values,
        payload: null,
      }),
    ]);
    expect(queue.sent).toEqual([{ jobId: jobs[0]?.id }]);

    const again = recordingQueue();
    const replay = await call("POST", "/api/v1/refunds", {
      key: refunds.sales.key,
      env: { RELAYS_QUEUE: again },
      body: refundBody,
    });
    expect(replay.status).toBe(200);
    expect(await jobsOf("refundId", refundId)).toHaveLength(1);
    expect(again.sent).toEqual([]);
  });

  it("a cancellation that refunds makes the same refund job; an unpaid one and a second cancel none", async () => {
    const refunds = await setup(["refund"]);
    const captureId = await insertCapture(refunds.tenant, false);
    const paid = await placeOrder(
      refunds.sales,
      customerEmail("cancel"),
      "2026-03-03T00:00:00.000Z",
      [{ sku: "SERUM-30", unitPrice: 42_000 }],
      { overrides: { capture_id: captureId } },
    );
    const queue = recordingQueue();
    const cancel = (orderId: string, relays: Queue) =>
      call("POST", `/api/v1/orders/${orderId}/cancel`, {
        key: refunds.sales.key,
        env: { RELAYS_QUEUE: relays },
        body: { reason: "Out of stock" },
      });
    const cancelled = await cancel(paid.id, queue);
    expect(cancelled.status, cancelled.text).toBe(201);
    const jobs = await jobsOf("orderId", decode("order", paid.id));
    expect(jobs).toEqual([
      expect.objectContaining({
        kind: "postback",
        event: "refund",
        status: "pending",
        captureId,
        orderId: decode("order", paid.id),
        partnerId: refunds.tenant.internal.partner,
        jobValues: { ...expectedValues("refund", captureId), click_id: "", transaction_id: "", sub1: "" },
      }),
    ]);
    expect(jobs[0]?.refundId).not.toBeNull();
    expect(queue.sent).toEqual([{ jobId: jobs[0]?.id }]);

    const again = recordingQueue();
    expect((await cancel(paid.id, again)).status).toBe(200);
    expect(again.sent).toEqual([]);
    expect(await jobsOf("orderId", decode("order", paid.id))).toHaveLength(1);

    // Unpaid: a credit only, nothing paid back, no postback.
    const unpaid = await placeOrder(
      refunds.sales,
      customerEmail("cancel-unpaid"),
      "2026-03-04T00:00:00.000Z",
      [{ sku: "SERUM-30", unitPrice: 42_000 }],
      { paid: 0, overrides: { capture_id: captureId } },
    );
    const none = recordingQueue();
    expect((await cancel(unpaid.id, none)).status).toBe(201);
    expect(await jobsOf("orderId", decode("order", unpaid.id))).toEqual([]);
    expect(none.sent).toEqual([]);
  });
});

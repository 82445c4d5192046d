import { describe, expect, it } from "vitest";
import { call, expectProblem, ids, recordingQueue } from "../support/api.ts";
import {
  decode,
  ledgerSnapshot,
  noDrift,
  placeOrder,
  postPayment,
  postRefund,
  productOf,
  storedAndRecomputed,
} from "../support/ledger.ts";
import { createSalesTenant, customerEmail } from "../support/sales.ts";

const cancel = (orderId: string, body: unknown, key?: string | null) =>
  call("POST", `/api/v1/orders/${orderId}/cancel`, {
    body,
    env: { RELAYS_QUEUE: recordingQueue() },
    ...(key === undefined ? {} : { key }),
  });

const lines = [
  { sku: "SERUM-30", unitPrice: 42_000 },
  { sku: "MASK-5", unitPrice: 9_900, quantity: 2 },
];

/** What a cancel answer shows of the order's credit: order, invoice lines, cancellation, account. */
const creditOf = (order: {
  credited_total: number;
  invoice: { credited_total: number; items: { kind: string; amount: number; credited_total: number }[] };
  cancellation: unknown;
  account: Record<string, unknown>;
}) => {
  const { id: _id, currency: _currency, ...account } = order.account;
  return {
    credited_total: order.credited_total,
    invoice: [
      order.invoice.credited_total,
      order.invoice.items.map((i) => [i.kind, i.amount, i.credited_total]),
    ],
    cancellation: order.cancellation,
    account,
  };
};

describe("POST /api/v1/orders/{id}/cancel", () => {
  it("credits a paid order in full with one credit note and refunds it; again: 200, nothing written", async () => {
    const tenant = await createSalesTenant();
    // 42,000 + 2 × 9,900 + 2,500 shipping = 64,300, paid in full.
    const order = await placeOrder(tenant, customerEmail("cancel"), "2026-04-01T10:00:00.000Z", lines, {
      shipping: 2_500,
    });
    const accountId = decode("account", order.account.id);
    const first = await cancel(
      order.id,
      { reason: "Out of stock", cancelled_at: "2026-04-02T08:00:00Z" },
      tenant.key,
    );
    expect(first.status, first.text).toBe(201);
    expect(creditOf(first.body)).toEqual({
      credited_total: 64_300,
      invoice: [
        64_300,
        [
          ["product", 42_000, 42_000],
          ["product", 19_800, 19_800],
          ["shipping", 2_500, 2_500],
        ],
      ],
      cancellation: { cancelled_at: "2026-04-02T08:00:00.000Z", reason: "Out of stock" },
      account: {
        invoiced: 64_300,
        credited: 64_300,
        paid: 64_300,
        refunded: 64_300,
        balance: 0,
        outstanding: 0,
      },
    });
    expect(first.body.items.map((i: { credited_total: number }) => i.credited_total)).toEqual([
      42_000, 19_800,
    ]);
    const account = await call("GET", `/api/v1/accounts/${order.account.id}`, { key: tenant.key });
    expect(
      account.body.ledger.credit_notes.map((n: { amount: number; refund: string | null; reason: string }) => [
        n.amount,
        n.refund === null,
        n.reason,
      ]),
    ).toEqual([[64_300, false, "Out of stock"]]);
    expect(
      account.body.ledger.refunds.map((r: { amount: number; product: unknown; order: string }) => [
        r.amount,
        r.product,
        r.order,
      ]),
    ).toEqual([[64_300, null, order.id]]);
    const state = await storedAndRecomputed(accountId);
    expect(state.stored).toEqual(state.recomputed);
    expect(state.drift).toEqual(noDrift);

    const snapshot = await ledgerSnapshot(accountId);
    const again = await cancel(order.id, { reason: "Another reason" }, tenant.key);
    expect(again.status, again.text).toBe(200);
    expect(again.body.cancellation).toEqual({
      cancelled_at: "2026-04-02T08:00:00.000Z",
      reason: "Out of stock",
    });
    expect(await ledgerSnapshot(accountId)).toEqual(snapshot);
  });

  it("after a product refund and a payment on account: credits the rest, refunding nothing: the order itself was paid nothing", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail("cancel-rest");
    // Unpaid: 61,800.
    const order = await placeOrder(tenant, email, "2026-04-01T10:00:00.000Z", lines, { paid: 0 });
    expect(
      (
        await postPayment(
          { account: order.account.id, amount: 20_000, currency: "KRW", method: "card" },
          tenant.key,
        )
      ).status,
    ).toBe(201);
    const refund = await postRefund(
      { account: order.account.id, product: productOf(order, "SERUM-30"), amount: 5_000, currency: "KRW" },
      tenant.key,
    );
    expect(refund.status, refund.text).toBe(201);
    // The payment named no order: the order was paid nothing, so the cancellation only credits.
    const cancelled = await cancel(order.id, {}, tenant.key);
    expect(cancelled.status, cancelled.text).toBe(201);
    expect(creditOf(cancelled.body).account).toEqual({
      invoiced: 61_800,
      credited: 61_800,
      paid: 20_000,
      refunded: 5_000,
      balance: 15_000,
      outstanding: -15_000,
    });
    expect(cancelled.body.cancellation.reason).toBeNull();
    const state = await storedAndRecomputed(decode("account", order.account.id));
    expect(state.stored).toEqual(state.recomputed);
    expect(state.drift).toEqual(noDrift);
  });

  it("keeps brands apart and refuses bad input, writing nothing", async () => {
    const a = await createSalesTenant();
    const b = await createSalesTenant();
    const order = await placeOrder(a, customerEmail("cancel-scope"), "2026-04-01T10:00:00.000Z", lines);
    const accountId = decode("account", order.account.id);
    const snapshot = await ledgerSnapshot(accountId);
    expectProblem(await cancel(order.id, {}, b.key), 403);
    expectProblem(await cancel(order.id, {}, null), 401);
    expectProblem(await cancel(ids.encode("order", 2 ** 40), {}, a.key), 404);
    expectProblem(await cancel(order.id, { reason: "" }, a.key), 422, [
      { field: "reason", category: "too_short" },
    ]);
    expectProblem(await cancel(order.id, { reason: "x".repeat(501) }, a.key), 422, [
      { field: "reason", category: "too_long" },
    ]);
    expectProblem(await cancel(order.id, { cancelled_at: "yesterday" }, a.key), 422, [
      { field: "cancelled_at", category: "malformed" },
    ]);
    expectProblem(await cancel(order.id, { why: "no" }, a.key), 422);
    expect(await ledgerSnapshot(accountId)).toEqual(snapshot);
    const read = await call("GET", `/api/v1/orders/${order.id}`, { key: a.key });
    expect(read.body.cancellation).toBeNull();
  });
});

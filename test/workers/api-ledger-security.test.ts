import { beforeAll, describe, expect, it } from "vitest";
import { call, expectProblem } from "../support/api.ts";
import {
  decode,
  getJson,
  ledgerSnapshot,
  placeOrder,
  postPayment,
  postRefund,
  productOf,
} from "../support/ledger.ts";
import { createSalesTenant, customerEmail, type SalesTenant } from "../support/sales.ts";

// Brand A has a customer with an order, a refund and its credit note; brand B's key must reach none of it.
let a: SalesTenant;
let b: SalesTenant;
let email: string;
let account: string;
let product: string;
let invoice: string;
let creditNote: string;
let contact: string;
let refundBody: Record<string, unknown>;

beforeAll(async () => {
  a = await createSalesTenant();
  b = await createSalesTenant();
  email = customerEmail("scoped");
  const order = await placeOrder(a, email, "2026-02-01T00:00:00.000Z", [
    { sku: "SERUM-30", name: "Vitamin C Serum 30 ml", unitPrice: 42_000 },
  ]);
  account = order.account.id;
  product = productOf(order, "SERUM-30");
  invoice = order.invoice.id;
  refundBody = { account, product, amount: 2_000, currency: "KRW", external_id: "scoped-1" };
  const refund = await postRefund(refundBody, a.key);
  expect(refund.status, refund.text).toBe(201);
  creditNote = refund.body.credit_notes[0].id;
  contact = (await getJson(`/api/v1/accounts/${account}`, a.key)).contact;
});

const reads = () => [
  `/api/v1/accounts/${account}`,
  `/api/v1/accounts?email=${encodeURIComponent(email)}&brand=${a.brand.id}`,
  `/api/v1/contacts/${contact}/accounts`,
  `/api/v1/invoices/${invoice}`,
  `/api/v1/credit-notes/${creditNote}`,
];

describe("ledger endpoints and brand scope", () => {
  it("a key for brand A reads all of brand A's ledger", async () => {
    for (const path of reads()) {
      const response = await call("GET", path, { key: a.key });
      expect([path, response.status]).toEqual([path, 200]);
    }
  });

  it("a key for brand B gets 403 on every read of brand A's ledger", async () => {
    for (const path of reads()) {
      const response = await call("GET", path, { key: b.key });
      expect([path, response.status]).toEqual([path, 403]);
      expectProblem(response, 403);
    }
    // Without naming the brand, the lookup only shows B's accounts: none.
    expect(await getJson(`/api/v1/accounts?email=${encodeURIComponent(email)}`, b.key)).toEqual({
      data: [],
      next_cursor: null,
    });
  });

  it("a key for brand B gets 403 on payments and refunds for brand A's account, and nothing is written", async () => {
    const before = await ledgerSnapshot(decode("account", account));
    expectProblem(await postPayment({ account, amount: 1_000, currency: "KRW", method: "card" }, b.key), 403);
    expectProblem(await postRefund({ account, product, amount: 1_000, currency: "KRW" }, b.key), 403);
    // Not even a replay of A's refund reveals it.
    const replay = await postRefund(refundBody, b.key);
    expectProblem(replay, 403);
    expect(replay.text).not.toContain(creditNote);
    expect(await ledgerSnapshot(decode("account", account))).toEqual(before);
  });

  it("every ledger endpoint needs a key", async () => {
    for (const path of reads()) expectProblem(await call("GET", path, { key: null }), 401);
    expectProblem(await postPayment({ account, amount: 1, currency: "KRW", method: "card" }, null), 401);
    expectProblem(await postRefund(refundBody, null), 401);
  });

  it("ids of another kind or that do not decode are 404 in the path", async () => {
    for (const path of [
      `/api/v1/accounts/${invoice}`,
      `/api/v1/invoices/${account}`,
      `/api/v1/credit-notes/${invoice}`,
      `/api/v1/contacts/${account}/accounts`,
      "/api/v1/invoices/zzzzzzzz",
    ])
      expectProblem(await call("GET", path, { key: a.key }), 404);
    expectProblem(await call("GET", `/api/v1/accounts?email=${encodeURIComponent(email)}&brand=nope`), 422, [
      { field: "brand", category: "malformed" },
    ]);
    expectProblem(await call("GET", "/api/v1/accounts?email=not-an-email"), 422, [
      { field: "email", category: "malformed" },
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { call, expectProblem, numericIdFields } from "../support/api.ts";
import {
  decode,
  getJson,
  invoiceLine,
  ledgerSnapshot,
  noDrift,
  placeOrder,
  postPayment,
  postRefund,
  productOf,
  storedAndRecomputed,
} from "../support/ledger.ts";
import { createSalesTenant, customerEmail, type SalesTenant } from "../support/sales.ts";

const serum = { sku: "SERUM-30", name: "Vitamin C Serum 30 ml", unitPrice: 42_000 };
const mask = { sku: "MASK-5", name: "Sheet Mask 5-pack", unitPrice: 9_900 };

/** Three orders of serum + mask (51,900 each, paid in full) on Jan 10, Feb 10 and Mar 10. */
async function threeOrders(tenant: SalesTenant, email = customerEmail()) {
  const jan = await placeOrder(tenant, email, "2026-01-10T10:00:00.000Z", [serum, mask]);
  const feb = await placeOrder(tenant, email, "2026-02-10T10:00:00.000Z", [serum, mask]);
  const mar = await placeOrder(tenant, email, "2026-03-10T10:00:00.000Z", [serum, mask]);
  const account: string = mar.account.id;
  return { email, jan, feb, mar, account, product: productOf(mar, serum.sku) };
}

describe("POST /api/v1/refunds", () => {
  it("credits the most recent invoice first and cascades to older ones, with exact credit notes and totals", async () => {
    const tenant = await createSalesTenant();
    const { jan, feb, mar, account, product } = await threeOrders(tenant);

    const first = await postRefund(
      {
        account,
        product,
        amount: 50_000,
        currency: "KRW",
        external_id: `rf-${account}-1`,
        reason: "Damaged in transit",
        refunded_at: "2026-03-20T08:00:00.000Z",
      },
      tenant.key,
    );
    expect(first.status, first.text).toBe(201);
    expect(numericIdFields(first.body)).toEqual([]);
    const refundId: string = first.body.refund.id;
    expect(first.body.refund).toMatchObject({
      brand: tenant.brand.id,
      account,
      product,
      platform: "api",
      external_id: `rf-${account}-1`,
      currency: "KRW",
      amount: 50_000,
      reason: "Damaged in transit",
      refunded_at: "2026-03-20T08:00:00.000Z",
    });
    const notes = first.body.credit_notes.map((n: Record<string, unknown>) => ({
      invoice: n.invoice,
      refund: n.refund,
      number: n.number,
      amount: n.amount,
      issued_at: n.issued_at,
      items: n.items,
    }));
    expect(notes).toEqual([
      {
        invoice: mar.invoice.id,
        refund: refundId,
        number: `${account}-CN-0001`,
        amount: 42_000,
        issued_at: "2026-03-20T08:00:00.000Z",
        items: [{ invoice_item: invoiceLine(mar, "SERUM-30").id, description: serum.name, amount: 42_000 }],
      },
      {
        invoice: feb.invoice.id,
        refund: refundId,
        number: `${account}-CN-0002`,
        amount: 8_000,
        issued_at: "2026-03-20T08:00:00.000Z",
        items: [{ invoice_item: invoiceLine(feb, "SERUM-30").id, description: serum.name, amount: 8_000 }],
      },
    ]);
    // 3 × 51,900 invoiced and paid; 50,000 credited and refunded.
    expect(first.body.account).toEqual({
      id: account,
      currency: "KRW",
      totals: {
        invoiced: 155_700,
        credited: 50_000,
        paid: 155_700,
        refunded: 50_000,
        balance: 105_700,
        outstanding: 0,
      },
    });

    // The second refund finishes February's serum and takes the rest from January's.
    const second = await postRefund({ account, product, amount: 40_000, currency: "KRW" }, tenant.key);
    expect(second.status, second.text).toBe(201);
    expect(second.body.refund.external_id).toBeNull();
    expect(
      second.body.credit_notes.map(
        (n: { invoice: string; number: string; amount: number; items: { amount: number }[] }) => [
          n.invoice,
          n.number,
          n.amount,
          n.items.map((i) => i.amount),
        ],
      ),
    ).toEqual([
      [feb.invoice.id, `${account}-CN-0003`, 34_000, [34_000]],
      [jan.invoice.id, `${account}-CN-0004`, 6_000, [6_000]],
    ]);
    expect(second.body.account.totals).toEqual({
      invoiced: 155_700,
      credited: 90_000,
      paid: 155_700,
      refunded: 90_000,
      balance: 65_700,
      outstanding: 0,
    });

    // Invoices, orders and order items carry their credited totals.
    const marInvoice = await getJson(`/api/v1/invoices/${mar.invoice.id}`, tenant.key);
    expect(marInvoice).toMatchObject({
      id: mar.invoice.id,
      number: `${account}-0003`,
      amount: 51_900,
      credited_total: 42_000,
    });
    // The account's invoice series follows the orders: January 1, February 2, March 3.
    expect([jan.invoice.number, feb.invoice.number, mar.invoice.number]).toEqual([
      `${account}-0001`,
      `${account}-0002`,
      `${account}-0003`,
    ]);
    expect(
      marInvoice.items.map((i: { description: string; credited_total: number }) => [
        i.description,
        i.credited_total,
      ]),
    ).toEqual([
      [serum.name, 42_000],
      [mask.name, 0],
    ]);
    expect(marInvoice.credit_notes.map((n: { id: string }) => n.id)).toEqual([first.body.credit_notes[0].id]);
    const febOrder = await getJson(`/api/v1/orders/${feb.id}`, tenant.key);
    expect(febOrder.credited_total).toBe(42_000);
    expect(
      febOrder.items.map((i: { sku: string; credited_total: number }) => [i.sku, i.credited_total]),
    ).toEqual([
      ["SERUM-30", 42_000],
      ["MASK-5", 0],
    ]);
    const janOrder = await getJson(`/api/v1/orders/${jan.id}`, tenant.key);
    expect(janOrder.credited_total).toBe(6_000);

    // One credit note, read on its own.
    const note = await getJson(`/api/v1/credit-notes/${second.body.credit_notes[1].id}`, tenant.key);
    expect(note).toEqual(second.body.credit_notes[1]);
    expect(note).toMatchObject({
      brand: tenant.brand.id,
      account,
      invoice: jan.invoice.id,
      refund: second.body.refund.id,
      currency: "KRW",
      amount: 6_000,
      reason: null,
    });

    const state = await storedAndRecomputed(decode("account", account));
    expect(state.stored).toEqual(state.recomputed);
    expect(state.drift).toEqual(noDrift);
  });

  it("refuses more than the product's refundable amount with a 422 on amount, writing nothing", async () => {
    const tenant = await createSalesTenant();
    const { account, product } = await threeOrders(tenant);
    expect(
      (await postRefund({ account, product, amount: 100_000, currency: "KRW" }, tenant.key)).status,
    ).toBe(201);
    const accountId = decode("account", account);
    const before = await ledgerSnapshot(accountId);

    // 3 × 42,000 − 100,000 = 26,000 left; the balance (155,700 − 100,000) is not the limit here.
    const response = await postRefund(
      { account, product, amount: 26_001, currency: "KRW", external_id: "too-much" },
      tenant.key,
    );
    const problem = expectProblem(response, 422, [{ field: "amount", category: "out_of_range" }]);
    expect(JSON.stringify(problem.errors)).toContain("refundable for this product");
    expect(JSON.stringify(problem.errors)).toContain("26000 KRW");
    expect(await ledgerSnapshot(accountId)).toEqual(before);

    // Exactly what is left is accepted, and then nothing more.
    expect((await postRefund({ account, product, amount: 26_000, currency: "KRW" }, tenant.key)).status).toBe(
      201,
    );
    expectProblem(await postRefund({ account, product, amount: 1, currency: "KRW" }, tenant.key), 422, [
      { field: "amount", category: "out_of_range" },
    ]);
  });

  it("refuses more than the account's balance (paid − refunded), saying so, until payments cover it", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    // Invoiced 42,000 but nothing paid yet.
    const order = await placeOrder(tenant, email, "2026-02-01T00:00:00.000Z", [serum], { paid: 0 });
    const account: string = order.account.id;
    const product = productOf(order, serum.sku);
    const accountId = decode("account", account);
    const before = await ledgerSnapshot(accountId);

    const refused = await postRefund({ account, product, amount: 10_000, currency: "KRW" }, tenant.key);
    const problem = expectProblem(refused, 422, [{ field: "amount", category: "out_of_range" }]);
    expect(JSON.stringify(problem.errors)).toContain("balance (paid minus refunded): 0 KRW");
    expect(await ledgerSnapshot(accountId)).toEqual(before);

    const payment = await postPayment(
      { account, amount: 6_000, currency: "KRW", method: "bank_transfer", order: order.id },
      tenant.key,
    );
    expect(payment.status, payment.text).toBe(201);
    expect(payment.body.account.totals).toEqual({
      invoiced: 42_000,
      credited: 0,
      paid: 6_000,
      refunded: 0,
      balance: 6_000,
      outstanding: 36_000,
    });
    const stillTooMuch = await postRefund({ account, product, amount: 6_001, currency: "KRW" }, tenant.key);
    expect(JSON.stringify(expectProblem(stillTooMuch, 422).errors)).toContain("6000 KRW");

    // Over both limits at once: both are named.
    const both = await postRefund({ account, product, amount: 50_000, currency: "KRW" }, tenant.key);
    const messages = (expectProblem(both, 422).errors as { field: string; message: string }[]).map((e) => [
      e.field,
      e.message.includes("refundable for this product")
        ? "refundable"
        : e.message.includes("balance")
          ? "balance"
          : "?",
    ]);
    expect(messages).toEqual([
      ["amount", "refundable"],
      ["amount", "balance"],
    ]);

    const ok = await postRefund({ account, product, amount: 6_000, currency: "KRW" }, tenant.key);
    expect(ok.status, ok.text).toBe(201);
    // Credited 6,000 of the invoice, refunded all that was paid: still owes 36,000.
    expect(ok.body.account.totals).toEqual({
      invoiced: 42_000,
      credited: 6_000,
      paid: 6_000,
      refunded: 6_000,
      balance: 0,
      outstanding: 36_000,
    });
  });

  it("never credits shipping, and refuses a product the account never bought", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    const order = await placeOrder(tenant, email, "2026-02-01T00:00:00.000Z", [serum], { shipping: 3_000 });
    const other = await placeOrder(tenant, customerEmail(), "2026-02-01T00:00:00.000Z", [mask]);
    const account: string = order.account.id;
    // 45,000 paid, but only the serum's 42,000 is refundable for the serum.
    const response = await postRefund(
      { account, product: productOf(order, serum.sku), amount: 42_001, currency: "KRW" },
      tenant.key,
    );
    expect(JSON.stringify(expectProblem(response, 422).errors)).toContain("42000 KRW");
    // The mask exists in the brand, but this account has no invoice for it.
    const noLines = await postRefund(
      { account, product: productOf(other, mask.sku), amount: 1, currency: "KRW" },
      tenant.key,
    );
    expect(
      JSON.stringify(expectProblem(noLines, 422, [{ field: "amount", category: "out_of_range" }]).errors),
    ).toContain("0 KRW");
  });

  it("refuses bad references and another currency with a 422 naming each field", async () => {
    const tenant = await createSalesTenant();
    const { account, product } = await threeOrders(tenant);
    const otherBrand = await createSalesTenant();
    const foreign = await placeOrder(otherBrand, customerEmail(), "2026-01-01T00:00:00.000Z", [serum]);
    const before = await ledgerSnapshot(decode("account", account));

    expectProblem(await postRefund({ account, product, amount: 100, currency: "USD" }, tenant.key), 422, [
      { field: "currency", category: "not_allowed" },
    ]);
    // A product of another brand is not a product of this account's brand (even for a key of all brands).
    expectProblem(
      await postRefund({ account, product: productOf(foreign, serum.sku), amount: 100, currency: "USD" }),
      422,
      [
        { field: "product", category: "not_found" },
        { field: "currency", category: "not_allowed" },
      ],
    );
    expectProblem(
      await postRefund({ account: "nope", product: "nope", amount: 0, currency: "krw" }, tenant.key),
      422,
      [
        { field: "amount", category: "out_of_range" },
        { field: "currency", category: "malformed" },
      ],
    );
    expectProblem(
      await postRefund({ account: "nope", product: "nope", amount: 1, currency: "KRW" }, tenant.key),
      422,
      [
        { field: "account", category: "malformed" },
        { field: "product", category: "malformed" },
      ],
    );
    expectProblem(
      await postRefund({ account: product, product: account, amount: 1, currency: "KRW" }, tenant.key),
      422,
      [
        { field: "account", category: "malformed" },
        { field: "product", category: "malformed" },
      ],
    );
    expect(await ledgerSnapshot(decode("account", account))).toEqual(before);
  });

  it("is idempotent on (brand, platform, external_id): a re-send answers 200 with the first refund and writes nothing", async () => {
    const tenant = await createSalesTenant();
    const { account, product } = await threeOrders(tenant);
    const accountId = decode("account", account);
    const body = {
      account,
      product,
      amount: 45_000,
      currency: "KRW",
      platform: "shopify",
      external_id: "re-1",
    };
    const first = await postRefund(body, tenant.key);
    expect(first.status, first.text).toBe(201);
    const after = await ledgerSnapshot(accountId);

    const again = await postRefund(body, tenant.key);
    expect(again.status, again.text).toBe(200);
    expect(again.body.refund).toEqual(first.body.refund);
    expect(again.body.credit_notes).toEqual(first.body.credit_notes);
    expect(again.body.account).toEqual(first.body.account);
    expect(await ledgerSnapshot(accountId)).toEqual(after);

    // The same key on another platform is another refund; a different refund under the same key is a 409.
    const otherPlatform = await postRefund({ ...body, platform: "cafe24", amount: 1_000 }, tenant.key);
    expect(otherPlatform.status, otherPlatform.text).toBe(201);
    const reused = await postRefund({ ...body, amount: 1_000 }, tenant.key);
    expectProblem(reused, 409, [{ field: "external_id", category: "conflict" }]);
    // Sent many times at once: one refund.
    const key = { ...body, external_id: "re-burst", amount: 2_000 };
    const burst = await Promise.all(Array.from({ length: 5 }, () => postRefund(key, tenant.key)));
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(burst.map((r) => r.body.refund.id)).size).toBe(1);
    const state = await storedAndRecomputed(accountId);
    expect(state.stored).toEqual(state.recomputed);
    expect(state.stored.refunded).toBe(45_000 + 1_000 + 2_000);
  });

  it("two refunds racing on one account never credit more than was invoiced", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    await placeOrder(tenant, email, "2026-01-05T00:00:00.000Z", [serum]);
    const order = await placeOrder(tenant, email, "2026-01-06T00:00:00.000Z", [serum]);
    const account: string = order.account.id;
    const product = productOf(order, serum.sku);
    // 84,000 refundable; eight refunds of 15,000 at once: exactly five fit.
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        postRefund({ account, product, amount: 15_000, currency: "KRW" }, tenant.key),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 422, 422, 422]);
    const state = await storedAndRecomputed(decode("account", account));
    expect(state.stored).toEqual(state.recomputed);
    expect(state.drift).toEqual(noDrift);
    expect(state.stored).toMatchObject({
      invoiced: 84_000,
      credited: 75_000,
      refunded: 75_000,
      balance: 9_000,
    });
  });
});

describe("one customer, many writers", () => {
  it("50 orders, refunds and payments at once through the API keep the totals exact", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail("crowd");
    const first = await placeOrder(tenant, email, "2026-01-01T00:00:00.000Z", [serum]);
    const account: string = first.account.id;
    const product = productOf(first, serum.sku);
    const writes = Array.from({ length: 50 }, (_, i) => {
      if (i % 5 === 0)
        return postPayment({ account, amount: 1_000 + i, currency: "KRW", method: "card" }, tenant.key);
      if (i % 2 === 0)
        return postRefund({ account, product, amount: 10_000 + i, currency: "KRW" }, tenant.key);
      const day = String((i % 28) + 1).padStart(2, "0");
      return placeOrder(tenant, email, `2026-02-${day}T00:00:00.000Z`, [serum, mask]).then(() => ({
        status: 201,
        text: "",
      }));
    });
    const statuses = (await Promise.all(writes)).map((r) => r.status);
    // Orders and payments always succeed; a refund fits or is refused, never half-written, never a 500.
    expect(statuses.filter((s) => s !== 201 && s !== 422)).toEqual([]);
    const state = await storedAndRecomputed(decode("account", account));
    expect(state.stored).toEqual(state.recomputed);
    expect(state.drift).toEqual(noDrift);
    // 1 + 20 orders; 10 payments of 1,000 + i on top of the orders' own; 20 refunds.
    expect(state.stored.invoiced).toBe(42_000 + 20 * 51_900);
    expect(state.stored.paid).toBe(
      42_000 + 20 * 51_900 + [0, 5, 10, 15, 20, 25, 30, 35, 40, 45].reduce((s, i) => s + 1_000 + i, 0),
    );
    const refunds = statuses.filter((_, i) => i % 5 !== 0 && i % 2 === 0);
    expect(refunds).toHaveLength(20);
    expect(state.stored.refunded).toBeLessThanOrEqual(21 * 42_000);
    expect(state.stored.credited).toBe(state.stored.refunded);
  });
});

describe("POST /api/v1/refunds with an order: shipping", () => {
  it("credits the shipping line of the order's invoice, refuses more than it charged, another account's order or both targets", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail("ship");
    // 42,000 of serum and 3,000 of shipping, paid in full.
    const order = await placeOrder(tenant, email, "2026-04-01T09:00:00.000Z", [serum], { shipping: 3_000 });
    const account: string = order.account.id;
    const shippingLine = order.invoice.items.find((item: { kind: string }) => item.kind === "shipping");
    expect(shippingLine).toMatchObject({ amount: 3_000, credited_total: 0, product: null, order_item: null });

    const shippingRefund = {
      account,
      order: order.id,
      amount: 2_000,
      currency: "KRW",
      external_id: `ship-${account}`,
      refunded_at: "2026-04-03T12:00:00.000Z",
    };
    const refund = await postRefund(shippingRefund, tenant.key);
    expect(refund.status, refund.text).toBe(201);
    expect(refund.body.refund).toMatchObject({ account, product: null, order: order.id, amount: 2_000 });
    expect(
      refund.body.credit_notes.map((note: Record<string, unknown>) => ({
        invoice: note.invoice,
        number: note.number,
        amount: note.amount,
        items: note.items,
      })),
    ).toEqual([
      {
        invoice: order.invoice.id,
        number: `${account}-CN-0001`,
        amount: 2_000,
        items: [{ invoice_item: shippingLine.id, description: "Shipping", amount: 2_000 }],
      },
    ]);
    expect(refund.body.account.totals).toEqual({
      invoiced: 45_000,
      credited: 2_000,
      paid: 45_000,
      refunded: 2_000,
      balance: 43_000,
      outstanding: 0,
    });
    // The order's credited total moves; its product line does not.
    const after = await getJson(`/api/v1/orders/${order.id}`, tenant.key);
    expect(after.credited_total).toBe(2_000);
    expect(after.items.map((item: { credited_total: number }) => item.credited_total)).toEqual([0]);

    // A re-send is the first refund; 1,001 more than the 1,000 of shipping left is refused, nothing written.
    const again = await postRefund(shippingRefund, tenant.key);
    expect(again.status).toBe(200);
    expect(again.body.refund.id).toBe(refund.body.refund.id);
    const over = await postRefund({ account, order: order.id, amount: 1_001, currency: "KRW" }, tenant.key);
    expect(expectProblem(over, 422, [{ field: "amount", category: "out_of_range" }]).detail).toContain(
      "nothing was written",
    );

    // Another customer's order, and a body naming both a product and an order.
    const stranger = await placeOrder(tenant, customerEmail("other"), "2026-04-02T09:00:00.000Z", [serum], {
      shipping: 3_000,
    });
    expectProblem(
      await postRefund({ account, order: stranger.id, amount: 100, currency: "KRW" }, tenant.key),
      422,
      [{ field: "order", category: "not_found" }],
    );
    const product = productOf(order, serum.sku);
    expectProblem(
      await postRefund({ account, product, order: order.id, amount: 100, currency: "KRW" }, tenant.key),
      422,
      [{ field: "product", category: "not_allowed" }],
    );
    expectProblem(await postRefund({ account, amount: 100, currency: "KRW" }, tenant.key), 422, [
      { field: "product", category: "missing" },
    ]);
    const state = await storedAndRecomputed(decode("account", account));
    expect(state.stored).toEqual(state.recomputed);
    expect(state.drift).toEqual(noDrift);
    expect(state.stored.credited).toBe(2_000);
  });
});

describe("POST /api/v1/payments", () => {
  it("adds to paid and balance, lowers outstanding, and is idempotent on external_id", async () => {
    const tenant = await createSalesTenant();
    const order = await placeOrder(tenant, customerEmail(), "2026-02-01T00:00:00.000Z", [serum, mask], {
      paid: 0,
    });
    const account: string = order.account.id;
    const accountId = decode("account", account);
    const body = {
      account,
      amount: 30_000,
      currency: "KRW",
      method: "virtual_account",
      platform: "cafe24",
      external_id: "dep-1",
      order: order.id,
      received_at: "2026-02-02T01:00:00.000Z",
    };
    const first = await postPayment(body, tenant.key);
    expect(first.status, first.text).toBe(201);
    expect(numericIdFields(first.body)).toEqual([]);
    expect(first.body.payment).toMatchObject({
      brand: tenant.brand.id,
      account,
      order: order.id,
      platform: "cafe24",
      external_id: "dep-1",
      method: "virtual_account",
      currency: "KRW",
      amount: 30_000,
      received_at: "2026-02-02T01:00:00.000Z",
    });
    expect(first.body.account.totals).toEqual({
      invoiced: 51_900,
      credited: 0,
      paid: 30_000,
      refunded: 0,
      balance: 30_000,
      outstanding: 21_900,
    });
    const after = await ledgerSnapshot(accountId);
    const again = await postPayment(body, tenant.key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await ledgerSnapshot(accountId)).toEqual(after);
    expectProblem(await postPayment({ ...body, amount: 1 }, tenant.key), 409, [
      { field: "external_id", category: "conflict" },
    ]);

    // Paying ahead puts the account in credit.
    const ahead = await postPayment({ account, amount: 40_000, currency: "KRW", method: "card" }, tenant.key);
    expect(ahead.status, ahead.text).toBe(201);
    expect(ahead.body.payment).toMatchObject({ platform: "api", external_id: null, order: null });
    expect(ahead.body.account.totals).toMatchObject({ paid: 70_000, balance: 70_000, outstanding: -18_100 });
    const state = await storedAndRecomputed(accountId);
    expect(state.stored).toEqual(state.recomputed);
  });

  it("refuses another currency, an order of another account and bad ids, writing nothing", async () => {
    const tenant = await createSalesTenant();
    const order = await placeOrder(tenant, customerEmail(), "2026-02-01T00:00:00.000Z", [serum]);
    const stranger = await placeOrder(tenant, customerEmail(), "2026-02-01T00:00:00.000Z", [serum]);
    const account: string = order.account.id;
    const before = await ledgerSnapshot(decode("account", account));
    expectProblem(
      await postPayment(
        { account, amount: 100, currency: "USD", method: "card", order: stranger.id },
        tenant.key,
      ),
      422,
      [
        { field: "currency", category: "not_allowed" },
        { field: "order", category: "not_found" },
      ],
    );
    expectProblem(
      await postPayment(
        { account: order.id, amount: 100, currency: "KRW", method: "card", order: "x" },
        tenant.key,
      ),
      422,
      [
        { field: "account", category: "malformed" },
        { field: "order", category: "malformed" },
      ],
    );
    expectProblem(
      await postPayment({ account, amount: -1, currency: "KRW", method: "", extra: 1 }, tenant.key),
      422,
      [
        { field: "amount", category: "out_of_range" },
        { field: "method", category: "too_short" },
        { field: "extra", category: "not_allowed" },
      ],
    );
    expect(await ledgerSnapshot(decode("account", account))).toEqual(before);
  });
});

describe("account reads", () => {
  it("GET /api/v1/accounts/:id: the six totals and the ledger, newest first", async () => {
    const tenant = await createSalesTenant();
    const { email, jan, feb, mar, account, product } = await threeOrders(tenant);
    const refund = await postRefund({ account, product, amount: 50_000, currency: "KRW" }, tenant.key);
    const detail = await getJson(`/api/v1/accounts/${account}`, tenant.key);
    expect(numericIdFields(detail)).toEqual([]);
    expect(detail).toMatchObject({
      id: account,
      brand: tenant.brand.id,
      market: tenant.market.code,
      email,
      currency: "KRW",
      totals: {
        invoiced: 155_700,
        credited: 50_000,
        paid: 155_700,
        refunded: 50_000,
        balance: 105_700,
        outstanding: 0,
      },
      order_count: 3,
      first_order_at: "2026-01-10T10:00:00.000Z",
      last_order_at: "2026-03-10T10:00:00.000Z",
    });
    expect(detail.ledger.invoices.map((i: { id: string }) => i.id)).toEqual([
      mar.invoice.id,
      feb.invoice.id,
      jan.invoice.id,
    ]);
    expect(detail.ledger.credit_notes).toEqual([...refund.body.credit_notes].reverse());
    expect(detail.ledger.payments.map((p: { order: string; amount: number }) => [p.order, p.amount])).toEqual(
      [
        [mar.id, 51_900],
        [feb.id, 51_900],
        [jan.id, 51_900],
      ],
    );
    expect(detail.ledger.refunds).toEqual([refund.body.refund]);
    expect(detail.ledger.counts).toEqual({ invoices: 3, credit_notes: 2, payments: 3, refunds: 1 });
    expect(detail.ledger.limit).toBe(100);
    expectProblem(await postRefund({}, tenant.key), 422);
    // An order's id is not an account's.
    expectProblem(await call("GET", `/api/v1/accounts/${jan.id}`, { key: tenant.key }), 404);
  });

  it("GET /api/v1/accounts?email=: the accounts of any spelling of the address, optionally of one brand", async () => {
    const a = await createSalesTenant();
    const b = await createSalesTenant();
    const email = customerEmail("lookup");
    const inA = await placeOrder(a, email, "2026-01-01T00:00:00.000Z", [serum]);
    const inB = await placeOrder(b, email, "2026-01-02T00:00:00.000Z", [mask]);
    const spelled = encodeURIComponent(email.toUpperCase());
    const all = await getJson(`/api/v1/accounts?email=${spelled}`);
    expect(all.data.map((x: { id: string }) => x.id)).toEqual([inA.account.id, inB.account.id]);
    expect(all.data[1]).toMatchObject({ brand: b.brand.id, email, totals: { invoiced: 9_900, paid: 9_900 } });
    const onlyB = await getJson(`/api/v1/accounts?email=${spelled}&brand=${b.brand.id}`, b.key);
    expect(onlyB.data.map((x: { id: string }) => x.id)).toEqual([inB.account.id]);
    // A brand key sees its own brand's account only.
    const scoped = await getJson(`/api/v1/accounts?email=${spelled}`, a.key);
    expect(scoped.data.map((x: { id: string }) => x.id)).toEqual([inA.account.id]);
    const none = await getJson(
      `/api/v1/accounts?email=${encodeURIComponent(customerEmail("nobody"))}`,
      a.key,
    );
    expect(none).toEqual({ data: [], next_cursor: null });
  });

  it("GET /api/v1/contacts/:id/accounts: every brand account and LTV = paid − refunded per brand and per currency", async () => {
    const a = await createSalesTenant("KRW");
    const b = await createSalesTenant("KRW");
    const c = await createSalesTenant("USD");
    const email = customerEmail("person");
    const inA = await placeOrder(a, email, "2026-01-01T00:00:00.000Z", [serum]);
    await placeOrder(a, email, "2026-01-03T00:00:00.000Z", [mask]);
    const inB = await placeOrder(b, email, "2026-01-02T00:00:00.000Z", [mask], { paid: 5_000 });
    const inC = await placeOrder(c, email, "2026-01-04T00:00:00.000Z", [
      { sku: "SERUM-30", unitPrice: 3_200 },
    ]);
    await postRefund(
      { account: inA.account.id, product: productOf(inA, serum.sku), amount: 12_000, currency: "KRW" },
      a.key,
    );
    const contact: string = (await getJson(`/api/v1/accounts/${inA.account.id}`, a.key)).contact;

    const view = await getJson(`/api/v1/contacts/${contact}/accounts`);
    expect(numericIdFields(view)).toEqual([]);
    expect(view.contact).toBe(contact);
    expect(view.accounts.map((x: { id: string }) => x.id)).toEqual([
      inA.account.id,
      inB.account.id,
      inC.account.id,
    ]);
    expect(view.lifetime_value).toEqual({
      by_brand: [
        { brand: a.brand.id, currency: "KRW", paid: 51_900, refunded: 12_000, lifetime_value: 39_900 },
        { brand: b.brand.id, currency: "KRW", paid: 5_000, refunded: 0, lifetime_value: 5_000 },
        { brand: c.brand.id, currency: "USD", paid: 3_200, refunded: 0, lifetime_value: 3_200 },
      ],
      total: [
        { currency: "KRW", paid: 56_900, refunded: 12_000, lifetime_value: 44_900 },
        { currency: "USD", paid: 3_200, refunded: 0, lifetime_value: 3_200 },
      ],
    });

    // A brand key sees its brand only.
    const scoped = await getJson(`/api/v1/contacts/${contact}/accounts`, b.key);
    expect(scoped.accounts.map((x: { id: string }) => x.id)).toEqual([inB.account.id]);
    expect(scoped.lifetime_value.total).toEqual([
      { currency: "KRW", paid: 5_000, refunded: 0, lifetime_value: 5_000 },
    ]);
  });
});

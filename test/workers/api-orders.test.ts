import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createOrderBody, orderInput } from "../../api/schemas/order.ts";
import { openDb } from "../../db/client.ts";
import {
  addresses,
  brandClientAccounts,
  emails,
  orders,
  personalInfo,
  subscriptionHistory,
  subscriptionOccurrences,
  subscriptions,
} from "../../db/schema/index.ts";
import { emailHashes, md5Hex, sha256Hex } from "../../domain/contacts/email.ts";
import { ingestOrder } from "../../domain/ledger/orders.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { call, expectProblem, ids, numericIdFields, rand, withDb } from "../support/api.ts";
import {
  createSalesTenant,
  customerEmail,
  orderBody,
  postOrder,
  type SalesTenant,
} from "../support/sales.ts";

const decode = (kind: Parameters<typeof ids.decode>[0], value: string): number => {
  const id = ids.decode(kind, value);
  if (id === null) throw new Error(`not a ${kind} id: ${value}`);
  return id;
};

/** Rows that belong to one customer email, everywhere an order writes. */
async function footprint(email: string) {
  const { sha256 } = emailHashes(email.toLowerCase());
  return withDb(async (db) => {
    const result = await db.execute<Record<string, string>>(sql`SELECT
      (SELECT count(*) FROM emails WHERE sha256 = ${sha256}) AS emails,
      (SELECT count(*) FROM brand_client_accounts a JOIN emails e ON e.id = a.email_id WHERE e.sha256 = ${sha256}) AS accounts,
      (SELECT count(*) FROM orders o JOIN brand_client_accounts a ON a.id = o.account_id JOIN emails e ON e.id = a.email_id WHERE e.sha256 = ${sha256}) AS orders,
      (SELECT count(*) FROM invoices i JOIN brand_client_accounts a ON a.id = i.account_id JOIN emails e ON e.id = a.email_id WHERE e.sha256 = ${sha256}) AS invoices,
      (SELECT count(*) FROM payments p JOIN brand_client_accounts a ON a.id = p.account_id JOIN emails e ON e.id = a.email_id WHERE e.sha256 = ${sha256}) AS payments`);
    const row = result.rows[0] ?? {};
    return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)]));
  });
}

/** The footprint of an order that wrote nothing. */
const nothingStored = { emails: 0, accounts: 0, orders: 0, invoices: 0, payments: 0 };

describe("POST /api/v1/orders", () => {
  it("ingests an order in one go: items, invoice with shipping, coupon, campaign, payment and the account's totals", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const response = await postOrder(tenant, body);
    expect(response.status, response.text).toBe(201);
    const order = response.body;
    expect(response.headers.get("location")).toBe(`/api/v1/orders/${order.id}`);
    expect(numericIdFields(order)).toEqual([]);
    expect(order).toMatchObject({
      brand: tenant.brand.id,
      market: tenant.market.code,
      store: null,
      platform: "shopify",
      external_id: body.external_id,
      currency: "KRW",
      subtotal: 36_000 + 42_000 + 29_700,
      discount_total: 3_000,
      tax_total: 0,
      shipping_total: 3_000,
      total: 107_700,
      credited_total: 0,
      placed_at: "2026-03-14T09:30:00.000Z",
      campaign: "spring-launch",
      marketing: { utm_source: "instagram", utm_medium: "social", utm_campaign: "spring-launch" },
      capture_id: null,
      coupons: [{ code: "SPRING10", discount: 3_000 }],
    });
    expect(
      order.items.map((i: Record<string, unknown>) => [i.line_no, i.sku, i.offer_code, i.quantity, i.total]),
    ).toEqual([
      [1, "CLEANSER-150", "default", 2, 33_000],
      [2, "SERUM-30", "30ml", 1, 42_000],
      [3, "MASK-5", "default", 3, 29_700],
    ]);
    expect(
      order.invoice.items.map((i: Record<string, unknown>) => [
        i.kind,
        i.description,
        i.amount,
        i.order_item,
      ]),
    ).toEqual([
      ["product", "Gentle Cleanser 150 ml", 33_000, order.items[0].id],
      ["product", "Vitamin C Serum 30 ml", 42_000, order.items[1].id],
      ["product", "Sheet Mask 5-pack", 29_700, order.items[2].id],
      ["shipping", "Shipping", 3_000, null],
    ]);
    expect(order.invoice).toMatchObject({
      amount: 107_700,
      credited_total: 0,
      issued_at: "2026-03-14T09:30:00.000Z",
    });
    expect(order.payments).toEqual([
      {
        id: expect.any(String),
        amount: 107_700,
        method: "card",
        external_id: body.payment?.external_id,
        received_at: "2026-03-14T09:30:00.000Z",
      },
    ]);
    expect(order.account).toEqual({
      id: expect.any(String),
      currency: "KRW",
      invoiced: 107_700,
      credited: 0,
      paid: 107_700,
      refunded: 0,
      balance: 107_700,
      outstanding: 0,
    });
    // No store has said it shipped.
    expect(order.fulfilment).toEqual({ status: null, history: [] });

    const fetched = await call("GET", `/api/v1/orders/${order.id}`, { key: tenant.key });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(order);
  });

  it("stores the email, the person and the addresses once, normalised and hashed", async () => {
    const tenant = await createSalesTenant();
    const local = `minji.kim.${rand()}`;
    const body = orderBody(tenant, {
      customer: {
        email: ` ${local.toUpperCase()}+promo@Gmail.com `,
        first_name: " Minji ",
        last_name: "Kim",
        phone: "+82 10-1234-5678",
      },
    });
    const response = await postOrder(tenant, body);
    expect(response.status, response.text).toBe(201);
    const normalised = `${local.replaceAll(".", "")}@gmail.com`;
    const [email] = await withDb((db) => db.select().from(emails).where(eq(emails.address, normalised)));
    expect(email).toMatchObject({
      domain: "gmail.com",
      sha256: sha256Hex(normalised),
      md5: md5Hex(normalised),
    });

    const personCanonical = JSON.stringify(["person", "Minji", "Kim", "+821012345678"]);
    const [person] = await withDb((db) =>
      db
        .select()
        .from(personalInfo)
        .where(eq(personalInfo.sha256, sha256Hex(personCanonical))),
    );
    expect(person).toMatchObject({
      firstName: "Minji",
      lastName: "Kim",
      phone: "+821012345678",
      md5: md5Hex(personCanonical),
    });

    // Billing and shipping differ only in case and spacing: one address row.
    const addressCanonical = JSON.stringify([
      "address",
      "KR",
      "Seoul",
      "Gangnam-gu",
      "06236",
      "123 Teheran-ro",
      "Apt 501",
    ]);
    const rows = await withDb((db) =>
      db
        .select()
        .from(addresses)
        .where(eq(addresses.sha256, sha256Hex(addressCanonical))),
    );
    expect(rows).toHaveLength(1);
    const [stored] = await withDb((db) =>
      db
        .select()
        .from(orders)
        .where(eq(orders.id, decode("order", response.body.id))),
    );
    expect(stored?.billingAddressId).toBe(rows[0]?.id);
    expect(stored?.shippingAddressId).toBe(rows[0]?.id);
    expect(stored?.personalInfoId).toBe(person?.id);
    // The same address, differently written, by another customer: still one row.
    const other = await postOrder(
      tenant,
      orderBody(tenant, {
        billing_address: {
          country: "KR",
          region: "Seoul",
          city: "Gangnam-gu",
          postal_code: "06236",
          line1: " 123 Teheran-ro ",
          line2: "Apt 501",
        },
      }),
    );
    expect(other.status).toBe(201);
    expect(
      await withDb((db) =>
        db
          .select()
          .from(addresses)
          .where(eq(addresses.sha256, sha256Hex(addressCanonical))),
      ),
    ).toHaveLength(1);
  });

  it("is idempotent: the same order again returns the first result with 200 and writes nothing", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const first = await postOrder(tenant, body);
    expect(first.status).toBe(201);
    const before = await footprint(body.customer.email);
    // Even with other content, the key (brand, platform, external id) decides.
    const again = await postOrder(tenant, { ...body, shipping: 0, payment: undefined });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await footprint(body.customer.email)).toEqual(before);
    expect(before).toEqual({ emails: 1, accounts: 1, orders: 1, invoices: 1, payments: 1 });
  });

  it("takes concurrent duplicates of one order once", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const responses = await Promise.all(Array.from({ length: 5 }, () => postOrder(tenant, body)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await footprint(body.customer.email)).toEqual({
      emails: 1,
      accounts: 1,
      orders: 1,
      invoices: 1,
      payments: 1,
    });
  });

  it("keeps one customer's totals exact under 20 concurrent orders", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    const bodies = Array.from({ length: 20 }, (_, n) =>
      orderBody(tenant, {
        customer: { email },
        items: [{ sku: `SKU-${n % 3}`, name: `Item ${n % 3}`, quantity: 1, unit_price: 1_000 * (n + 1) }],
        shipping: 0,
        coupons: [],
        payment: n % 2 === 0 ? { amount: 1_000 * (n + 1), method: "card" } : undefined,
      }),
    );
    const responses = await Promise.all(bodies.map((body) => postOrder(tenant, body)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const accountIds = new Set(responses.map((r) => r.body.account.id));
    expect(accountIds.size).toBe(1);
    const invoiced = (20 * 21 * 1_000) / 2;
    const paid = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19].reduce((sum, n) => sum + n * 1_000, 0);
    const [account] = await withDb((db) =>
      db
        .select()
        .from(brandClientAccounts)
        .where(eq(brandClientAccounts.id, decode("account", [...accountIds][0] ?? ""))),
    );
    expect(account).toMatchObject({
      invoiced,
      credited: 0,
      paid,
      refunded: 0,
      balance: paid,
      outstanding: invoiced - paid,
      orderCount: 20,
    });
  });

  it("links one person's orders of two brands through the shared email, with an account per brand", async () => {
    const a = await createSalesTenant();
    const b: SalesTenant = await createSalesTenant();
    const email = customerEmail();
    const first = await postOrder(a, orderBody(a, { customer: { email } }));
    const second = await postOrder(b, orderBody(b, { customer: { email: email.toUpperCase() } }));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.account.id).not.toBe(second.body.account.id);
    const accounts = await withDb((db) =>
      db
        .select({ emailId: brandClientAccounts.emailId, contactId: brandClientAccounts.contactId })
        .from(brandClientAccounts)
        .where(
          sql`${brandClientAccounts.id} IN (${decode("account", first.body.account.id)}, ${decode("account", second.body.account.id)})`,
        ),
    );
    expect(accounts).toHaveLength(2);
    expect(accounts[0]).toEqual(accounts[1]);
  });
});

describe("order validation", () => {
  it("names each bad field with its category and writes nothing", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const bad = {
      ...body,
      currency: "krw",
      items: [
        { ...body.items[0], quantity: 0, discount: 999_999_999 },
        { sku: "", name: "X", quantity: 1, unit_price: -1 },
      ],
      surprise: true,
    };
    const response = await postOrder(tenant, bad);
    expectProblem(response, 422, [
      { field: "currency", category: "malformed" },
      { field: "items.0.quantity", category: "out_of_range" },
      { field: "items.1.sku", category: "too_short" },
      { field: "items.1.unit_price", category: "out_of_range" },
      { field: "surprise", category: "not_allowed" },
    ]);
    expect(await footprint(body.customer.email)).toEqual(nothingStored);
  });

  it("refuses a discount larger than the line, an unusable email, an unknown market and a foreign currency", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const discount = await postOrder(tenant, {
      ...body,
      items: [{ sku: "A", name: "A", quantity: 2, unit_price: 1_000, discount: 2_001 }],
    });
    expectProblem(discount, 422, [{ field: "items.0.discount", category: "out_of_range" }]);

    const email = "not-an-address@";
    const badEmail = await postOrder(tenant, { ...body, customer: { email } });
    expectProblem(badEmail, 422, [{ field: "customer.email", category: "malformed" }]);
    // Personal data never comes back in an error.
    expect(badEmail.text).not.toContain(email);

    const market = await postOrder(tenant, { ...body, market: "nowhere" });
    expectProblem(market, 422, [{ field: "market", category: "not_found" }]);
    const currency = await postOrder(tenant, { ...body, currency: "USD" });
    expectProblem(currency, 422, [{ field: "currency", category: "not_allowed" }]);
    expect(await footprint(body.customer.email)).toEqual(nothingStored);
  });

  it("refuses instants a ledger cannot hold: year 0, and before 1970 or after 2099", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const payment = { amount: 107_700, method: "card" };
    for (const placed of ["0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z"]) {
      const response = await postOrder(tenant, {
        ...body,
        placed_at: placed,
        payment: { ...payment, paid_at: "0000-06-01T00:00:00+09:00" },
      });
      expectProblem(response, 422, [
        { field: "placed_at", category: "out_of_range" },
        { field: "payment.paid_at", category: "out_of_range" },
      ]);
    }
    const edges = await postOrder(tenant, {
      ...body,
      placed_at: "1970-01-01T00:00:00Z",
      payment: { ...payment, paid_at: "2099-12-31T23:59:59.999+00:00" },
    });
    expect(edges.status).toBe(201);
  });

  it("refuses text holding a NUL in any field, even where it would be stored as JSON, and writes nothing", async () => {
    const tenant = await createSalesTenant();
    const body = orderBody(tenant);
    const response = await postOrder(tenant, {
      ...body,
      external_id: "ord\u0000",
      customer: { ...body.customer, first_name: "Min\u0000ji" },
      items: [{ ...body.items[0], sku: "\u0000SKU" }, ...body.items.slice(1)],
      campaign: "spring\u0000",
      marketing: { utm_source: "insta\u0000gram", "utm\u0000medium": "social" },
    });
    // The key fails the schema's own check; the values are named after it.
    expectProblem(response, 422, [
      { field: "marketing.utm\u0000medium", category: "malformed" },
      { field: "external_id", category: "malformed" },
      { field: "customer.first_name", category: "malformed" },
      { field: "items.0.sku", category: "malformed" },
      { field: "campaign", category: "malformed" },
      { field: "marketing.utm_source", category: "malformed" },
    ]);
    expect(await footprint(body.customer.email)).toEqual(nothingStored);
  });

  it("keeps brands apart: 403 to order, read or list for another brand", async () => {
    const a = await createSalesTenant();
    const b = await createSalesTenant();
    const body = orderBody(a);
    expectProblem(await postOrder(a, body, b.key), 403);
    const created = await postOrder(a, body);
    expect(created.status).toBe(201);
    expectProblem(await call("GET", `/api/v1/orders/${created.body.id}`, { key: b.key }), 403);
    expectProblem(await call("GET", `/api/v1/orders?brand=${a.brand.id}`, { key: b.key }), 403);
    const own = await call("GET", "/api/v1/orders", { key: b.key });
    expect(own.status).toBe(200);
    expect(own.body.data).toEqual([]);
    const listed = await call("GET", `/api/v1/orders?account=${created.body.account.id}`, { key: a.key });
    expect(listed.body.data.map((o: { id: string }) => o.id)).toEqual([created.body.id]);
    expectProblem(await call("GET", "/api/v1/orders/not-an-id", { key: a.key }), 404);
    expectProblem(await postOrder(a, body, null), 401);
  });
});

describe("subscriptions through orders", () => {
  const plan = (action: "create" | "renew", externalId: string) => ({
    sku: "SERUM-30",
    name: "Vitamin C Serum 30 ml",
    offer: "monthly",
    quantity: 1,
    unit_price: 39_000,
    subscription: { action, external_id: externalId, interval: "month" as const, interval_count: 1 },
  });

  it("creates a subscription with the first order and bills the next period on renewal", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    const contract = `contract-${rand()}`;
    const first = await postOrder(
      tenant,
      orderBody(tenant, {
        customer: { email },
        items: [plan("create", contract)],
        shipping: 0,
        coupons: [],
        payment: undefined,
        placed_at: "2026-01-31T10:00:00.000Z",
      }),
    );
    expect(first.status, first.text).toBe(201);
    const subscriptionHash = first.body.items[0].subscription;
    const subscriptionId = decode("subscription", subscriptionHash);
    const renewal = await postOrder(
      tenant,
      orderBody(tenant, {
        customer: { email },
        items: [plan("renew", contract)],
        shipping: 0,
        coupons: [],
        payment: undefined,
        placed_at: "2026-02-27T10:00:00.000Z",
      }),
    );
    expect(renewal.status, renewal.text).toBe(201);
    expect(renewal.body.items[0].subscription).toBe(subscriptionHash);

    const [row] = await withDb((db) =>
      db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)),
    );
    expect(row).toMatchObject({
      state: "active",
      occurrences: 2,
      platform: "shopify",
      externalId: contract,
      startedAt: new Date("2026-01-31T10:00:00.000Z"),
      // Month arithmetic is Postgres's: Jan 31 + 1 month = Feb 28, + 1 month = Mar 28.
      currentPeriodStart: new Date("2026-02-28T10:00:00.000Z"),
      currentPeriodEnd: new Date("2026-03-28T10:00:00.000Z"),
    });
    const occurrences = await withDb((db) =>
      db
        .select()
        .from(subscriptionOccurrences)
        .where(eq(subscriptionOccurrences.subscriptionId, subscriptionId))
        .orderBy(subscriptionOccurrences.number),
    );
    expect(
      occurrences.map((o) => [o.number, o.periodStart.toISOString(), o.periodEnd.toISOString()]),
    ).toEqual([
      [1, "2026-01-31T10:00:00.000Z", "2026-02-28T10:00:00.000Z"],
      [2, "2026-02-28T10:00:00.000Z", "2026-03-28T10:00:00.000Z"],
    ]);
    const history = await withDb((db) =>
      db
        .select()
        .from(subscriptionHistory)
        .where(eq(subscriptionHistory.subscriptionId, subscriptionId))
        .orderBy(subscriptionHistory.id),
    );
    expect(history.map((h) => [h.fromState, h.toState, h.occurrences, h.source])).toEqual([
      [null, "active", 1, "order"],
      ["active", "active", 2, "order"],
    ]);
  });

  it("refuses to renew an unknown, foreign or ended subscription and to create one twice", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    const contract = `contract-${rand()}`;
    const base = { customer: { email }, shipping: 0, coupons: [], payment: undefined };
    expect(
      (await postOrder(tenant, orderBody(tenant, { ...base, items: [plan("create", contract)] }))).status,
    ).toBe(201);

    expectProblem(
      await postOrder(tenant, orderBody(tenant, { ...base, items: [plan("renew", "nope")] })),
      422,
      [{ field: "items.0.subscription.external_id", category: "not_found" }],
    );
    expectProblem(
      await postOrder(
        tenant,
        orderBody(tenant, { customer: { email: customerEmail() }, items: [plan("renew", contract)] }),
      ),
      422,
      [{ field: "items.0.subscription.external_id", category: "not_allowed" }],
    );
    expectProblem(
      await postOrder(tenant, orderBody(tenant, { ...base, items: [plan("create", contract)] })),
      409,
      [{ field: "items.0.subscription.external_id", category: "conflict" }],
    );
    expectProblem(
      await postOrder(
        tenant,
        orderBody(tenant, { ...base, items: [plan("renew", contract), plan("renew", contract)] }),
      ),
      422,
      [{ field: "items.1.subscription.external_id", category: "not_allowed" }],
    );
    await withDb((db) =>
      db.update(subscriptions).set({ state: "cancelled" }).where(eq(subscriptions.externalId, contract)),
    );
    const ended = await postOrder(tenant, orderBody(tenant, { ...base, items: [plan("renew", contract)] }));
    expectProblem(ended, 422, [{ field: "items.0.subscription.external_id", category: "not_allowed" }]);
    expect(ended.body.errors[0].message).toBe("The subscription is cancelled; it cannot be renewed.");
  });
});

describe("a failure in the middle of ingestion", () => {
  const admin = { apiKeyId: 0, brandIds: null, isAdmin: true };

  it("leaves nothing of the order when it fails after the account was created (steps 1–3 done)", async () => {
    const tenant = await createSalesTenant();
    const body = createOrderBody.parse(orderBody(tenant));
    const handle = openDb(dbConfig(env), 2);
    try {
      await expect(
        ingestOrder({
          ctx: { db: handle.db, principal: admin, ids },
          input: orderInput(body, tenant.brand.internal),
          hooks: {
            afterResolve: () => {
              throw new Error("injected failure");
            },
          },
        }),
      ).rejects.toThrow("injected failure");
    } finally {
      await handle.close();
    }
    expect(await footprint(body.customer.email)).toEqual(nothingStored);
  });

  it("leaves nothing when an order item insert fails inside the write statement (step 4)", async () => {
    const tenant = await createSalesTenant();
    const poison = `POISON-${rand()}`;
    // A trigger that fails step 4 for this one SKU only: the failure happens inside the database.
    await withDb(async (db) => {
      await db.execute(
        sql.raw(`CREATE OR REPLACE FUNCTION fail_poison_${poison.slice(7)}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.name = '${poison}' THEN RAISE EXCEPTION 'injected item failure'; END IF; RETURN NEW; END $$`),
      );
      await db.execute(
        sql.raw(`CREATE TRIGGER poison_${poison.slice(7)} BEFORE INSERT ON order_items
        FOR EACH ROW EXECUTE FUNCTION fail_poison_${poison.slice(7)}()`),
      );
    });
    try {
      const body = orderBody(tenant, {
        items: [
          { sku: "OK-1", name: "Fine", quantity: 1, unit_price: 1_000 },
          { sku: "BAD-1", name: poison, quantity: 1, unit_price: 1_000 },
        ],
        coupons: [],
        payment: undefined,
      });
      const logged = vi.spyOn(console, "error");
      const response = await postOrder(tenant, body);
      expectProblem(response, 500);
      expect(response.text).not.toContain("injected");
      // The failure is logged with its kind and code, never with the order's personal data.
      const lines = logged.mock.calls.map((call) => call.map(String).join(" "));
      logged.mockRestore();
      expect(lines.some((line) => line.includes('"api.error"'))).toBe(true);
      for (const secret of [body.customer.email, "Minji", "1234-5678", "Teheran", poison])
        expect(lines.filter((line) => line.includes(secret))).toEqual([]);
      expect(await footprint(body.customer.email)).toEqual({
        emails: 0,
        accounts: 0,
        orders: 0,
        invoices: 0,
        payments: 0,
      });
    } finally {
      await withDb((db) => db.execute(sql.raw(`DROP TRIGGER poison_${poison.slice(7)} ON order_items`)));
    }
  });
});

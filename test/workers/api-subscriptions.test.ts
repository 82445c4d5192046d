import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { subscriptionHistory, subscriptions } from "../../db/schema/subscriptions.ts";
import {
  call,
  createTenant,
  expectProblem,
  ids,
  insertApiKey,
  numericIdFields,
  ok,
  rand,
  withDb,
} from "../support/api.ts";
import {
  type AccountFixture,
  insertAccount,
  insertBilledPeriod,
  insertSubscription,
  type SubscriptionFixture,
} from "../support/markets.ts";
import {
  createSalesTenant,
  customerEmail,
  orderBody,
  postOrder,
  type SalesTenant,
} from "../support/sales.ts";

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const transition = (subscription: SubscriptionFixture, body: unknown, key?: string) =>
  call(
    "POST",
    `/api/v1/subscriptions/${subscription.hashId}/transitions`,
    key === undefined ? { body } : { key, body },
  );

const historyRows = (subscription: SubscriptionFixture) =>
  withDb((db) =>
    db
      .select()
      .from(subscriptionHistory)
      .where(eq(subscriptionHistory.subscriptionId, subscription.id))
      .orderBy(asc(subscriptionHistory.id)),
  );

const subscriptionRow = async (subscription: SubscriptionFixture) => {
  const [row] = await withDb((db) =>
    db.select().from(subscriptions).where(eq(subscriptions.id, subscription.id)),
  );
  if (!row) throw new Error("no subscription row");
  return row;
};

const created = {
  from_state: null,
  source: "order",
  reason: null,
  order_item: null,
  changed_at: "2026-01-05T00:00:00.000Z",
};

describe("subscriptions: read", () => {
  it("shows a subscription with its history and billed periods", async () => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const subscription = await insertSubscription(account, "active", {
      externalId: "contract-777",
      occurrences: 2,
    });
    const first = await insertBilledPeriod(account, subscription, {
      number: 1,
      start: "2026-01-05T00:00:00Z",
      end: "2026-02-05T00:00:00Z",
    });
    const second = await insertBilledPeriod(account, subscription, {
      number: 2,
      start: "2026-02-05T00:00:00Z",
      end: "2026-03-05T00:00:00Z",
    });
    const body = await ok("GET", `/api/v1/subscriptions/${subscription.hashId}`);
    expect(body).toEqual({
      id: subscription.hashId,
      brand: tenant.brand.id,
      account: account.hash.account,
      product: account.hash.product,
      offer: account.hash.offer,
      platform: "shopify",
      external_id: "contract-777",
      state: "active",
      occurrences: 2,
      current_period_start: null,
      current_period_end: null,
      started_at: "2026-01-05T00:00:00.000Z",
      ended_at: null,
      allowed_transitions: ["suspended", "cancelled", "expired"],
      created_at: expect.stringMatching(isoPattern),
      updated_at: expect.stringMatching(isoPattern),
      history: [{ ...created, to_state: "active", occurrences: 2 }],
      periods: [
        {
          number: 1,
          order: first.order,
          order_item: first.orderItem,
          period_start: "2026-01-05T00:00:00.000Z",
          period_end: "2026-02-05T00:00:00.000Z",
        },
        {
          number: 2,
          order: second.order,
          order_item: second.orderItem,
          period_start: "2026-02-05T00:00:00.000Z",
          period_end: "2026-03-05T00:00:00.000Z",
        },
      ],
    });
    expect(numericIdFields(body)).toEqual([]);
  });

  it("lists an account's subscriptions oldest first, by state, with a cursor", async () => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const other = await insertAccount(tenant);
    const made = [
      await insertSubscription(account, "active"),
      await insertSubscription(account, "draft", { externalId: null }),
      await insertSubscription(account, "active"),
      await insertSubscription(account, "cancelled"),
    ];
    const foreign = await insertSubscription(other, "active");
    const idsOf = (page: { data: { id: string }[] }) => page.data.map((item) => item.id);

    const page1 = await ok("GET", `/api/v1/subscriptions?account=${account.hash.account}&limit=3`);
    expect(idsOf(page1)).toEqual(made.slice(0, 3).map((s) => s.hashId));
    expect(page1.next_cursor).toBe(made[2]?.hashId);
    const page2 = await ok(
      "GET",
      `/api/v1/subscriptions?account=${account.hash.account}&limit=3&cursor=${page1.next_cursor}`,
    );
    expect(idsOf(page2)).toEqual([made[3]?.hashId]);
    expect(page2.next_cursor).toBeNull();

    const active = await ok("GET", `/api/v1/subscriptions?account=${account.hash.account}&state=active`);
    expect(idsOf(active)).toEqual([made[0]?.hashId, made[2]?.hashId]);
    expect(active.data[1]).toEqual({
      id: made[2]?.hashId,
      brand: tenant.brand.id,
      account: account.hash.account,
      product: account.hash.product,
      offer: account.hash.offer,
      platform: "shopify",
      external_id: expect.stringMatching(/^contract-/),
      state: "active",
      occurrences: 1,
      current_period_start: null,
      current_period_end: null,
      started_at: "2026-01-05T00:00:00.000Z",
      ended_at: null,
      allowed_transitions: ["suspended", "cancelled", "expired"],
      created_at: expect.stringMatching(isoPattern),
      updated_at: expect.stringMatching(isoPattern),
    });
    const draft = await ok("GET", `/api/v1/subscriptions?account=${account.hash.account}&state=draft`);
    expect(draft.data).toEqual([expect.objectContaining({ id: made[1]?.hashId, external_id: null })]);
    expect(idsOf(await ok("GET", `/api/v1/subscriptions?account=${other.hash.account}`))).toEqual([
      foreign.hashId,
    ]);
    expect(numericIdFields(page1)).toEqual([]);
  });
});

describe("subscriptions: transitions", () => {
  it("walks draft → activation → pending → active → suspended → active → cancelled, one history row each", async () => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const subscription = await insertSubscription(account, "draft");
    const steps: [string, string | undefined, string[]][] = [
      ["activation", "First payment taken", ["pending", "active", "cancelled"]],
      ["pending", undefined, ["active", "cancelled"]],
      ["active", "Delivered", ["suspended", "cancelled", "expired"]],
      ["suspended", "Card declined", ["active", "cancelled", "expired"]],
      ["active", "Card updated", ["suspended", "cancelled", "expired"]],
      ["cancelled", "Customer asked", []],
    ];
    const answers = [];
    for (const [to, reason, allowed] of steps) {
      const response = await transition(subscription, reason === undefined ? { to } : { to, reason });
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({
        id: subscription.hashId,
        state: to,
        allowed_transitions: allowed,
      });
      answers.push(response.body);
    }
    const last = answers[answers.length - 1];
    const history = last.history as { changed_at: string }[];
    expect(history.map(({ changed_at: _, ...change }) => change)).toEqual([
      {
        from_state: null,
        to_state: "draft",
        occurrences: 0,
        source: "order",
        reason: null,
        order_item: null,
      },
      {
        from_state: "draft",
        to_state: "activation",
        occurrences: 0,
        source: "api",
        reason: "First payment taken",
        order_item: null,
      },
      {
        from_state: "activation",
        to_state: "pending",
        occurrences: 0,
        source: "api",
        reason: null,
        order_item: null,
      },
      {
        from_state: "pending",
        to_state: "active",
        occurrences: 0,
        source: "api",
        reason: "Delivered",
        order_item: null,
      },
      {
        from_state: "active",
        to_state: "suspended",
        occurrences: 0,
        source: "api",
        reason: "Card declined",
        order_item: null,
      },
      {
        from_state: "suspended",
        to_state: "active",
        occurrences: 0,
        source: "api",
        reason: "Card updated",
        order_item: null,
      },
      {
        from_state: "active",
        to_state: "cancelled",
        occurrences: 0,
        source: "api",
        reason: "Customer asked",
        order_item: null,
      },
    ]);
    // Started when it first became active, not again on resuming; ended when cancelled.
    expect(answers[0].started_at).toBeNull();
    expect(answers[2].started_at).toBe(history[3]?.changed_at);
    expect(answers[4].started_at).toBe(history[3]?.changed_at);
    expect(answers[4].ended_at).toBeNull();
    expect(last.started_at).toBe(history[3]?.changed_at);
    expect(last.ended_at).toBe(history[6]?.changed_at);
    expect(last.updated_at).toBe(history[6]?.changed_at);

    expect(await ok("GET", `/api/v1/subscriptions/${subscription.hashId}`)).toEqual(last);
    const row = await subscriptionRow(subscription);
    expect(row.state).toBe("cancelled");
    expect(row.endedAt?.toISOString()).toBe(last.ended_at);
    expect((await historyRows(subscription)).map((change) => change.source)).toEqual([
      "order",
      "api",
      "api",
      "api",
      "api",
      "api",
      "api",
    ]);
  });

  it("expires an active subscription, keeping when it started and its occurrences", async () => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const subscription = await insertSubscription(account, "active", { occurrences: 12 });
    const expired = await ok("POST", `/api/v1/subscriptions/${subscription.hashId}/transitions`, {
      body: { to: "expired", reason: "  Term of 12 months ended  " },
    });
    expect(expired).toMatchObject({
      state: "expired",
      occurrences: 12,
      started_at: "2026-01-05T00:00:00.000Z",
      ended_at: expect.stringMatching(isoPattern),
      allowed_transitions: [],
    });
    expect(expired.history[1]).toEqual({
      from_state: "active",
      to_state: "expired",
      occurrences: 12,
      source: "api",
      reason: "Term of 12 months ended",
      order_item: null,
      changed_at: expired.ended_at,
    });
  });
});

describe("subscriptions: refused moves", () => {
  const refuse = async (state: "active" | "cancelled", to: string, detail: string, message: string) => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const subscription = await insertSubscription(account, state);
    const before = await subscriptionRow(subscription);
    const problem = expectProblem(await transition(subscription, { to, reason: "try" }), 409, [
      { field: "to", category: "not_allowed" },
    ]);
    expect(problem).toMatchObject({ type: "urn:leadrail:problem:conflict", detail });
    expect(problem.errors).toEqual([{ field: "to", category: "not_allowed", message }]);
    expect(await subscriptionRow(subscription)).toEqual(before);
    expect(await historyRows(subscription)).toHaveLength(1);
  };

  it("refuses a move the table does not have, naming the states and the allowed moves", async () => {
    await refuse(
      "active",
      "draft",
      "The subscription is active; it cannot move to draft. From active it can move to: suspended, cancelled, expired.",
      "Allowed from active: suspended, cancelled, expired.",
    );
    await refuse(
      "active",
      "pending",
      "The subscription is active; it cannot move to pending. From active it can move to: suspended, cancelled, expired.",
      "Allowed from active: suspended, cancelled, expired.",
    );
  });

  it("refuses a move to the current state", async () => {
    await refuse(
      "active",
      "active",
      "The subscription is already active. From active it can move to: suspended, cancelled, expired.",
      "Allowed from active: suspended, cancelled, expired.",
    );
  });

  it("refuses any move out of a final state", async () => {
    await refuse(
      "cancelled",
      "active",
      "The subscription is cancelled, a final state: it cannot move to active, or to any other state.",
      "No move is allowed from cancelled.",
    );
  });

  it("lets exactly one of two racing moves out of the same state win", async () => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const subscription = await insertSubscription(account, "active");
    const [a, b] = await Promise.all([
      transition(subscription, { to: "cancelled" }),
      transition(subscription, { to: "expired" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
    const won = winner.body.state as string;
    const lost = won === "cancelled" ? "expired" : "cancelled";
    expect(expectProblem(loser, 409).detail).toBe(
      `The subscription is ${won}, a final state: it cannot move to ${lost}, or to any other state.`,
    );
    const history = await historyRows(subscription);
    expect(history.map((change) => [change.fromState, change.toState])).toEqual([
      [null, "active"],
      ["active", won],
    ]);
    expect((await subscriptionRow(subscription)).state).toBe(won);
  });
});

describe("subscriptions: bad input", () => {
  it("names every bad field of a transition and writes nothing", async () => {
    const tenant = await createTenant();
    const account = await insertAccount(tenant);
    const subscription = await insertSubscription(account, "active");
    expectProblem(
      await transition(subscription, { to: "paused", reason: "x".repeat(501), when: "now" }),
      422,
      [
        { field: "to", category: "not_allowed" },
        { field: "reason", category: "too_long" },
        { field: "when", category: "not_allowed" },
      ],
    );
    expectProblem(await transition(subscription, { reason: "   " }), 422, [
      { field: "to", category: "missing" },
      { field: "reason", category: "too_short" },
    ]);
    expectProblem(
      await call("POST", `/api/v1/subscriptions/${subscription.hashId}/transitions`, { rawBody: "{" }),
      400,
    );
    expect(await historyRows(subscription)).toHaveLength(1);
    expect((await subscriptionRow(subscription)).state).toBe("active");
  });

  it("answers 404 for a subscription that does not exist or a hash id of another kind", async () => {
    const missing = ids.encode("subscription", 2 ** 40);
    expectProblem(await call("GET", `/api/v1/subscriptions/${missing}`), 404);
    expectProblem(
      await call("POST", `/api/v1/subscriptions/${missing}/transitions`, { body: { to: "active" } }),
      404,
    );
    const tenant = await createTenant();
    expectProblem(await call("GET", `/api/v1/subscriptions/${tenant.brand.id}`), 404);
  });

  it("refuses bad list filters", async () => {
    expectProblem(await call("GET", "/api/v1/subscriptions?state=paused"), 422, [
      { field: "state", category: "not_allowed" },
    ]);
    expectProblem(await call("GET", "/api/v1/subscriptions?account=nope"), 422, [
      { field: "account", category: "malformed" },
    ]);
    expectProblem(await call("GET", `/api/v1/subscriptions?account=${ids.encode("account", 2 ** 40)}`), 422, [
      { field: "account", category: "not_found" },
    ]);
  });
});

describe("subscriptions: security", () => {
  const twoBrands = async (): Promise<{
    a: AccountFixture;
    b: AccountFixture;
    subA: SubscriptionFixture;
    subB: SubscriptionFixture;
    keyB: string;
  }> => {
    const [tenantA, tenantB] = [await createTenant(), await createTenant()];
    const [a, b] = [await insertAccount(tenantA), await insertAccount(tenantB)];
    const subA = await insertSubscription(a, "active");
    const subB = await insertSubscription(b, "active");
    const keyB = await insertApiKey({ brandIds: [tenantB.internal.brand] });
    return { a, b, subA, subB, keyB: keyB.key };
  };

  it("needs a key on every endpoint", async () => {
    const { subA } = await twoBrands();
    expectProblem(await call("GET", `/api/v1/subscriptions/${subA.hashId}`, { key: null }), 401);
    expectProblem(await call("GET", "/api/v1/subscriptions", { key: null }), 401);
    expectProblem(
      await call("POST", `/api/v1/subscriptions/${subA.hashId}/transitions`, {
        key: null,
        body: { to: "suspended" },
      }),
      401,
    );
    expect((await subscriptionRow(subA)).state).toBe("active");
  });

  it("GET /subscriptions/:id: 403 for another brand's, 200 for its own", async () => {
    const { subA, subB, keyB } = await twoBrands();
    expectProblem(await call("GET", `/api/v1/subscriptions/${subA.hashId}`, { key: keyB }), 403);
    expect((await ok("GET", `/api/v1/subscriptions/${subB.hashId}`, { key: keyB })).id).toBe(subB.hashId);
  });

  it("POST /subscriptions/:id/transitions: 403 for another brand's and nothing written; its own moves", async () => {
    const { subA, subB, keyB } = await twoBrands();
    expectProblem(await transition(subA, { to: "suspended" }, keyB), 403);
    // Even a move the table refuses answers 403, not 409: a foreign key learns nothing of the state.
    expectProblem(await transition(subA, { to: "draft" }, keyB), 403);
    expect((await subscriptionRow(subA)).state).toBe("active");
    expect(await historyRows(subA)).toHaveLength(1);
    const moved = await transition(subB, { to: "suspended" }, keyB);
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.state).toBe("suspended");
  });

  it("GET /subscriptions: 403 for another brand's account; unfiltered lists only its brands'", async () => {
    const { a, b, subB, keyB } = await twoBrands();
    expectProblem(await call("GET", `/api/v1/subscriptions?account=${a.hash.account}`, { key: keyB }), 403);
    const own = await ok("GET", `/api/v1/subscriptions?account=${b.hash.account}`, { key: keyB });
    expect(own.data.map((item: { id: string }) => item.id)).toEqual([subB.hashId]);
    const all = await ok("GET", "/api/v1/subscriptions?limit=200", { key: keyB });
    expect(all).toEqual({ data: [expect.objectContaining({ id: subB.hashId })], next_cursor: null });
    const active = await ok("GET", "/api/v1/subscriptions?state=active&limit=200", { key: keyB });
    expect(active.data.map((item: { id: string }) => item.id)).toEqual([subB.hashId]);
  });
});

describe("subscriptions created and renewed by orders", () => {
  const plan = (action: "create" | "renew", externalId: string) => ({
    sku: "SERUM-30",
    name: "Vitamin C Serum 30 ml",
    offer: "monthly",
    quantity: 1,
    unit_price: 39_000,
    subscription: { action, external_id: externalId, interval: "month" as const, interval_count: 1 },
  });
  const order = (
    tenant: SalesTenant,
    email: string,
    action: "create" | "renew",
    contract: string,
    at: string,
  ) =>
    postOrder(
      tenant,
      orderBody(tenant, {
        customer: { email },
        items: [plan(action, contract)],
        shipping: 0,
        coupons: [],
        payment: undefined,
        placed_at: at,
      }),
    );

  it("shows the orders' periods and history, and a suspended one resumes when an order renews it", async () => {
    const tenant = await createSalesTenant();
    const email = customerEmail();
    const contract = `contract-${rand()}`;
    const first = await order(tenant, email, "create", contract, "2026-01-31T10:00:00.000Z");
    expect(first.status, first.text).toBe(201);
    const second = await order(tenant, email, "renew", contract, "2026-02-27T10:00:00.000Z");
    expect(second.status, second.text).toBe(201);
    const id: string = first.body.items[0].subscription;
    const account: string = first.body.account.id;

    const detail = await ok("GET", `/api/v1/subscriptions/${id}`, { key: tenant.key });
    expect(detail).toEqual({
      id,
      brand: tenant.brand.id,
      account,
      product: first.body.items[0].product,
      offer: first.body.items[0].offer,
      platform: "shopify",
      external_id: contract,
      state: "active",
      occurrences: 2,
      // Month arithmetic is Postgres's: Jan 31 + 1 month = Feb 28, + 1 month = Mar 28.
      current_period_start: "2026-02-28T10:00:00.000Z",
      current_period_end: "2026-03-28T10:00:00.000Z",
      started_at: "2026-01-31T10:00:00.000Z",
      ended_at: null,
      allowed_transitions: ["suspended", "cancelled", "expired"],
      created_at: expect.stringMatching(isoPattern),
      updated_at: expect.stringMatching(isoPattern),
      history: [
        {
          from_state: null,
          to_state: "active",
          occurrences: 1,
          source: "order",
          reason: null,
          order_item: first.body.items[0].id,
          changed_at: "2026-01-31T10:00:00.000Z",
        },
        {
          from_state: "active",
          to_state: "active",
          occurrences: 2,
          source: "order",
          reason: null,
          order_item: second.body.items[0].id,
          changed_at: "2026-02-27T10:00:00.000Z",
        },
      ],
      periods: [
        {
          number: 1,
          order: first.body.id,
          order_item: first.body.items[0].id,
          period_start: "2026-01-31T10:00:00.000Z",
          period_end: "2026-02-28T10:00:00.000Z",
        },
        {
          number: 2,
          order: second.body.id,
          order_item: second.body.items[0].id,
          period_start: "2026-02-28T10:00:00.000Z",
          period_end: "2026-03-28T10:00:00.000Z",
        },
      ],
    });

    const suspended = await call("POST", `/api/v1/subscriptions/${id}/transitions`, {
      key: tenant.key,
      body: { to: "suspended", reason: "Card declined" },
    });
    expect(suspended.status, suspended.text).toBe(200);
    expect(suspended.body).toMatchObject({ state: "suspended", occurrences: 2, ended_at: null });
    expect(
      (await ok("GET", `/api/v1/subscriptions?account=${account}&state=suspended`, { key: tenant.key })).data,
    ).toEqual([expect.objectContaining({ id, state: "suspended" })]);

    const third = await order(tenant, email, "renew", contract, "2026-03-27T10:00:00.000Z");
    expect(third.status, third.text).toBe(201);
    const resumed = await ok("GET", `/api/v1/subscriptions/${id}`, { key: tenant.key });
    expect(resumed).toMatchObject({
      state: "active",
      occurrences: 3,
      current_period_start: "2026-03-28T10:00:00.000Z",
      current_period_end: "2026-04-28T10:00:00.000Z",
      started_at: "2026-01-31T10:00:00.000Z",
    });
    expect(
      resumed.history.map(
        (h: { from_state: string | null; to_state: string; occurrences: number; source: string }) => [
          h.from_state,
          h.to_state,
          h.occurrences,
          h.source,
        ],
      ),
    ).toEqual([
      [null, "active", 1, "order"],
      ["active", "active", 2, "order"],
      ["active", "suspended", 2, "api"],
      ["suspended", "active", 3, "order"],
    ]);
    expect(resumed.periods.map((p: { number: number; order: string }) => [p.number, p.order])).toEqual([
      [1, first.body.id],
      [2, second.body.id],
      [3, third.body.id],
    ]);

    // Cancelled through the API, it is final: the next renewal order is refused.
    const cancelled = await ok("POST", `/api/v1/subscriptions/${id}/transitions`, {
      key: tenant.key,
      body: { to: "cancelled" },
    });
    expect(cancelled).toMatchObject({ state: "cancelled", ended_at: expect.stringMatching(isoPattern) });
    const refused = await order(tenant, email, "renew", contract, "2026-04-27T10:00:00.000Z");
    expectProblem(refused, 422, [{ field: "items.0.subscription.external_id", category: "not_allowed" }]);
    expect((await ok("GET", `/api/v1/subscriptions/${id}`, { key: tenant.key })).occurrences).toBe(3);
  });
});

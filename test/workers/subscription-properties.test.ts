import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { subscriptions } from "../../db/schema/subscriptions.ts";
import {
  canTransition,
  renewableStates,
  type SubscriptionState,
  subscriptionStates,
} from "../../domain/subscriptions/states.ts";
import { call, rand, withDb } from "../support/api.ts";
import { decode, noDrift, postRefund, storedAndRecomputed } from "../support/ledger.ts";
import { createSalesTenant, customerEmail, orderBody, postOrder } from "../support/sales.ts";

const price = 39_000;

type Move =
  | { kind: "renew"; paid: boolean }
  | { kind: "transition"; to: SubscriptionState }
  | { kind: "refund"; amount: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("renew" as const), paid: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("transition" as const),
      to: fc.constantFrom(...subscriptionStates),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("refund" as const),
      amount: fc.integer({ min: 1, max: 50_000 }),
    }),
  },
);

/** Counts of a subscription's history and billed periods, and its stored state. */
async function subscriptionRows(id: number) {
  return withDb(async (db) => {
    const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
    const counts = await db.execute<{ history: string; periods: string; numbers: number[] | null }>(sql`SELECT
      (SELECT count(*) FROM subscription_history WHERE subscription_id = ${id}) AS history,
      (SELECT count(*) FROM subscription_occurrences WHERE subscription_id = ${id}) AS periods,
      (SELECT array_agg(number ORDER BY number) FROM subscription_occurrences WHERE subscription_id = ${id}) AS numbers`);
    const c = counts.rows[0];
    return {
      state: row?.state,
      occurrences: row?.occurrences,
      history: Number(c?.history),
      periods: Number(c?.periods),
      numbers: c?.numbers ?? [],
    };
  });
}

describe("subscription moves among orders, payments and refunds", () => {
  it("keeps state, occurrences, history and totals in step with a model of the transition table", async () => {
    const tenant = await createSalesTenant();
    await fc.assert(
      fc.asyncProperty(fc.array(move, { minLength: 1, maxLength: 8 }), async (moves) => {
        const email = customerEmail("subscriber");
        const contract = `contract-${rand()}`;
        const line = (action: "create" | "renew") => ({
          sku: "SERUM-SUB",
          name: "Serum subscription",
          offer: "monthly",
          quantity: 1,
          unit_price: price,
          subscription: { action, external_id: contract, interval: "month" as const, interval_count: 1 },
        });
        const base = { customer: { email }, shipping: 0, coupons: [] };
        const first = await postOrder(
          tenant,
          orderBody(tenant, { ...base, items: [line("create")], payment: { amount: price, method: "card" } }),
        );
        expect(first.status, first.text).toBe(201);
        const subscriptionId = decode("subscription", first.body.items[0].subscription);
        const product = first.body.items[0].product;
        const account = first.body.account.id;
        const model = {
          state: "active" as SubscriptionState,
          occurrences: 1,
          history: 1,
          invoiced: price,
          paid: price,
          refunded: 0,
          refundable: price,
        };

        for (const step of moves) {
          if (step.kind === "renew") {
            const response = await postOrder(
              tenant,
              orderBody(tenant, {
                ...base,
                items: [line("renew")],
                payment: step.paid ? { amount: price, method: "card" } : undefined,
              }),
            );
            const renewable = renewableStates.includes(model.state);
            expect([step, model.state, response.status]).toEqual([step, model.state, renewable ? 201 : 422]);
            if (renewable) {
              model.state = "active";
              model.occurrences += 1;
              model.history += 1;
              model.invoiced += price;
              model.refundable += price;
              if (step.paid) model.paid += price;
            }
          } else if (step.kind === "transition") {
            const response = await call(
              "POST",
              `/api/v1/subscriptions/${first.body.items[0].subscription}/transitions`,
              {
                key: tenant.key,
                body: { to: step.to },
              },
            );
            const legal = canTransition(model.state, step.to);
            expect([step, model.state, response.status < 300]).toEqual([step, model.state, legal]);
            if (!legal) expect(response.status).toBe(409);
            if (legal) {
              model.state = step.to;
              model.history += 1;
            }
          } else {
            const response = await postRefund(
              { account, product, amount: step.amount, currency: "KRW" },
              tenant.key,
            );
            const fits = step.amount <= model.refundable && step.amount <= model.paid - model.refunded;
            expect([step, response.status]).toEqual([step, fits ? 201 : 422]);
            if (fits) {
              model.refunded += step.amount;
              model.refundable -= step.amount;
            }
          }
        }

        const rows = await subscriptionRows(subscriptionId);
        expect(rows).toEqual({
          state: model.state,
          occurrences: model.occurrences,
          history: model.history,
          periods: model.occurrences,
          numbers: Array.from({ length: model.occurrences }, (_, i) => i + 1),
        });
        const totals = await storedAndRecomputed(decode("account", account));
        expect(totals.stored).toEqual(totals.recomputed);
        expect(totals.drift).toEqual(noDrift);
        expect(totals.stored).toMatchObject({
          invoiced: model.invoiced,
          paid: model.paid,
          refunded: model.refunded,
          credited: model.refunded,
        });
      }),
      { numRuns: 10 },
    );
  });
});

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Transaction } from "../../db/client.ts";
import type { Principal } from "../../domain/core/scope.ts";
import { recordPayment } from "../../domain/ledger/payments.ts";
import { refundProduct } from "../../domain/ledger/refunds.ts";
import { ids, withDb } from "../support/api.ts";
import {
  decode,
  noDrift,
  placeOrder,
  postPayment,
  postRefund,
  productOf,
  storedAndRecomputed,
} from "../support/ledger.ts";
import { createSalesTenant, customerEmail, type SalesTenant } from "../support/sales.ts";

const prices = { serum: 42_000, mask: 9_900 } as const;
type ProductName = keyof typeof prices;
const skus: Record<ProductName, string> = { serum: "SERUM-30", mask: "MASK-5" };

let tenant: SalesTenant;
const productIds = {} as Record<ProductName, string>;

beforeAll(async () => {
  tenant = await createSalesTenant();
  // Creates both products in the brand, so every run can refund either.
  const seed = await placeOrder(tenant, customerEmail("seed"), "2026-01-01T00:00:00.000Z", [
    { sku: skus.serum, unitPrice: prices.serum },
    { sku: skus.mask, unitPrice: prices.mask },
  ]);
  productIds.serum = productOf(seed, skus.serum);
  productIds.mask = productOf(seed, skus.mask);
});

type Command =
  | { kind: "order"; day: number; serum: number; mask: number; paidPercent: number }
  | { kind: "payment"; amount: number }
  | { kind: "refund"; product: ProductName; amount: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant("order" as const),
    day: fc.integer({ min: 1, max: 28 }),
    serum: fc.integer({ min: 0, max: 2 }),
    mask: fc.integer({ min: 0, max: 2 }),
    paidPercent: fc.constantFrom(0, 50, 100),
  }),
  fc.record({ kind: fc.constant("payment" as const), amount: fc.integer({ min: 1, max: 60_000 }) }),
  fc.record({
    kind: fc.constant("refund" as const),
    product: fc.constantFrom<ProductName>("serum", "mask"),
    amount: fc.integer({ min: 1, max: 60_000 }),
  }),
);

describe("ledger properties through the API", () => {
  it("after any sequence of orders, payments and refunds the totals equal their recomputation, and refunds succeed exactly when they fit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
        const email = customerEmail("prop");
        let account: string | null = null;
        const model = { invoiced: 0, credited: 0, paid: 0, refunded: 0 };
        const refundable: Record<ProductName, number> = { serum: 0, mask: 0 };
        for (const step of commands) {
          if (step.kind === "order") {
            const serum = step.serum === 0 && step.mask === 0 ? 1 : step.serum;
            const lines = [
              ...(serum > 0 ? [{ sku: skus.serum, unitPrice: prices.serum, quantity: serum }] : []),
              ...(step.mask > 0 ? [{ sku: skus.mask, unitPrice: prices.mask, quantity: step.mask }] : []),
            ];
            const total = serum * prices.serum + step.mask * prices.mask;
            const paid = Math.floor((total * step.paidPercent) / 100);
            const day = String(step.day).padStart(2, "0");
            const order = await placeOrder(tenant, email, `2026-02-${day}T12:00:00.000Z`, lines, { paid });
            account = order.account.id;
            model.invoiced += total;
            model.paid += paid;
            refundable.serum += serum * prices.serum;
            refundable.mask += step.mask * prices.mask;
          } else if (account === null) {
            // No account before the first order.
          } else if (step.kind === "payment") {
            const response = await postPayment(
              { account, amount: step.amount, currency: "KRW", method: "card" },
              tenant.key,
            );
            expect(response.status, response.text).toBe(201);
            model.paid += step.amount;
          } else {
            const response = await postRefund(
              { account, product: productIds[step.product], amount: step.amount, currency: "KRW" },
              tenant.key,
            );
            const fits =
              step.amount <= refundable[step.product] && step.amount <= model.paid - model.refunded;
            expect([step, response.status]).toEqual([step, fits ? 201 : 422]);
            if (fits) {
              const notes: { amount: number }[] = response.body.credit_notes;
              expect(notes.reduce((sum, note) => sum + note.amount, 0)).toBe(step.amount);
              model.credited += step.amount;
              model.refunded += step.amount;
              refundable[step.product] -= step.amount;
            }
          }
        }
        if (account === null) return;
        const state = await storedAndRecomputed(decode("account", account));
        expect(state.stored).toEqual(state.recomputed);
        expect(state.drift).toEqual(noDrift);
        expect(state.stored).toMatchObject(model);
      }),
      { numRuns: 12 },
    );
  });
});

describe("statements per ledger write", () => {
  const admin: Principal = { apiKeyId: 0, brandIds: null, isAdmin: true };

  /** Runs `work` in a transaction whose `execute` calls are counted (the verbs reuse an open transaction). */
  async function countStatements(work: (tx: Transaction) => Promise<unknown>): Promise<number> {
    let statements = 0;
    await withDb((db) =>
      db.transaction(async (tx) => {
        const counted = new Proxy(tx, {
          get(target, property) {
            if (property === "execute")
              return (...args: Parameters<Transaction["execute"]>) => {
                statements += 1;
                return target.execute(...args);
              };
            return Reflect.get(target, property, target);
          },
        });
        await work(counted);
      }),
    );
    return statements;
  }

  it("a refund costs four statements whether it credits one invoice or five", async () => {
    const email = customerEmail("statements");
    let order: { account: { id: string } } | undefined;
    for (let day = 1; day <= 5; day += 1)
      order = await placeOrder(tenant, email, `2026-03-0${day}T00:00:00.000Z`, [
        { sku: skus.serum, unitPrice: prices.serum },
        { sku: skus.mask, unitPrice: prices.mask },
      ]);
    if (!order) throw new Error("no order");
    const accountId = decode("account", order.account.id);
    const productId = decode("product", productIds.serum);
    const invoicesCredited: number[] = [];
    const refund = (amount: number) => async (tx: Transaction) => {
      const result = await refundProduct({
        ctx: { db: tx, principal: admin, ids },
        input: { accountId, productId, amount, currency: "KRW", refundedAt: new Date() },
      });
      invoicesCredited.push(result.creditNotes.length);
    };
    // Lock, read, write, refund postbacks (domain/relay/ledger-relays.ts).
    expect(await countStatements(refund(1_000))).toBe(4);
    expect(await countStatements(refund(5 * prices.serum - 2_000))).toBe(4);
    expect(invoicesCredited).toEqual([1, 5]);
    const payment = (tx: Transaction) =>
      recordPayment({
        ctx: { db: tx, principal: admin, ids },
        input: { accountId, amount: 100, currency: "KRW", method: "card", receivedAt: new Date() },
      });
    // Lock, insert with the totals.
    expect(await countStatements(payment)).toBe(2);
    const state = await storedAndRecomputed(accountId);
    expect(state.stored).toEqual(state.recomputed);
    expect(state.stored.credited).toBe(5 * prices.serum - 1_000);
  });
});

import { sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client.ts";
import { jsonRow } from "../../db/sql.ts";
import { Conflict, FieldErrors } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { type Account, lockInputAccount, type Payment, toAccount, toPayment } from "./accounts.ts";

/** A payment to record on an account already locked by the caller; its currency is the account's. */
export interface NewPayment {
  /** Minor units of the account's currency; > 0. */
  amount: number;
  /** `card`, `bank_transfer`, … as the platform names it. */
  method: string;
  platform: string;
  /** The platform's payment id: with brand and platform, the idempotency key. */
  externalId?: string | null | undefined;
  /** The order it pays for, if any (the caller has checked it belongs to the account). */
  orderId?: number | null | undefined;
  receivedAt: Date;
}

export interface PaymentResult {
  payment: Payment;
  /** The account after the payment (or as it was, for a replay). */
  account: Account;
  /** False when this (brand, platform, external id) was recorded before: nothing was written. */
  created: boolean;
}

type Json = Record<string, unknown>;

/**
 * Records a payment inside an open transaction on an account the caller has locked (`lockAccount`, or
 * the account upsert of order ingestion): the payment row and the account's paid, balance and outstanding
 * in ONE statement. Idempotent on (brand, platform, external id): when the key exists, nothing is written
 * and the first payment is returned (`created: false`, one more statement). Checks nothing else: brand
 * scope, currency and the order are the caller's.
 */
export async function insertPayment(
  tx: Pick<Executor, "execute">,
  account: Pick<Account, "id" | "brandId" | "currency">,
  payment: NewPayment,
): Promise<PaymentResult> {
  const externalId = payment.externalId ?? null;
  const written = await jsonRow(
    tx,
    sql`WITH
      payment AS (INSERT INTO payments (brand_id, account_id, order_id, platform, external_id, method, currency,
          amount, received_at)
        VALUES (${account.brandId}, ${account.id}, ${payment.orderId ?? null}, ${payment.platform}, ${externalId},
          ${payment.method}, ${account.currency}, ${payment.amount}, ${payment.receivedAt.toISOString()}::timestamptz)
        ON CONFLICT (brand_id, platform, external_id) WHERE external_id IS NOT NULL DO NOTHING
        RETURNING *),
      account AS (UPDATE brand_client_accounts a SET
          paid = a.paid + p.amount,
          balance = a.balance + p.amount,
          outstanding = a.outstanding - p.amount,
          updated_at = now()
          FROM payment p WHERE a.id = p.account_id
        RETURNING a.*)
      SELECT jsonb_build_object('payment', (SELECT to_jsonb(p) FROM payment p),
                                'account', (SELECT to_jsonb(a) FROM account a))`,
  );
  if (written && written.payment !== null) {
    return {
      payment: toPayment(written.payment as Json),
      account: toAccount(written.account as Json),
      created: true,
    };
  }
  const first = await jsonRow(
    tx,
    sql`SELECT jsonb_build_object('payment', to_jsonb(p), 'account', to_jsonb(a))
          FROM payments p JOIN brand_client_accounts a ON a.id = p.account_id
         WHERE p.brand_id = ${account.brandId} AND p.platform = ${payment.platform}
           AND p.external_id = ${externalId}`,
  );
  if (!first) throw new Error("payment idempotency key taken but no payment found");
  return {
    payment: toPayment(first.payment as Json),
    account: toAccount(first.account as Json),
    created: false,
  };
}

export interface PaymentInput {
  accountId: number;
  amount: number;
  /** Must be the account's currency. */
  currency: string;
  method: string;
  /** `api` when not given. */
  platform?: string | undefined;
  externalId?: string | null | undefined;
  /** Must be an order of the same account. */
  orderId?: number | null | undefined;
  receivedAt: Date;
}

/**
 * Records money received from a customer (POST /api/v1/payments): locks the account, checks brand scope,
 * currency and order, then {@link insertPayment}. Idempotent on (brand, platform, external id); a key
 * reused for a different payment (another account or amount) is a conflict.
 */
export async function recordPayment({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PaymentInput;
}): Promise<PaymentResult> {
  const platform = input.platform ?? "api";
  return withTransaction(ctx.db, async (tx: Transaction) => {
    const account = await lockInputAccount(tx, input.accountId);
    assertBrand(ctx.principal, account.brandId);
    const errors = new FieldErrors();
    if (input.currency !== account.currency)
      errors.add("currency", "not_allowed", `The account's currency is ${account.currency}.`);
    if (input.orderId !== undefined && input.orderId !== null) {
      const order = await tx.execute<{ account_id: string | number }>(
        sql`SELECT account_id FROM orders WHERE id = ${input.orderId}`,
      );
      const owner = order.rows[0];
      if (!owner || Number(owner.account_id) !== account.id)
        errors.add("order", "not_found", "No such order on this account.");
    }
    errors.throwIfAny();
    const result = await insertPayment(tx, account, {
      amount: input.amount,
      method: input.method,
      platform,
      externalId: input.externalId,
      orderId: input.orderId,
      receivedAt: input.receivedAt,
    });
    if (
      !result.created &&
      (result.payment.accountId !== account.id || result.payment.amount !== input.amount)
    )
      throw new Conflict("This external id was already used for a different payment.", [
        {
          field: "external_id",
          category: "conflict",
          message: "Already used for a payment with another account or amount.",
        },
      ]);
    return result;
  });
}

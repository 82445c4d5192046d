import { type SQL, sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { jsonRow, withCtes } from "../../db/sql.ts";
import { Conflict, FieldErrors, ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { refundRelayJobs } from "../relay/ledger-relays.ts";
import {
  type Account,
  type CreditNote,
  creditNotesJson,
  lockInputAccount,
  type Refund,
  toAccount,
  toCreditNote,
  toRefund,
} from "./accounts.ts";
import { assertCredited, type CreditWrite, creditCtes, creditedFields } from "./crediting.ts";
import { planRefund, type RefundableLine } from "./refund-waterfall.ts";

export interface RefundInput {
  accountId: number;
  /** The product refunded: its invoice lines on the account are credited, most recent invoice first. */
  productId: number;
  /** Minor units of `currency`; > 0. */
  amount: number;
  /** Must be the account's currency. */
  currency: string;
  /** Where the refund comes from; `api` when not given. */
  platform?: string | undefined;
  /** The platform's refund id: with brand and platform, the idempotency key. */
  externalId?: string | null | undefined;
  reason?: string | null | undefined;
  refundedAt: Date;
}

/** A refund of what an order charged for shipping: its invoice's shipping line is credited. */
export type ShippingRefundInput = Omit<RefundInput, "productId"> & { orderId: number };

/** What a refund pays back: a product (across invoices), or one order's shipping. */
type RefundTarget = { kind: "product"; productId: number } | { kind: "shipping"; orderId: number };

export interface RefundResult {
  refund: Refund;
  /** One per invoice the refund credited, in waterfall order (most recent invoice first). */
  creditNotes: CreditNote[];
  /** The account after the refund (or as it is, for a replay). */
  account: Account;
  /** False when this (brand, platform, external id) was refunded before: nothing was written. */
  created: boolean;
  /** Refund postback jobs made in the transaction, to send to the relay queue after its commit. */
  relayJobIds: number[];
}

type Json = Record<string, unknown>;

/** The first refund with this idempotency key, with its credit notes (a statement of its own: committed rows). */
const existingRefundJson = (where: SQL): SQL => sql`
  SELECT to_jsonb(r) || jsonb_build_object('credit_notes', ${creditNotesJson(sql`cn.refund_id = r.id`)})
    FROM refunds r WHERE ${where}`;

/**
 * The first refund recorded with this idempotency key, as the answer to a re-send. A key reused for a
 * different refund (another account, product, amount or currency) is a client error, not a re-send.
 */
function replayOf(row: Json, account: Account, input: RefundBase, target: RefundTarget): RefundResult {
  const refund = toRefund(row);
  if (
    refund.accountId !== account.id ||
    refund.productId !== (target.kind === "product" ? target.productId : null) ||
    refund.orderId !== (target.kind === "shipping" ? target.orderId : null) ||
    refund.amount !== input.amount ||
    refund.currency !== input.currency
  )
    throw new Conflict("This external id was already used for a different refund.", [
      {
        field: "external_id",
        category: "conflict",
        message: "Already used for a refund with another account, product or order, amount or currency.",
      },
    ]);
  const creditNotes = (row.credit_notes as Json[]).map(toCreditNote);
  // Waterfall order is the order the notes were created in (ascending id).
  creditNotes.sort((a, b) => a.id - b.id);
  return { refund, creditNotes, account, created: false, relayJobIds: [] };
}

/**
 * Statement 2: under the account lock, whether the target belongs to the account's brand (the product) or
 * to the account (the order), the refund already recorded with this idempotency key (if any, with its
 * credit notes), and the invoice lines on this account that may still be credited: the product's lines
 * (shipping lines have no product, so a product refund never credits shipping), or the order's shipping.
 */
function readStatement(account: Account, input: RefundBase, target: RefundTarget, platform: string): SQL {
  const existing =
    input.externalId === undefined || input.externalId === null
      ? sql`NULL::jsonb`
      : sql`(${existingRefundJson(
          sql`r.brand_id = ${account.brandId} AND r.platform = ${platform} AND r.external_id = ${input.externalId}`,
        )})`;
  const owned =
    target.kind === "product"
      ? sql`(SELECT p.brand_id = ${account.brandId} FROM products p WHERE p.id = ${target.productId})`
      : sql`(SELECT o.account_id = ${account.id} FROM orders o WHERE o.id = ${target.orderId})`;
  const lines =
    target.kind === "product"
      ? sql`ii.product_id = ${target.productId}`
      : sql`i.order_id = ${target.orderId} AND ii.kind = 'shipping'`;
  return sql`SELECT jsonb_build_object(
      'owned', coalesce(${owned}, false),
      'existing', ${existing},
      'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                  'invoice_id', i.id, 'issued_at', i.issued_at, 'invoice_item_id', ii.id,
                  'amount', ii.amount, 'credited', ii.credited_total)), '[]'::jsonb)
                  FROM invoices i JOIN invoice_items ii ON ii.invoice_id = i.id
                 WHERE i.account_id = ${account.id} AND ${lines} AND ii.credited_total < ii.amount))`;
}

/**
 * Statement 3: the refund, then its credit notes and their items, the credited totals of the invoice items,
 * invoices, order items and orders touched, and the account's totals (domain/ledger/crediting.ts) — one
 * statement whatever the number of invoices. The refund is the gate every write joins, so if a concurrent
 * transaction took the idempotency key first (ON CONFLICT DO NOTHING inserts nothing) nothing at all is
 * written.
 */
function writeStatement(
  account: Account,
  input: RefundBase,
  target: RefundTarget,
  platform: string,
  write: CreditWrite,
): SQL {
  return withCtes(
    [
      {
        name: "refund",
        body: sql`INSERT INTO refunds (brand_id, account_id, product_id, order_id, platform, external_id, currency,
            amount, reason, refunded_at)
          VALUES (${account.brandId}, ${account.id}, ${target.kind === "product" ? target.productId : null}::bigint,
            ${target.kind === "shipping" ? target.orderId : null}::bigint, ${platform}, ${input.externalId ?? null},
            ${account.currency}, ${input.amount}, ${input.reason ?? null}, ${input.refundedAt.toISOString()}::timestamptz)
          ON CONFLICT (brand_id, platform, external_id) WHERE external_id IS NOT NULL DO NOTHING
          RETURNING *`,
      },
      { name: "gate", body: sql`SELECT id FROM refund` },
      ...creditCtes(write),
    ],
    sql`SELECT jsonb_build_object('refund', (SELECT to_jsonb(r) FROM refund r), ${creditedFields})`,
  );
}

const money = (amount: number, currency: string): string => `${amount} ${currency}`;

/**
 * Refunds `amount` of a product to an account (SPEC §7): the waterfall (domain/ledger/refund-waterfall.ts)
 * credits the product's most recent invoice first and cascades to older ones. In one transaction (the
 * caller's, if `ctx.db` is one — a webhook may group several refunds): lock the account, check brand
 * scope and input, read the refundable lines, write everything, then the refund postbacks of the orders it
 * credited (domain/relay/ledger-relays.ts) — four statements whatever the number of invoices touched. Idempotent
 * on (brand, platform, external id): a re-send returns the first refund and writes nothing. Refuses (422 on
 * `amount`, nothing written) a refund larger than what the product's invoices can still be credited, or
 * larger than the account's balance (paid − refunded).
 */
export function refundProduct({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: RefundInput;
}): Promise<RefundResult> {
  const { productId, ...base } = input;
  return recordRefund(ctx, base, { kind: "product", productId });
}

/**
 * Refunds shipping an order charged: one credit note on the order's invoice, crediting its shipping line.
 * The same transaction, checks and idempotency as {@link refundProduct}; the order must be the account's
 * (422 on `order` otherwise), and the amount at most its shipping not yet credited and the balance.
 */
export function refundShipping({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: ShippingRefundInput;
}): Promise<RefundResult> {
  const { orderId, ...base } = input;
  return recordRefund(ctx, base, { kind: "shipping", orderId });
}

type RefundBase = Omit<RefundInput, "productId">;

async function recordRefund(
  ctx: VerbContext,
  input: RefundBase,
  target: RefundTarget,
): Promise<RefundResult> {
  const platform = input.platform ?? "api";
  return withTransaction(ctx.db, async (tx: Transaction) => {
    const account = await lockInputAccount(tx, input.accountId);
    assertBrand(ctx.principal, account.brandId);

    const read = await jsonRow(tx, readStatement(account, input, target, platform));
    if (!read) throw new Error("refund read returned no row");
    if (read.existing !== null && read.existing !== undefined)
      return replayOf(read.existing as Json, account, input, target);

    const errors = new FieldErrors();
    if (read.owned !== true) {
      if (target.kind === "product")
        errors.add("product", "not_found", "No such product in the account's brand.");
      else errors.add("order", "not_found", "No such order on the account.");
    }
    if (input.currency !== account.currency)
      errors.add("currency", "not_allowed", `The account's currency is ${account.currency}.`);
    errors.throwIfAny();

    const lines: RefundableLine[] = (read.lines as Json[]).map((line) => ({
      invoiceId: Number(line.invoice_id),
      invoiceIssuedAt: new Date(String(line.issued_at)),
      invoiceItemId: Number(line.invoice_item_id),
      amount: Number(line.amount),
      credited: Number(line.credited),
    }));
    const plan = planRefund(lines, input.amount);
    if (!plan.ok)
      errors.add(
        "amount",
        "out_of_range",
        `Exceeds what is refundable for ${target.kind === "product" ? "this product on this account" : "this order's shipping"}: ${money(plan.refundable, account.currency)} (invoiced minus already credited).`,
      );
    if (input.amount > account.balance)
      errors.add(
        "amount",
        "out_of_range",
        `Exceeds the account's balance (paid minus refunded): ${money(account.balance, account.currency)}.`,
      );
    if (errors.errors.length > 0 || !plan.ok)
      throw new ValidationFailed(
        errors.errors,
        "The refund is larger than what can be refunded; nothing was written.",
      );

    const write: CreditWrite = {
      account,
      notes: plan.creditNotes.map((note) => ({ ...note, refunded: true })),
      refunded: input.amount,
      reason: input.reason ?? null,
      issuedAt: input.refundedAt,
      refundId: sql`(SELECT id FROM refund)`,
    };
    const written = await jsonRow(tx, writeStatement(account, input, target, platform, write));
    if (!written) throw new Error("refund write returned no row");
    if (written.refund === null) {
      // A concurrent request with the same idempotency key committed first (on another account of the
      // brand: this one's lock did not serialise them). Nothing was written; the first refund decides.
      const first = await jsonRow(
        tx,
        existingRefundJson(
          sql`r.brand_id = ${account.brandId} AND r.platform = ${platform} AND r.external_id = ${input.externalId ?? null}`,
        ),
      );
      if (!first) throw new Error("idempotency key taken but no refund found");
      return replayOf(first, account, input, target);
    }
    const creditNotes = (written.credit_notes as Json[]).map(toCreditNote);
    assertCredited(
      written,
      write,
      target.kind === "product" ? plan.creditNotes.reduce((sum, note) => sum + note.items.length, 0) : 0,
    );
    const refund = toRefund(written.refund as Json);
    return {
      refund,
      creditNotes,
      account: toAccount(written.account as Json),
      created: true,
      relayJobIds: await refundRelayJobs(tx, { refundId: refund.id }),
    };
  });
}

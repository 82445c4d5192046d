import { type SQL, sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { jsonRow, withCtes } from "../../db/sql.ts";
import { NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { refundRelayJobs } from "../relay/ledger-relays.ts";
import {
  type Account,
  type CreditNote,
  lockOrderAccount,
  type Refund,
  toAccount,
  toCreditNote,
  toRefund,
} from "./accounts.ts";
import { cancellationRefund, type InvoiceLineState, planCancellation } from "./cancellation-plan.ts";
import { assertCredited, type CreditWrite, creditCtes, creditedFields } from "./crediting.ts";

export interface CancelOrderInput {
  orderId: number;
  reason?: string | null | undefined;
  cancelledAt: Date;
}

export interface CancelOrderResult {
  orderId: number;
  /** When and why the order was cancelled: this call's, or the first cancellation's for a replay. */
  cancelledAt: Date;
  reason: string | null;
  /** The credit notes written (none when nothing was left to credit, or for a replay). */
  creditNotes: CreditNote[];
  /** What it paid back; null when the order had not been paid (or for a replay). */
  refund: Refund | null;
  /** The account after the cancellation (or as it is, for a replay). */
  account: Account;
  /** False when the order was already cancelled: nothing was written. */
  created: boolean;
  /** Refund postback jobs made in the transaction, to send to the relay queue after its commit. */
  relayJobIds: number[];
}

type Json = Record<string, unknown>;

/**
 * Statement 2, under the account lock: the order (whether it is cancelled), its invoice's lines in line
 * order, what payments paid for it and what refunds have already credited on its invoice.
 */
const readStatement = (orderId: number): SQL => sql`
  SELECT jsonb_build_object(
    'platform', o.platform, 'cancelled_at', o.cancelled_at, 'cancel_reason', o.cancel_reason,
    'invoice_id', i.id,
    'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object('invoice_item_id', ii.id, 'kind', ii.kind,
                'amount', ii.amount, 'credited', ii.credited_total) ORDER BY ii.id), '[]'::jsonb)
                FROM invoice_items ii WHERE ii.invoice_id = i.id),
    'paid', (SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.order_id = o.id),
    'refunded', (SELECT coalesce(sum(cn.amount), 0) FROM credit_notes cn
                  WHERE cn.invoice_id = i.id AND cn.refund_id IS NOT NULL))
    FROM orders o JOIN invoices i ON i.order_id = o.id WHERE o.id = ${orderId}`;

/**
 * Statement 3: the order marked cancelled and credited — the gate every write joins, so an order cancelled
 * meanwhile writes nothing — then the refund when there is money to pay back, and the credit notes with
 * every other total (domain/ledger/crediting.ts; the order row is updated by the gate only, as a statement
 * cannot update one row twice).
 */
function writeStatement(
  account: Account,
  input: CancelOrderInput,
  platform: string,
  refund: number,
  write: CreditWrite,
): SQL {
  const credit = write.notes.reduce((sum, note) => sum + note.amount, 0);
  const reason = input.reason ?? null;
  const refundCte = {
    name: "refund",
    body: sql`INSERT INTO refunds (brand_id, account_id, product_id, order_id, platform, external_id, currency,
        amount, reason, refunded_at)
      SELECT ${account.brandId}, ${account.id}, NULL::bigint, gate.id, ${platform}, NULL::text, ${account.currency},
             ${refund},
             ${reason}, ${input.cancelledAt.toISOString()}::timestamptz
        FROM gate
      RETURNING *`,
  };
  return withCtes(
    [
      {
        name: "gate",
        body: sql`UPDATE orders SET cancelled_at = ${input.cancelledAt.toISOString()}::timestamptz,
            cancel_reason = ${reason}, credited_total = credited_total + ${credit}
          WHERE id = ${input.orderId} AND cancelled_at IS NULL
          RETURNING id, cancelled_at, cancel_reason`,
      },
      ...(refund > 0 ? [refundCte] : []),
      ...creditCtes(write),
    ],
    sql`SELECT jsonb_build_object(
      'order', (SELECT to_jsonb(g) FROM gate g),
      'refund', ${refund > 0 ? sql`(SELECT to_jsonb(r) FROM refund r)` : sql`NULL::jsonb`},
      ${creditedFields})`,
  );
}

/**
 * Cancels an order: a FULL CREDIT of it. In one transaction (the caller's, if `ctx.db` is one): lock the
 * order's account, read the order's invoice and money, then in ONE statement mark the order cancelled,
 * credit every line of its invoice (products and shipping) for what is not yet credited — one credit note
 * (two when a partly paid order refunds part: domain/ledger/cancellation-plan.ts) — with the credited totals
 * of invoice items, invoice, order items and order and the account's totals, and refund what the order was
 * paid and not yet refunded, so the credit leaves nothing outstanding and the payment is paid back; then the
 * refund postbacks of the order (domain/relay/ledger-relays.ts). An unpaid order is credited only: its
 * outstanding drops by what it still owed. Four statements. Idempotent: an order already cancelled writes
 * nothing (`created: false`). 404 for no such order, 403 for one of another brand.
 */
export function cancelOrder({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CancelOrderInput;
}): Promise<CancelOrderResult> {
  return withTransaction(ctx.db, async (tx: Transaction) => {
    const account = await lockOrderAccount(tx, input.orderId);
    if (!account) throw new NotFound("order");
    assertBrand(ctx.principal, account.brandId);

    const read = await jsonRow(tx, readStatement(input.orderId));
    if (!read) throw new Error(`order ${input.orderId} has no invoice`);
    if (read.cancelled_at !== null)
      return {
        orderId: input.orderId,
        cancelledAt: new Date(String(read.cancelled_at)),
        reason: read.cancel_reason === null ? null : String(read.cancel_reason),
        creditNotes: [],
        refund: null,
        account,
        created: false,
        relayJobIds: [],
      };

    const lines = read.lines as Json[];
    const states: InvoiceLineState[] = lines.map((line) => ({
      invoiceItemId: Number(line.invoice_item_id),
      amount: Number(line.amount),
      credited: Number(line.credited),
    }));
    const credit = states.reduce((sum, line) => sum + (line.amount - line.credited), 0);
    const refund = cancellationRefund(
      { paid: Number(read.paid), refunded: Number(read.refunded), balance: account.balance },
      credit,
    );
    const notes = planCancellation(Number(read.invoice_id), states, refund);
    const write: CreditWrite = {
      account,
      notes,
      refunded: refund,
      reason: input.reason ?? null,
      issuedAt: input.cancelledAt,
      // No `refund` CTE when there is nothing to pay back.
      refundId: refund > 0 ? sql`(SELECT id FROM refund)` : sql`NULL::bigint`,
      gateCreditsOrder: true,
    };
    const written = await jsonRow(tx, writeStatement(account, input, String(read.platform), refund, write));
    if (!written || written.order === null)
      throw new Error("cancellation write: the order was cancelled under the account lock");
    const productLines = new Set(
      lines.filter((line) => line.kind === "product").map((line) => Number(line.invoice_item_id)),
    );
    const credited = new Set(notes.flatMap((note) => note.items.map((item) => item.invoiceItemId)));
    assertCredited(written, write, [...credited].filter((id) => productLines.has(id)).length);
    const order = written.order as Json;
    const refundRow = written.refund === null ? null : toRefund(written.refund as Json);
    return {
      orderId: input.orderId,
      cancelledAt: new Date(String(order.cancelled_at)),
      reason: order.cancel_reason === null ? null : String(order.cancel_reason),
      creditNotes: (written.credit_notes as Json[]).map(toCreditNote),
      refund: refundRow,
      account: toAccount(written.account as Json),
      created: true,
      relayJobIds: refundRow === null ? [] : await refundRelayJobs(tx, { refundId: refundRow.id }),
    };
  });
}

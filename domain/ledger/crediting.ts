import { type SQL, sql } from "drizzle-orm";
import { type Cte, recordset } from "../../db/sql.ts";
import type { Account } from "./accounts.ts";
import type { CreditNotePlan } from "./refund-waterfall.ts";

/**
 * The write both crediting verbs share (refunds.ts, cancellations.ts): credit notes with their items, the
 * credited totals of the invoice items, invoices, order items and orders they touch, and the account's six
 * totals, as common table expressions of the caller's one statement. The caller defines `gate` first (the
 * refund it inserts, or the order it marks cancelled): every write joins it, so when the gate yields no row
 * (its idempotency key was taken meanwhile) nothing at all is written.
 */

/** One credit note to issue; a `refunded` one carries the refund's id (`credit_notes.refund_id`). */
export interface CreditNoteWrite extends CreditNotePlan {
  refunded: boolean;
}

export interface CreditWrite {
  account: Pick<Account, "id" | "brandId" | "currency">;
  /** In the order they are numbered in the account's credit note series. */
  notes: readonly CreditNoteWrite[];
  /** What the account's `refunded` (and `balance`) moves by: Σ the refunded notes, or 0 for a credit only. */
  refunded: number;
  reason: string | null;
  issuedAt: Date;
  /** The id of the refund the `refunded` notes belong to, e.g. `(SELECT id FROM refund)`. */
  refundId: SQL;
  /**
   * True when the caller's gate is an UPDATE of the one order whose invoice the notes credit and adds the
   * credit to its `credited_total` itself (a cancellation marks and credits its order at once): one statement
   * cannot update a row twice, so the order is then not updated again here.
   */
  gateCreditsOrder?: boolean;
}

/** What one invoice line or one invoice is credited in all, however many notes of the write credit it. */
function sums(pairs: readonly (readonly [number, number])[]): { id: number; amount: number }[] {
  const total = new Map<number, number>();
  for (const [id, amount] of pairs) total.set(id, (total.get(id) ?? 0) + amount);
  return [...total].map(([id, amount]) => ({ id, amount }));
}

/**
 * The CTEs after the caller's `gate`. A note is numbered `credit_note_count + 1 + its position` (the account
 * row is locked, and every CTE reads it as it was before the statement), which is also how its items find
 * it: two notes of one write may credit the same invoice (a cancellation refunding part of it). The
 * UPDATEs take per-row sums, since an UPDATE … FROM applies only one matching input row to a row.
 */
export function creditCtes(write: CreditWrite): Cte[] {
  const { account } = write;
  const noteRows = write.notes.map((note, ord) => ({
    ord,
    invoice_id: note.invoiceId,
    amount: note.amount,
    refunded: note.refunded,
  }));
  const itemRows = write.notes.flatMap((note, ord) =>
    note.items.map((item, pos) => ({ ord, pos, invoice_item_id: item.invoiceItemId, amount: item.amount })),
  );
  const lineRows = sums(
    write.notes.flatMap((note) => note.items.map((item) => [item.invoiceItemId, item.amount] as const)),
  ).map(({ id, amount }) => ({ invoice_item_id: id, amount }));
  const invoiceRows = sums(write.notes.map((note) => [note.invoiceId, note.amount] as const)).map(
    ({ id, amount }) => ({ invoice_id: id, amount }),
  );
  const credited = write.notes.reduce((sum, note) => sum + note.amount, 0);
  return [
    {
      name: "note_input",
      body: sql`SELECT * FROM ${recordset(noteRows, "ord int, invoice_id bigint, amount bigint, refunded boolean")}`,
    },
    {
      name: "item_input",
      body: sql`SELECT * FROM ${recordset(itemRows, "ord int, pos int, invoice_item_id bigint, amount bigint")}`,
    },
    {
      name: "line_input",
      body: sql`SELECT * FROM ${recordset(lineRows, "invoice_item_id bigint, amount bigint")}`,
    },
    {
      name: "invoice_input",
      body: sql`SELECT * FROM ${recordset(invoiceRows, "invoice_id bigint, amount bigint")}`,
    },
    {
      name: "notes",
      body: sql`INSERT INTO credit_notes (brand_id, account_id, invoice_id, refund_id, currency, amount, reason,
          number, issued_at)
        SELECT ${account.brandId}, ${account.id}, n.invoice_id, CASE WHEN n.refunded THEN ${write.refundId} END,
               ${account.currency}, n.amount, ${write.reason}, acct.credit_note_count + 1 + n.ord,
               ${write.issuedAt.toISOString()}::timestamptz
          FROM gate CROSS JOIN note_input n JOIN brand_client_accounts acct ON acct.id = ${account.id}
         ORDER BY n.ord
        RETURNING *`,
    },
    {
      name: "note_items",
      body: sql`INSERT INTO credit_note_items (credit_note_id, invoice_item_id, amount)
        SELECT n.id, i.invoice_item_id, i.amount
          FROM notes n JOIN brand_client_accounts acct ON acct.id = n.account_id
          JOIN item_input i ON n.number = acct.credit_note_count + 1 + i.ord
         ORDER BY n.id, i.pos
        RETURNING *`,
    },
    {
      name: "invoice_lines",
      body: sql`UPDATE invoice_items ii SET credited_total = ii.credited_total + i.amount
          FROM line_input i, gate WHERE ii.id = i.invoice_item_id
        RETURNING ii.id, ii.order_item_id, ii.description, i.amount`,
    },
    {
      name: "invoice_heads",
      body: sql`UPDATE invoices inv SET credited_total = inv.credited_total + n.amount
          FROM invoice_input n, gate WHERE inv.id = n.invoice_id
        RETURNING inv.order_id, n.amount`,
    },
    {
      name: "order_lines",
      body: sql`UPDATE order_items oi SET credited_total = oi.credited_total + l.amount
          FROM invoice_lines l WHERE oi.id = l.order_item_id RETURNING oi.id`,
    },
    {
      name: "order_heads",
      body: write.gateCreditsOrder
        ? sql`SELECT DISTINCT h.order_id AS id FROM invoice_heads h`
        : sql`UPDATE orders o SET credited_total = o.credited_total + h.amount
          FROM invoice_heads h WHERE o.id = h.order_id RETURNING o.id`,
    },
    {
      name: "account",
      body: sql`UPDATE brand_client_accounts a SET
          credited = a.credited + ${credited},
          refunded = a.refunded + ${write.refunded},
          balance = a.balance - ${write.refunded},
          -- (invoiced − credited) − (paid − refunded): a refund cancels out the part of the credit it pays back.
          outstanding = a.invoiced - (a.credited + ${credited}) - a.paid + (a.refunded + ${write.refunded}),
          credit_note_count = a.credit_note_count + ${write.notes.length},
          updated_at = now()
          FROM gate WHERE a.id = ${account.id}
        RETURNING a.*`,
    },
  ];
}

/**
 * The fields of the statement's answer after {@link creditCtes}: the credit notes written (each with its
 * items and their lines' descriptions, in number order), the account after the write, and how many order
 * items and orders were credited, for the verb to check against what it planned.
 */
export const creditedFields: SQL = sql`
  'credit_notes', (SELECT coalesce(jsonb_agg(to_jsonb(n) || jsonb_build_object('items', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('id', ci.id, 'invoice_item_id', ci.invoice_item_id,
               'description', l.description, 'amount', ci.amount) ORDER BY ci.id), '[]'::jsonb)
        FROM note_items ci JOIN invoice_lines l ON l.id = ci.invoice_item_id
       WHERE ci.credit_note_id = n.id)) ORDER BY n.id), '[]'::jsonb) FROM notes n),
  'account', (SELECT to_jsonb(a) FROM account a),
  'order_lines', (SELECT count(*) FROM order_lines),
  'order_heads', (SELECT count(*) FROM order_heads)`;

/**
 * The statement's own bookkeeping: it credited one order per invoice and one order item per product line
 * (a shipping line has none). A mismatch is a bug, and rolls the transaction back.
 */
export function assertCredited(
  written: Record<string, unknown>,
  write: CreditWrite,
  productLines: number,
): void {
  const invoices = new Set(write.notes.map((note) => note.invoiceId)).size;
  if (Number(written.order_heads) !== invoices || Number(written.order_lines) !== productLines)
    throw new Error("credit write: orders or order items credited do not match the credit notes");
}

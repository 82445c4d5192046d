/**
 * Refund waterfall attribution (SPEC §7): a refund names an account and a product, never an invoice.
 * It credits the most recent invoice for that product first and cascades to older ones until the
 * amount is exhausted. Pure: the verb (domain/ledger/refunds.ts) reads the lines under the account lock and
 * writes what this returns.
 */

/** One invoice line of the product that may still be credited. */
export interface RefundableLine {
  invoiceId: number;
  invoiceIssuedAt: Date;
  invoiceItemId: number;
  /** The line's amount, in minor units. */
  amount: number;
  /** What credit notes have already taken back from it. */
  credited: number;
}

export interface CreditNoteItemPlan {
  invoiceItemId: number;
  amount: number;
}

/** One credit note to create: what the refund takes back from one invoice. */
export interface CreditNotePlan {
  invoiceId: number;
  /** Σ of its items; always > 0. */
  amount: number;
  items: CreditNoteItemPlan[];
}

export type WaterfallResult =
  | { ok: true; creditNotes: CreditNotePlan[] }
  /** The lines cannot absorb the refund: nothing is to be written. `refundable` is what they could take. */
  | { ok: false; refundable: number };

/**
 * The order lines are consumed in: invoice `issued_at` descending (most recent first), then invoice id
 * descending (the later-created of two invoices issued at the same instant), then invoice item id
 * descending — within one invoice the last line billed is credited first, the same "latest first"
 * rule applied one level down, so the whole order is a single descending key.
 */
export function compareLines(a: RefundableLine, b: RefundableLine): number {
  return (
    b.invoiceIssuedAt.getTime() - a.invoiceIssuedAt.getTime() ||
    b.invoiceId - a.invoiceId ||
    b.invoiceItemId - a.invoiceItemId
  );
}

/** What the lines can still take back: Σ (amount − credited), never negative per line. */
export function refundableAmount(lines: readonly RefundableLine[]): number {
  let total = 0;
  for (const line of lines) total += Math.max(0, line.amount - line.credited);
  return total;
}

/**
 * Splits `amount` over the lines, most recent invoice first: one credit note per invoice touched (in
 * waterfall order), one item per line touched, each line credited at most up to its amount. Refuses
 * (`ok: false`) when the lines cannot absorb the whole amount; a refund is never partly attributed.
 */
export function planRefund(lines: readonly RefundableLine[], amount: number): WaterfallResult {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new RangeError("A refund amount is a positive integer of minor units.");
  const refundable = refundableAmount(lines);
  if (refundable < amount) return { ok: false, refundable };

  const creditNotes: CreditNotePlan[] = [];
  let remaining = amount;
  for (const line of [...lines].sort(compareLines)) {
    if (remaining === 0) break;
    const take = Math.min(remaining, line.amount - line.credited);
    if (take <= 0) continue;
    remaining -= take;
    let note = creditNotes[creditNotes.length - 1];
    if (note?.invoiceId !== line.invoiceId) {
      note = { invoiceId: line.invoiceId, amount: 0, items: [] };
      creditNotes.push(note);
    }
    note.amount += take;
    note.items.push({ invoiceItemId: line.invoiceItemId, amount: take });
  }
  return { ok: true, creditNotes };
}

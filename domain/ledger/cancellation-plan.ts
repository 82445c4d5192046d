import type { CreditNoteWrite } from "./crediting.ts";

/**
 * What cancelling an order writes, the pure part: the verb (domain/ledger/cancellations.ts) reads the
 * order's invoice lines and money under the account lock and writes what this returns.
 */

/** One line of the order's invoice, in line order (products as the order listed them, then shipping). */
export interface InvoiceLineState {
  invoiceItemId: number;
  amount: number;
  /** What credit notes have already taken back from it. */
  credited: number;
}

/** The order's money as the cancellation finds it, in minor units. */
export interface CancellationMoney {
  /** Σ payments recorded for the order. */
  paid: number;
  /** Σ what refunds have already credited on the order's invoice (product and shipping refunds). */
  refunded: number;
  /** The account's balance (paid − refunded over all its orders): a refund never exceeds it. */
  balance: number;
}

/**
 * What the cancellation pays back: what the order was paid and not yet refunded, but never more than it
 * credits (money beyond the credit would leave the customer owing it again) nor than the account's balance
 * (money the brand no longer holds, as after a refund attributed to this order's product from another one).
 */
export function cancellationRefund(money: CancellationMoney, credit: number): number {
  return Math.max(0, Math.min(money.paid - money.refunded, credit, money.balance));
}

/**
 * The credit notes of a cancellation on the order's invoice: every line credited for what is not yet
 * credited, on ONE note — linked to the refund when the cancellation refunds all of it, a credit only when
 * it refunds nothing. When it refunds part (the order was partly paid), the refunded part is a note of its
 * own, so that a refund stays exactly the sum of its credit notes: that note takes the first `refund` of
 * the lines in line order, a second, credit-only note the rest. No note when nothing is left to credit.
 */
export function planCancellation(
  invoiceId: number,
  lines: readonly InvoiceLineState[],
  refund: number,
): CreditNoteWrite[] {
  const rests = lines
    .map((line) => ({ invoiceItemId: line.invoiceItemId, amount: line.amount - line.credited }))
    .filter((rest) => rest.amount > 0);
  const credit = rests.reduce((sum, rest) => sum + rest.amount, 0);
  if (!Number.isSafeInteger(refund) || refund < 0 || refund > credit)
    throw new RangeError("A cancellation refunds between 0 and what it credits.");
  if (credit === 0) return [];
  if (refund === 0 || refund === credit)
    return [{ invoiceId, amount: credit, items: rests, refunded: refund > 0 }];

  const refunded: CreditNoteWrite = { invoiceId, amount: refund, items: [], refunded: true };
  const creditOnly: CreditNoteWrite = { invoiceId, amount: credit - refund, items: [], refunded: false };
  let remaining = refund;
  for (const rest of rests) {
    const take = Math.min(remaining, rest.amount);
    remaining -= take;
    if (take > 0) refunded.items.push({ invoiceItemId: rest.invoiceItemId, amount: take });
    if (rest.amount > take)
      creditOnly.items.push({ invoiceItemId: rest.invoiceItemId, amount: rest.amount - take });
  }
  return [refunded, creditOnly];
}

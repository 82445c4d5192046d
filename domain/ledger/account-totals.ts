/**
 * The six running totals of a brand client account, in minor units of the account's currency. The
 * database keeps them in the same transaction as the ledger rows, and check constraints on
 * `brand_client_accounts` hold `balance` and `outstanding` to the definitions below.
 */
export interface AccountTotals {
  /** Σ invoice amounts (gross, before credit notes). */
  invoiced: number;
  /** Σ credit note amounts: invoiced money taken back (by refunds). */
  credited: number;
  /** Σ payments received. */
  paid: number;
  /** Σ refunds paid back. */
  refunded: number;
  /** paid − refunded: money the brand holds from the customer. A refund never exceeds it. */
  balance: number;
  /** (invoiced − credited) − (paid − refunded): what the customer still owes; negative when in credit. */
  outstanding: number;
}

/** The four ledger sums of an account; the other two totals follow from them. */
export type LedgerSums = Pick<AccountTotals, "invoiced" | "credited" | "paid" | "refunded">;

export function accountTotals(sums: LedgerSums): AccountTotals {
  const balance = sums.paid - sums.refunded;
  return { ...sums, balance, outstanding: sums.invoiced - sums.credited - balance };
}

/** What a ledger event adds to the four sums (all zero unless given). */
export function addToTotals(totals: AccountTotals, delta: Partial<LedgerSums>): AccountTotals {
  return accountTotals({
    invoiced: totals.invoiced + (delta.invoiced ?? 0),
    credited: totals.credited + (delta.credited ?? 0),
    paid: totals.paid + (delta.paid ?? 0),
    refunded: totals.refunded + (delta.refunded ?? 0),
  });
}

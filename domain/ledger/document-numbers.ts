/**
 * Invoice and credit note numbers. Each brand client account has one invoice series and one credit
 * note series (as Stripe numbers per customer by default; the EU VAT directive allows several series
 * as long as each number identifies one document). A document's number is its place in its series,
 * shown after the account's public reference, so it is unique across the brand and reveals nothing:
 * invoice 7 of account `Xk3p9QaB` is `Xk3p9QaB-0007`, its third credit note `Xk3p9QaB-CN-0003`.
 */
export type DocumentKind = "invoice" | "credit_note";

const series: Record<DocumentKind, string> = { invoice: "", credit_note: "CN-" };

/** The printed number, or `null` for a document issued before numbering (no place in a series). */
export function documentNumber(kind: DocumentKind, accountRef: string, place: number | null): string | null {
  if (place === null) return null;
  if (!Number.isSafeInteger(place) || place < 1) throw new RangeError(`not a place in a series: ${place}`);
  return `${accountRef}-${series[kind]}${String(place).padStart(4, "0")}`;
}

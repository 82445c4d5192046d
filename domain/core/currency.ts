/**
 * ISO 4217 minor units, the one table every part of leadrail reads: money is stored as integer minor
 * units, and amounts are parsed (store orders, `/pb` conversions) and written out (the `{payout}` macro)
 * by the currency's exponent.
 *
 * Exponents that differ from the usual 2, written out rather than read from `Intl`: ICU's digits are
 * display hints (it shows TWD or HUF without decimals) and differ between runtimes.
 */
const exponents: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Digits after the decimal point in the currency's minor unit (KRW 0, USD 2, KWD 3). */
export const minorUnitExponent = (currency: string): number => exponents[currency] ?? 2;

/**
 * An integer amount of minor units as a decimal in the currency's unit, digit by digit (never through a
 * float): USD 1500 → `15.00`, KRW 1500 → `1500`, KWD 1500 → `1.500`, USD −1500 → `-15.00`.
 */
export function formatMinorUnits(minor: number, currency: string): string {
  if (!Number.isFinite(minor)) return "";
  const amount = Math.trunc(minor);
  const digits = String(Math.abs(amount));
  const sign = amount < 0 ? "-" : "";
  const exponent = minorUnitExponent(currency);
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, "0");
  return `${sign}${padded.slice(0, padded.length - exponent)}.${padded.slice(padded.length - exponent)}`;
}

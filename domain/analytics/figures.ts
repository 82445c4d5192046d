/**
 * The arithmetic every analysis shares, the pure part: exact averages and rates from integer sums, UTC
 * month indexes, and the scatter sample's key. Sums arrive from Postgres as decimal text (bigint, numeric)
 * and are divided as BigInt, so no figure goes through a float before its last rounding.
 */

/**
 * A count or sum as Postgres returns it: bigint and numeric come as text, int as a number, an empty
 * sum as null (zero).
 */
export type DbInteger = unknown;

const toBigInt = (value: DbInteger): bigint => {
  if (value === null || value === undefined) return 0n;
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new TypeError(`not an integer: ${value}`);
    return BigInt(value);
  }
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`not an integer: ${String(value)}`);
};

/** An integer from the database as a JSON number (minor units and counts stay far below 2^53). */
export const integer = (value: DbInteger): number => Number(toBigInt(value));

/** numerator / denominator rounded to the nearest integer, halves away from zero (as Postgres numeric round). */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError("division by zero");
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (2n * n + d) / (2n * d);
  return negative ? -quotient : quotient;
}

/**
 * An average in minor units: `sum / count` rounded half away from zero; `null` when nothing was counted.
 */
export function average(sum: DbInteger, count: DbInteger): number | null {
  const d = toBigInt(count);
  if (d === 0n) return null;
  return Number(divideRounded(toBigInt(sum), d));
}

/** Decimal places of every rate and ratio the analytics return. */
export const ratePlaces = 4;
const rateScale = 10n ** BigInt(ratePlaces);

/**
 * `numerator / denominator` rounded half away from zero to {@link ratePlaces} decimals (0.1234 = 12.34%);
 * `null` when the denominator is zero.
 */
export function ratio(numerator: DbInteger, denominator: DbInteger): number | null {
  const d = toBigInt(denominator);
  if (d === 0n) return null;
  return Number(divideRounded(toBigInt(numerator) * rateScale, d)) / Number(rateScale);
}

/** ROI of a discount: (net revenue − discount cost) / discount cost; `null` without a discount cost. */
export const returnOnDiscount = (netRevenue: DbInteger, discountCost: DbInteger): number | null =>
  ratio(toBigInt(netRevenue) - toBigInt(discountCost), discountCost);

/** A UTC calendar month as one integer (year × 12 + month − 1): months apart are a subtraction. */
export const utcMonthIndex = (instant: Date): number => instant.getUTCFullYear() * 12 + instant.getUTCMonth();

/** `YYYY-MM` of a month index. */
export function monthOfIndex(index: number): string {
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
}

/**
 * The last UTC month the analyses see: that of the last instant before `asOf` (orders are those placed
 * before it, so an `as_of` of 1 May 00:00 UTC ends with April).
 */
export const lastMonthIndex = (asOf: Date): number => utcMonthIndex(new Date(asOf.getTime() - 1));

/**
 * The scatter sample's order: a multiplicative (Fibonacci) hash of the account id, in [0, 2^32). Ids a
 * fixed step apart land far apart, so the smallest keys spread over the whole id range (old and new
 * customers alike), and the same ids always give the same sample. `sampleKeySql` is the same function
 * in SQL (bigint arithmetic that cannot overflow: the id is taken modulo 2^31 first).
 */
export function sampleKey(accountId: number): bigint {
  return ((BigInt(accountId) % 2_147_483_648n) * 2_654_435_761n) % 4_294_967_296n;
}

/**
 * Rows already ordered by a cohort key, cut into runs of equal keys (`keyOf` as text): one run per cohort,
 * its first row first.
 */
export function runsOf<T>(rows: readonly T[], keyOf: (row: T) => string): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  let currentKey: string | null = null;
  for (const row of rows) {
    const key = keyOf(row);
    if (key !== currentKey && current.length > 0) {
      runs.push(current);
      current = [];
    }
    currentKey = key;
    current.push(row);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

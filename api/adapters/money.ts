import { minorUnitExponent } from "../../domain/core/currency.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";

// The one table of ISO 4217 exponents (domain/core/currency.ts); re-exported for the adapters' callers.
export { minorUnitExponent };

const decimal = /^(\d+)(?:\.(\d+))?$/;

/**
 * A store's decimal amount ("19900.00", "12.5", or a JSON number such as 195.67) as integer minor units
 * of `currency`, read digit by digit: never multiplied as a float. Digits beyond the currency's exponent
 * must be zeros (Cafe24 writes won as "19900.00"); anything else is refused with `field` named, because
 * rounding a store's amount would make the ledger disagree with what the customer paid.
 */
export function toMinorUnits(value: unknown, currency: string, field: string): number {
  const text =
    typeof value === "number" ? numberText(value) : typeof value === "string" ? value.trim() : null;
  const match = text === null ? null : decimal.exec(text);
  if (!match) throw invalidAmount(field, "Not a decimal amount.");
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  const exponent = minorUnitExponent(currency);
  const kept = fraction.slice(0, exponent).padEnd(exponent, "0");
  if (/[^0]/.test(fraction.slice(exponent)))
    throw invalidAmount(field, `More decimals than ${currency} has (${exponent}).`);
  const minor = Number(`${whole}${kept}`);
  if (!Number.isSafeInteger(minor)) throw invalidAmount(field, "Too large.");
  return minor;
}

/** The shortest decimal text of a JSON number; exponent forms (1e-7, 1e21) are not amounts a store sends. */
function numberText(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;
  const text = String(value);
  return /e/i.test(text) ? null : text;
}

const invalidAmount = (field: string, message: string) =>
  new ValidationFailed([{ field, category: "malformed", message }]);

/**
 * Splits `total` over `weights` in proportion, in integers that sum exactly to `total` (largest remainder;
 * ties go to the earlier line). Used to spread an order-level discount or tax over the lines it covers.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((acc, weight) => acc + weight, 0);
  if (sum <= 0) return weights.map((_, index) => (index === weights.length - 1 ? total : 0));
  const shares = weights.map((weight) => {
    // BigInt keeps total × weight exact beyond 2^53.
    const product = BigInt(total) * BigInt(weight);
    return { floor: Number(product / BigInt(sum)), remainder: Number(product % BigInt(sum)) };
  });
  let left = total - shares.reduce((acc, share) => acc + share.floor, 0);
  const order = shares
    .map((share, index) => ({ index, remainder: share.remainder }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  const result = shares.map((share) => share.floor);
  for (const { index } of order) {
    if (left <= 0) break;
    result[index] = (result[index] ?? 0) + 1;
    left -= 1;
  }
  return result;
}

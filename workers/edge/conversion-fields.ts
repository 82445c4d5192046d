import { minorUnitExponent } from "../../domain/core/currency.ts";
import type { FieldError } from "../../domain/core/errors.ts";

/** The conversion a partner reported, checked and in minor units. */
export interface ConversionFields {
  clickId: string | null;
  transactionId: string | null;
  event: string;
  amount: number | null;
  currency: string | null;
}

const maxIdLength = 256;
const eventName = /^[a-z0-9_.-]{1,64}$/;
const currencyCode = /^[A-Z]{3}$/;
const decimalAmount = /^(\d{1,15})(?:\.(\d{1,6}))?$/;

/**
 * Reads the conversion from its (already verified) parameters: `click_id` and/or `transaction_id`,
 * `event` (default `sale`), `amount` as a decimal string with its `currency` (converted to minor units
 * by the currency's exponent; more decimals than it has are refused, never rounded). Every bad field
 * is reported.
 */
export function readConversion(
  params: ReadonlyMap<string, string>,
): { ok: true; fields: ConversionFields } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const id = (name: string): string | null => {
    const value = params.get(name);
    if (value === undefined || value === "") return null;
    if (value.length > maxIdLength) {
      errors.push({ field: name, category: "too_long", message: `At most ${maxIdLength} characters.` });
      return null;
    }
    return value;
  };
  const clickId = id("click_id");
  const transactionId = id("transaction_id");
  if (clickId === null && transactionId === null && errors.length === 0) {
    errors.push({
      field: "click_id",
      category: "missing",
      message: "Send click_id, transaction_id or both.",
    });
  }
  const event = params.get("event") || "sale";
  if (!eventName.test(event)) {
    errors.push({
      field: "event",
      category: "malformed",
      message: "Lower-case letters, digits, _ . - (at most 64).",
    });
  }
  const currency = params.get("currency") || null;
  if (currency !== null && !currencyCode.test(currency)) {
    errors.push({ field: "currency", category: "malformed", message: "An ISO 4217 code such as USD." });
  }
  const rawAmount = params.get("amount") || null;
  let amount: number | null = null;
  if (rawAmount !== null) {
    const match = decimalAmount.exec(rawAmount);
    if (!match) {
      errors.push({ field: "amount", category: "malformed", message: "A decimal amount such as 19.90." });
    } else if (currency === null) {
      errors.push({ field: "currency", category: "missing", message: "Required with amount." });
    } else if (currencyCode.test(currency)) {
      const exponent = minorUnitExponent(currency);
      const fraction = match[2] ?? "";
      if (/[^0]/.test(fraction.slice(exponent))) {
        errors.push({
          field: "amount",
          category: "malformed",
          message: `More decimals than ${currency} has (${exponent}).`,
        });
      } else {
        const minor = Number(`${match[1] ?? "0"}${fraction.slice(0, exponent).padEnd(exponent, "0")}`);
        if (Number.isSafeInteger(minor)) amount = minor;
        else errors.push({ field: "amount", category: "out_of_range", message: "Too large." });
      }
    }
  } else if (currency !== null && errors.every((error) => error.field !== "currency")) {
    errors.push({ field: "amount", category: "missing", message: "Required with currency." });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, fields: { clickId, transactionId, event, amount, currency } };
}

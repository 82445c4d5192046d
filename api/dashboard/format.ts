import { formatMinorUnits } from "../../domain/core/currency.ts";

/** An integer with thousands separators: 1234567 → `1,234,567`. */
export const integer = (value: number): string => Math.round(value).toLocaleString("en-US");

/** Minor units in the currency's unit with thousands separators: USD 123456 → `1,234.56`. */
export function money(minor: number, currency: string | null): string {
  if (currency === null) return integer(minor);
  const text = formatMinorUnits(minor, currency);
  const [whole = "", fraction] = text.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = sign ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** A share as a percentage with two decimals: 0.1234 → `12.34%`. */
export const percent = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "—" : `${(value * 100).toFixed(2)}%`;

/** A difference of rates in percentage points: 0.0123 → `+1.23 pp`. */
export const points = (value: number): string => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(2)} pp`;

/** `2026-12-06` → `12-06`: short labels for a 90-day axis. */
export const shortDay = (day: string): string => day.slice(5);

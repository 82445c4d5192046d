import { md5Hex, sha256Hex } from "./email.ts";

/**
 * Normalisation of the personal data an order carries, so the same person or address sent twice (by two
 * brands, or with different spacing) is stored once. The hashes are of exactly the stored parts, so the
 * unique composite and the unique hash always agree.
 */

/** NFKC (full-width forms to ASCII), trimmed, inner whitespace collapsed to one space. */
export function cleanText(value: string | undefined): string {
  if (value === undefined) return "";
  return value.normalize("NFKC").trim().replace(/\s+/g, " ");
}

/** Digits only, with a leading `+` kept when the number was written in international form. */
export function normalisePhone(value: string | undefined): string {
  const cleaned = cleanText(value);
  const digits = cleaned.replace(/\D/g, "");
  if (digits.length === 0) return "";
  return cleaned.startsWith("+") ? `+${digits}` : digits;
}

export interface PersonalInfoParts {
  firstName: string;
  lastName: string;
  phone: string;
}

export interface AddressParts {
  country: string;
  region: string;
  city: string;
  postalCode: string;
  line1: string;
  line2: string;
}

export interface Hashed<T> {
  parts: T;
  sha256: string;
  md5: string;
}

function hashed<T>(parts: T, canonical: string[]): Hashed<T> {
  const text = JSON.stringify(canonical);
  return { parts, sha256: sha256Hex(text), md5: md5Hex(text) };
}

/** `null` when nothing is known (no name and no phone): no row is stored for an empty person. */
export function personalInfo(input: {
  first_name?: string | undefined;
  last_name?: string | undefined;
  phone?: string | undefined;
}): Hashed<PersonalInfoParts> | null {
  const parts = {
    firstName: cleanText(input.first_name),
    lastName: cleanText(input.last_name),
    phone: normalisePhone(input.phone),
  };
  if (parts.firstName === "" && parts.lastName === "" && parts.phone === "") return null;
  return hashed(parts, ["person", parts.firstName, parts.lastName, parts.phone]);
}

/** An address as orders carry it (the API's field names). */
export interface AddressInput {
  country: string;
  region?: string | undefined;
  city?: string | undefined;
  postal_code?: string | undefined;
  line1?: string | undefined;
  line2?: string | undefined;
}

export function address(input: AddressInput): Hashed<AddressParts> {
  const parts = {
    country: cleanText(input.country).toUpperCase(),
    region: cleanText(input.region),
    city: cleanText(input.city),
    postalCode: cleanText(input.postal_code).toUpperCase(),
    line1: cleanText(input.line1),
    line2: cleanText(input.line2),
  };
  return hashed(parts, [
    "address",
    parts.country,
    parts.region,
    parts.city,
    parts.postalCode,
    parts.line1,
    parts.line2,
  ]);
}

import { isNormalisedEmail, type NormalisedEmail, normaliseEmail } from "../contacts/email.ts";
import { iso3166Alpha2 } from "../core/countries.ts";
import { captureFieldErrorCategories } from "../core/errors.ts";
import { isDisposableDomain } from "./disposable-domains.ts";

/** The eight per-field error categories of a capture, exactly as the database enum spells them. */
export const fieldErrorCategories = captureFieldErrorCategories;
export type FieldErrorCategory = (typeof fieldErrorCategories)[number];

export interface FieldError {
  field: string;
  category: FieldErrorCategory;
  /** Says what is wrong without repeating the submitted value (it may be personal data). */
  message: string;
}

export const nameMaxLength = 100;
export const phoneMinDigits = 7;
/** E.164 allows at most 15 digits including the country code. */
export const phoneMaxDigits = 15;
/** Korea's PIPA requires a guardian's consent below 14; nobody plausible is older than 120. */
export const minAge = 14;
export const maxAge = 120;

/** Mailboxes that belong to a function, not a person: never a lead. */
const roleLocalParts = new Set([
  "abuse",
  "admin",
  "administrator",
  "donotreply",
  "do-not-reply",
  "hostmaster",
  "mailer-daemon",
  "noreply",
  "no-reply",
  "postmaster",
  "root",
  "security",
  "webmaster",
]);

/** Local parts people type when they do not want to give an address. */
const placeholderLocalParts = new Set([
  "asdf",
  "asdfasdf",
  "dummy",
  "example",
  "fake",
  "foo",
  "foobar",
  "noemail",
  "none",
  "null",
  "qwerty",
  "sample",
  "test",
  "tester",
  "testing",
]);

/**
 * Top-level domains reserved for testing (RFC 2606, RFC 6761): no mailbox exists there. The
 * documentation domains (example.com, …) stay accepted: demos and end-to-end runs use them.
 */
const reservedTlds = new Set(["test", "example", "invalid", "localhost", "local"]);

export interface EmailCheck {
  /** The normalised address when the value is an address at all (even a disposable or suspicious one). */
  email: NormalisedEmail | null;
  error: FieldError | null;
}

/** Validates and normalises the email field. Required: a capture without an address is no lead. */
export function checkEmail(raw: string | undefined, truncatedFrom?: number): EmailCheck {
  if (truncatedFrom !== undefined) {
    return { email: null, error: truncated("email", truncatedFrom) };
  }
  const normalised = normaliseEmail(raw);
  if (!isNormalisedEmail(normalised)) {
    const messages = {
      missing: "an email address is required",
      too_long: "an email address has at most 254 characters",
      malformed: "not an email address",
    } as const;
    return { email: null, error: { field: "email", category: normalised, message: messages[normalised] } };
  }
  if (isDisposableDomain(normalised.domain)) {
    return {
      email: normalised,
      error: { field: "email", category: "disposable", message: "a disposable mailbox provider" },
    };
  }
  const reason = suspiciousEmail(normalised);
  if (reason)
    return { email: normalised, error: { field: "email", category: "suspicious", message: reason } };
  return { email: normalised, error: null };
}

function suspiciousEmail(email: NormalisedEmail): string | null {
  const tld = email.domain.slice(email.domain.lastIndexOf(".") + 1);
  if (reservedTlds.has(tld)) return "a reserved test domain";
  if (roleLocalParts.has(email.local)) return "a role mailbox, not a person";
  if (placeholderLocalParts.has(email.local)) return "a placeholder address";
  return null;
}

export interface SubmittedFields {
  fields: Record<string, string>;
  /** Fields the edge cut short, with their original length. */
  truncatedFields: Record<string, number>;
  /** Why the edge could not read the body into fields (`too_large`, `malformed_json`, …). */
  bodyError: string | null;
  receivedAt: Date;
}

export interface FieldValidation {
  email: NormalisedEmail | null;
  errors: FieldError[];
}

/**
 * Field validation (pipeline stage 2, the submitted values). At most one error per field,
 * the most fundamental first; empty optional fields count as absent.
 */
export function validateSubmission(input: SubmittedFields): FieldValidation {
  const errors: FieldError[] = [];
  const { fields, truncatedFields } = input;
  if (input.bodyError !== null) {
    errors.push(
      input.bodyError === "too_large"
        ? { field: "body", category: "too_long", message: "the request body exceeds the size limit" }
        : {
            field: "body",
            category: "malformed",
            message: `the request body could not be read (${input.bodyError})`,
          },
    );
  }
  const emailCheck = checkEmail(fieldValue(fields, "email"), truncatedFields.email);
  if (emailCheck.error) errors.push(emailCheck.error);
  const checked = new Set(["email"]);
  for (const name of ["first_name", "last_name", "name"]) {
    checked.add(name);
    const error = checkOptional(name, fields, truncatedFields, checkName);
    if (error) errors.push(error);
  }
  const checks: [string, (field: string, value: string) => FieldError | null][] = [
    ["phone", checkPhone],
    ["birth_year", (field, value) => checkBirthYear(field, value, input.receivedAt)],
    ["age", checkAge],
    ["country", checkCountry],
  ];
  for (const [name, check] of checks) {
    checked.add(name);
    const error = checkOptional(name, fields, truncatedFields, check);
    if (error) errors.push(error);
  }
  for (const [name, length] of Object.entries(truncatedFields)) {
    if (!checked.has(name)) errors.push(truncated(name, length));
  }
  return { email: emailCheck.email, errors };
}

function checkOptional(
  name: string,
  fields: Record<string, string>,
  truncatedFields: Record<string, number>,
  check: (field: string, value: string) => FieldError | null,
): FieldError | null {
  const length = truncatedFields[name];
  if (length !== undefined) return truncated(name, length);
  const value = fieldValue(fields, name)?.trim();
  if (value === undefined || value === "") return null;
  return check(name, value);
}

function truncated(field: string, length: number): FieldError {
  return {
    field,
    category: "too_long",
    message: `the edge cut this field short (${length} characters sent)`,
  };
}

/** Reads a field by its exact name, as the edge does when it looks the email up for routing. */
export function fieldValue(fields: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

const markup = /[<>]|javascript:|\bon[a-z]+\s*=|\{\{|\$\{/i;
const urlLike = /:\/\/|\bwww\.|\.(com|net|org|io|kr)\b/i;
const controlCharacters = /\p{Cc}/u;

export function checkName(field: string, value: string): FieldError | null {
  if ([...value].length > nameMaxLength) {
    return { field, category: "too_long", message: `a name has at most ${nameMaxLength} characters` };
  }
  if (markup.test(value)) return { field, category: "suspicious", message: "contains markup or script" };
  if (/\d/.test(value) || urlLike.test(value) || value.includes("@") || controlCharacters.test(value)) {
    return { field, category: "malformed", message: "a name has no digits, addresses or links" };
  }
  return null;
}

export function checkPhone(field: string, value: string): FieldError | null {
  if (!/^\+?[\d\s().-]+$/.test(value)) {
    return {
      field,
      category: "malformed",
      message: "a phone number has digits, spaces, dashes, dots or brackets",
    };
  }
  const digits = value.replace(/\D/g, "").length;
  if (digits < phoneMinDigits) {
    return { field, category: "too_short", message: `a phone number has at least ${phoneMinDigits} digits` };
  }
  if (digits > phoneMaxDigits) {
    return { field, category: "too_long", message: `a phone number has at most ${phoneMaxDigits} digits` };
  }
  return null;
}

export function checkBirthYear(field: string, value: string, receivedAt: Date): FieldError | null {
  if (!/^\d{4}$/.test(value))
    return { field, category: "malformed", message: "a birth year has four digits" };
  const year = Number(value);
  const current = receivedAt.getUTCFullYear();
  if (year > current - minAge || year < current - maxAge) {
    return {
      field,
      category: "out_of_range",
      message: `a birth year lies between ${current - maxAge} and ${current - minAge}`,
    };
  }
  return null;
}

export function checkAge(field: string, value: string): FieldError | null {
  if (!/^\d{1,3}$/.test(value)) return { field, category: "malformed", message: "an age is a whole number" };
  const age = Number(value);
  if (age < minAge || age > maxAge) {
    return { field, category: "out_of_range", message: `an age lies between ${minAge} and ${maxAge}` };
  }
  return null;
}

export function checkCountry(field: string, value: string): FieldError | null {
  if (!iso3166Alpha2.has(value.toUpperCase())) {
    return { field, category: "not_allowed", message: "not an ISO 3166-1 alpha-2 country code" };
  }
  return null;
}

/** The ids a message names, after the edge applied the query overrides. */
export interface LandingIds {
  id: number | null;
  brandId: number | null;
  themeId: number | null;
  partnerId: number | null;
  productId: number | null;
}

/** What the database holds about the ids of one batch. */
export interface CatalogView {
  landing(id: number): { active: boolean } | undefined;
  hasBrand(id: number): boolean;
  hasTheme(id: number): boolean;
  hasPartner(id: number): boolean;
  /** The brand a product belongs to, or `undefined` when there is no such product. */
  productBrand(id: number): number | undefined;
}

export interface ReferenceCheck {
  errors: FieldError[];
  /** Only ids that exist: what the capture row may reference. */
  resolved: LandingIds;
}

/** Hash-id query parameters the edge accepts, and which dimension each overrides. */
export const overrideKeys = { b: "brandId", t: "themeId", p: "partnerId", pr: "productId" } as const;
type OverrideKey = keyof typeof overrideKeys;

/**
 * Field validation (pipeline stage 2, the references): the landing and the hash-id
 * overrides must decode and name rows that exist, and the product must be the brand's.
 * An error lands on the override that brought the bad id, else on `landing`.
 */
export function validateReferences(
  landing: LandingIds,
  overrides: Record<string, { raw: string; valid: boolean }>,
  catalog: CatalogView,
): ReferenceCheck {
  const errors: FieldError[] = [];
  const resolved: LandingIds = { id: null, brandId: null, themeId: null, partnerId: null, productId: null };
  if (landing.id === null) {
    errors.push({ field: "landing", category: "not_allowed", message: "does not decode to a landing" });
  } else {
    const row = catalog.landing(landing.id);
    if (!row) errors.push({ field: "landing", category: "not_allowed", message: "refers to no landing" });
    else {
      resolved.id = landing.id;
      if (!row.active)
        errors.push({ field: "landing", category: "not_allowed", message: "the landing is inactive" });
    }
  }
  const reported = new Set<string>(errors.map((error) => error.field));
  for (const key of Object.keys(overrideKeys) as OverrideKey[]) {
    const override = overrides[key];
    if (override && !override.valid && !reported.has(key)) {
      reported.add(key);
      errors.push({ field: key, category: "not_allowed", message: "does not decode to an id of this kind" });
    }
  }
  const exists: Record<OverrideKey, (id: number) => boolean> = {
    b: (id) => catalog.hasBrand(id),
    t: (id) => catalog.hasTheme(id),
    p: (id) => catalog.hasPartner(id),
    pr: (id) => catalog.productBrand(id) !== undefined,
  };
  for (const key of Object.keys(overrideKeys) as OverrideKey[]) {
    const dimension = overrideKeys[key];
    const id = landing[dimension];
    if (id === null) continue;
    if (exists[key](id)) {
      resolved[dimension] = id;
      continue;
    }
    const field = overrides[key]?.valid ? key : "landing";
    if (reported.has(field)) continue;
    reported.add(field);
    errors.push({ field, category: "not_allowed", message: "refers to nothing" });
  }
  if (resolved.productId !== null && resolved.brandId !== null) {
    if (catalog.productBrand(resolved.productId) !== resolved.brandId) {
      const field = overrides.pr?.valid ? "pr" : overrides.b?.valid ? "b" : "landing";
      if (!reported.has(field)) {
        errors.push({ field, category: "not_allowed", message: "the product belongs to another brand" });
      }
      resolved.productId = null;
    }
  }
  return { errors, resolved };
}

import { createHash } from "node:crypto";

/** Providers whose mailboxes ignore dots in the local part and treat `+tag` as the same mailbox. */
const gmailDomains = new Set(["gmail.com", "googlemail.com"]);
/** Providers that treat `+tag` as a sub-address of the same mailbox (dots are significant). */
const plusAddressingDomains = new Set([
  "outlook.com",
  "hotmail.com",
  "live.com",
  "msn.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "fastmail.com",
  "proton.me",
  "protonmail.com",
  "yahoo.com",
]);

export interface NormalisedEmail {
  /** The canonical mailbox: what dedup and hashing use. */
  address: string;
  local: string;
  domain: string;
}

const maxLength = 254;
const beyondAscii = /\P{ASCII}/u;
const localPattern = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const labelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why an address could not be normalised. */
export type EmailProblem = "missing" | "too_long" | "malformed";

/**
 * Lower-cases and trims an address and applies provider rules: Gmail ignores dots
 * and `+tags` (and googlemail.com is gmail.com); other large providers ignore `+tags`.
 */
export function normaliseEmail(raw: string | null | undefined): NormalisedEmail | EmailProblem {
  if (raw === null || raw === undefined) return "missing";
  // NFKC folds full-width forms ("ｊｏｈｎ＠ｇｍａｉｌ．ｃｏｍ", common with CJK input methods) into ASCII.
  // ASCII is its own NFKC form: skip the normalisation for the common case.
  const folded = beyondAscii.test(raw) ? raw.normalize("NFKC") : raw;
  const trimmed = folded.trim().toLowerCase();
  if (trimmed.length === 0) return "missing";
  if (trimmed.length > maxLength) return "too_long";
  const at = trimmed.lastIndexOf("@");
  if (at <= 0 || at === trimmed.length - 1) return "malformed";
  let local = trimmed.slice(0, at);
  let domain = toAsciiDomain(trimmed.slice(at + 1));
  // Punycode is longer than the Unicode it encodes.
  if (at + 1 + domain.length > maxLength) return "too_long";
  if (local.length > 64 || !localPattern.test(local)) return "malformed";
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => labelPattern.test(label))) return "malformed";
  const tld = labels[labels.length - 1] ?? "";
  if (!/^[a-z]{2,63}$/.test(tld) && !/^xn--[a-z0-9-]+$/.test(tld)) return "malformed";
  if (gmailDomains.has(domain)) {
    domain = "gmail.com";
    local = stripTag(local).replaceAll(".", "");
  } else if (plusAddressingDomains.has(domain)) {
    local = stripTag(local);
  }
  if (local.length === 0) return "malformed";
  return { address: `${local}@${domain}`, local, domain };
}

const nonAscii = /[^\x20-\x7e]/;
const domainSyntax = /[\s/?#@:[\]\\%]/;

/** An internationalised domain in its ASCII (punycode) form, which is how mail is routed and how dedup must see it. */
function toAsciiDomain(domain: string): string {
  if (!nonAscii.test(domain) || domainSyntax.test(domain)) return domain;
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return domain;
  }
}

function stripTag(local: string): string {
  const plus = local.indexOf("+");
  return plus === -1 ? local : local.slice(0, plus);
}

export function isNormalisedEmail(value: NormalisedEmail | EmailProblem): value is NormalisedEmail {
  return typeof value === "object";
}

export const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex");
export const md5Hex = (value: string): string => createHash("md5").update(value).digest("hex");

/** SHA-256 and MD5 of the normalised address: the only forms of an email that leave the database. */
export function emailHashes(address: string): { sha256: string; md5: string } {
  return { sha256: sha256Hex(address), md5: md5Hex(address) };
}

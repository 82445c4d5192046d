import { BoundedCache } from "../core/bounded-cache.ts";

/**
 * The acquisition classifier, the pure part: from an account's first touch (its earliest order's
 * acquisition parameters), the coupons its orders used, and its brand's rules and influencers, whether
 * the customer came on their own (`organic`) or through an influencer, which one, the rule that decided
 * and what that rule matched. The classification verb (classify-accounts.ts) loads these inputs per chunk
 * and calls this for every account, so the nightly job and a test calling this directly agree.
 */

export const acquisitionSources = ["organic", "influencer"] as const;
export type AcquisitionSource = (typeof acquisitionSources)[number];

export const acquisitionRuleTypes = ["influencer_coupon", "referral_code", "utm", "referrer_domain"] as const;
export type AcquisitionRuleType = (typeof acquisitionRuleTypes)[number];

export const utmMatchKinds = ["equals", "prefix", "contains", "regex"] as const;
export type UtmMatchKind = (typeof utmMatchKinds)[number];

interface RuleBase {
  id: number;
  /** Lower wins; equal priorities go by id. */
  priority: number;
}

export type AcquisitionRule =
  | (RuleBase & { type: "influencer_coupon" })
  | (RuleBase & { type: "referral_code"; paramNames: readonly string[] })
  | (RuleBase & { type: "utm"; influencerId: number; field: string; match: UtmMatchKind; value: string })
  | (RuleBase & { type: "referrer_domain"; influencerId: number; domain: string });

/** An influencer with their codes, as the classifier needs them. */
export interface InfluencerCodes {
  id: number;
  active: boolean;
  couponCodes: readonly string[];
  referralCodes: readonly string[];
}

/** The earliest order of the account (by placed time, then id) and its acquisition parameters. */
export interface FirstTouch {
  orderId: number;
  marketing: Readonly<Record<string, string>>;
}

/**
 * A coupon one of the account's orders used. The classifier takes them in the order given, which the
 * loader makes the orders' (placed time, then id), then code within an order.
 */
export interface CouponUse {
  code: string;
  orderId: number;
}

/**
 * What the deciding rule matched, flat: `order` is the internal id of the order it was seen on (the API
 * shows its hash id), then `coupon`, the referral parameter, the first touch's `utm_*` parameters, or
 * `referrer`. `{}` for organic.
 */
export type Evidence = Record<string, string | number>;

export interface Classification {
  source: AcquisitionSource;
  influencerId: number | null;
  ruleId: number | null;
  evidence: Evidence;
}

/** Default parameter names a referral code rule reads. */
export const defaultReferralParams = ["ref", "referral"] as const;

/** The parameter holding the referring page, as the store adapters and the ledger spell it. */
export const referrerParam = "referrer";

/** Longest regex a `utm` rule may hold, and the most of a parameter value any rule looks at. */
export const maxPatternLength = 200;
export const maxMatchedLength = 512;

const lower = (value: string): string => value.trim().toLowerCase();

/** Rules in the order they are tried: priority, then id. */
export function ruleOrder(a: RuleBase, b: RuleBase): number {
  return a.priority - b.priority || a.id - b.id;
}

/**
 * Why a pattern is not allowed in a `utm` rule, or `null` when it is. Patterns run on every classified
 * account inside the Worker, so only a subset that cannot backtrack catastrophically is accepted: at most
 * two unbounded quantifiers (`*`, `+`, `{n,}`), bounded repeats up to {64}, no quantified group that
 * itself holds a quantifier or an alternation, no back-references, and at most {@link maxPatternLength}
 * characters. Matching is case-insensitive.
 */
export function unsafePattern(pattern: string): string | null {
  if (pattern.length === 0) return "The pattern is empty.";
  if (pattern.length > maxPatternLength) return `At most ${maxPatternLength} characters.`;
  try {
    new RegExp(pattern, "i");
  } catch {
    return "Not a valid regular expression.";
  }
  const groups: { risky: boolean }[] = [{ risky: false }];
  let unbounded = 0;
  let index = 0;
  // What the previous atom was: a closed group (and whether it held a quantifier or `|`), or anything else.
  let previousGroup: { risky: boolean } | null = null;
  const quantifierAt = (at: number): { length: number; unbounded: boolean; max: number } | null => {
    const char = pattern[at];
    if (char === "*" || char === "+") return { length: 1, unbounded: true, max: Number.POSITIVE_INFINITY };
    if (char === "?") return { length: 1, unbounded: false, max: 1 };
    if (char === "{") {
      const found = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
      if (!found) return null;
      const max =
        found[2] === undefined
          ? Number(found[1])
          : found[3] === ""
            ? Number.POSITIVE_INFINITY
            : Number(found[3]);
      return { length: found[0].length, unbounded: max === Number.POSITIVE_INFINITY, max };
    }
    return null;
  };
  while (index < pattern.length) {
    const char = pattern[index];
    const top = groups[groups.length - 1] ?? { risky: false };
    const quantifier = quantifierAt(index);
    if (quantifier) {
      if (quantifier.unbounded) unbounded += 1;
      if (quantifier.max > 64 && !quantifier.unbounded) return "Repeat counts go up to 64.";
      if (previousGroup?.risky && quantifier.max > 1)
        return "A repeated group may not hold a quantifier or an alternation.";
      top.risky = true;
      index += quantifier.length;
      // A lazy or possessive marker belongs to the quantifier.
      if (pattern[index] === "?") index += 1;
      previousGroup = null;
      continue;
    }
    previousGroup = null;
    if (char === "\\") {
      const next = pattern[index + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "Back-references are not allowed.";
      index += 2;
      continue;
    }
    if (char === "[") {
      index += 1;
      while (index < pattern.length && pattern[index] !== "]") index += pattern[index] === "\\" ? 2 : 1;
      index += 1;
      continue;
    }
    if (char === "(") {
      groups.push({ risky: false });
      index += 1;
      // `(?:`, `(?=`, `(?!`, `(?<name>`, `(?<=`, `(?<!`: skip the group's marker.
      if (pattern[index] === "?") {
        const marker = /^\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(pattern.slice(index));
        index += marker ? marker[0].length : 1;
      }
      continue;
    }
    if (char === ")") {
      const closed = groups.pop() ?? { risky: false };
      const parent = groups[groups.length - 1];
      if (parent && closed.risky) parent.risky = true;
      previousGroup = closed;
      index += 1;
      continue;
    }
    if (char === "|") top.risky = true;
    index += 1;
  }
  if (unbounded > 2) return "At most two unbounded quantifiers (`*`, `+`, `{n,}`).";
  return null;
}

// Compiled patterns, by pattern: rules are few, accounts many.
const compiled = new BoundedCache<string, RegExp | null>(1024);

function patternOf(pattern: string): RegExp | null {
  const known = compiled.get(pattern);
  if (known !== undefined) return known;
  const regex = unsafePattern(pattern) === null ? new RegExp(pattern, "i") : null;
  compiled.set(pattern, regex);
  return regex;
}

/** Whether a `utm` rule's value matches a parameter's: case-insensitive, on its first 512 characters. */
export function utmMatches(match: UtmMatchKind, expected: string, actual: string): boolean {
  const value = actual.trim().slice(0, maxMatchedLength);
  if (value === "") return false;
  switch (match) {
    case "equals":
      return value.toLowerCase() === lower(expected);
    case "prefix":
      return value.toLowerCase().startsWith(lower(expected));
    case "contains":
      return value.toLowerCase().includes(lower(expected));
    case "regex":
      return patternOf(expected)?.test(value) ?? false;
  }
}

/** The host of a referrer (`https://www.instagram.com/jane`, or just `instagram.com/jane`), lower case. */
export function referrerHost(referrer: string): string | null {
  const text = referrer.trim().slice(0, 2048);
  if (text === "") return null;
  for (const candidate of [text, `http://${text}`]) {
    try {
      const host = new URL(candidate).hostname.toLowerCase().replace(/\.$/, "");
      if (host !== "") return host;
    } catch {
      // Not a URL; try it as a bare host next.
    }
  }
  return null;
}

/** A rule's domain in the form hosts are compared in (lower case, punycode, no trailing dot); null if not a host. */
export function normalisedDomain(domain: string): string | null {
  const text = domain.trim();
  if (text === "" || /[/:?#@\s]/.test(text)) return null;
  try {
    const host = new URL(`http://${text}`).hostname.toLowerCase().replace(/\.$/, "");
    return /^(?=.{1,253}$)(?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$/.test(host) ? host : null;
  } catch {
    return null;
  }
}

/** Whether `host` is `domain` or one of its subdomains. */
export const hostInDomain = (host: string, domain: string): boolean =>
  host === domain || host.endsWith(`.${domain}`);

/**
 * Classifies one account. Rules are tried by priority, then id; the first that matches decides:
 * - `influencer_coupon`: a coupon one of the orders used (in the order given: oldest order first) is an active
 *   influencer's coupon code → that influencer; evidence `{ coupon, order }`.
 * - `referral_code`: the first touch's value of one of the rule's parameter names (in their order) is an
 *   active influencer's referral code → that influencer; evidence `{ order, <param>: <value> }`.
 * - `utm`: the first touch's `field` matches (`equals` / `prefix` / `contains` / `regex`,
 *   case-insensitive) → the rule's influencer, when active; evidence `{ order, ...every utm_* param }`.
 * - `referrer_domain`: the first touch's referrer host is the domain or a subdomain → the rule's
 *   influencer, when active; evidence `{ order, referrer }`.
 * Codes are compared case-insensitively; an inactive influencer's codes and rules match nothing. None
 * matching (or no data at all): organic, rule null, evidence `{}`.
 */
export function classify(
  firstTouch: FirstTouch | null,
  couponsUsed: readonly CouponUse[],
  rules: readonly AcquisitionRule[],
  influencers: readonly InfluencerCodes[],
): Classification {
  const active = new Set<number>();
  const couponOwner = new Map<string, number>();
  const referralOwner = new Map<string, number>();
  for (const influencer of influencers) {
    if (!influencer.active) continue;
    active.add(influencer.id);
    for (const code of influencer.couponCodes) couponOwner.set(lower(code), influencer.id);
    for (const code of influencer.referralCodes) referralOwner.set(lower(code), influencer.id);
  }
  const marketing = firstTouch?.marketing ?? {};
  const param = (name: string): string | null => {
    const value = Object.hasOwn(marketing, name) ? marketing[name] : undefined;
    return typeof value === "string" && value.trim() !== "" ? value : null;
  };

  for (const rule of [...rules].sort(ruleOrder)) {
    switch (rule.type) {
      case "influencer_coupon": {
        for (const use of couponsUsed) {
          const owner = couponOwner.get(lower(use.code));
          if (owner !== undefined)
            return {
              source: "influencer",
              influencerId: owner,
              ruleId: rule.id,
              evidence: { coupon: use.code, order: use.orderId },
            };
        }
        break;
      }
      case "referral_code": {
        if (!firstTouch) break;
        for (const name of rule.paramNames) {
          const value = param(name);
          const owner = value === null ? undefined : referralOwner.get(lower(value));
          if (value !== null && owner !== undefined)
            return {
              source: "influencer",
              influencerId: owner,
              ruleId: rule.id,
              evidence: { order: firstTouch.orderId, [name]: value },
            };
        }
        break;
      }
      case "utm": {
        if (!firstTouch || !active.has(rule.influencerId)) break;
        const value = param(rule.field);
        if (value === null || !utmMatches(rule.match, rule.value, value)) break;
        const evidence: Evidence = { order: firstTouch.orderId };
        for (const key of Object.keys(marketing).sort()) {
          const utm = param(key);
          if (key.startsWith("utm_") && utm !== null) evidence[key] = utm;
        }
        return { source: "influencer", influencerId: rule.influencerId, ruleId: rule.id, evidence };
      }
      case "referrer_domain": {
        if (!firstTouch || !active.has(rule.influencerId)) break;
        const referrer = param(referrerParam);
        const host = referrer === null ? null : referrerHost(referrer);
        if (referrer === null || host === null || !hostInDomain(host, rule.domain)) break;
        return {
          source: "influencer",
          influencerId: rule.influencerId,
          ruleId: rule.id,
          evidence: { order: firstTouch.orderId, referrer },
        };
      }
    }
  }
  return { source: "organic", influencerId: null, ruleId: null, evidence: {} };
}

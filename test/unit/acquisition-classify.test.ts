import { describe, expect, it } from "vitest";
import {
  type AcquisitionRule,
  classify,
  type FirstTouch,
  hostInDomain,
  type InfluencerCodes,
  normalisedDomain,
  referrerHost,
  unsafePattern,
  utmMatches,
} from "../../domain/acquisition/classify.ts";

const jane: InfluencerCodes = { id: 1, active: true, couponCodes: ["JANE10"], referralCodes: ["jane"] };
const sam: InfluencerCodes = { id: 2, active: true, couponCodes: ["Sam15"], referralCodes: ["SAM-REF"] };
const gone: InfluencerCodes = { id: 3, active: false, couponCodes: ["OLD5"], referralCodes: ["old"] };
const influencers = [jane, sam, gone];

const touch = (marketing: Record<string, string>, orderId = 100): FirstTouch => ({ orderId, marketing });
const organic = { source: "organic", influencerId: null, ruleId: null, evidence: {} };

const couponRule: AcquisitionRule = { id: 10, priority: 10, type: "influencer_coupon" };
const referralRule: AcquisitionRule = {
  id: 11,
  priority: 20,
  type: "referral_code",
  paramNames: ["ref", "referral"],
};
const utmRule = (
  id: number,
  priority: number,
  influencerId: number,
  field: string,
  match: "equals" | "prefix" | "contains" | "regex",
  value: string,
): AcquisitionRule => ({ id, priority, type: "utm", influencerId, field, match, value });
const domainRule = (id: number, priority: number, influencerId: number, domain: string): AcquisitionRule => ({
  id,
  priority,
  type: "referrer_domain",
  influencerId,
  domain,
});

describe("classify", () => {
  it("no data at all, or no rules: organic, rule null, evidence {}", () => {
    expect(classify(null, [], [couponRule, referralRule], influencers)).toEqual(organic);
    expect(
      classify(touch({ utm_source: "instagram" }), [{ code: "JANE10", orderId: 5 }], [], influencers),
    ).toEqual(organic);
    expect(classify(touch({}), [], [utmRule(1, 1, 1, "utm_source", "equals", "x")], influencers)).toEqual(
      organic,
    );
  });

  it("influencer_coupon: the first coupon (in the order given) that is an influencer's, any case", () => {
    const coupons = [
      { code: "WELCOME10", orderId: 7 },
      { code: "sam15", orderId: 8 },
      { code: "JANE10", orderId: 9 },
    ];
    expect(classify(null, coupons, [couponRule], influencers)).toEqual({
      source: "influencer",
      influencerId: 2,
      ruleId: 10,
      evidence: { coupon: "sam15", order: 8 },
    });
    expect(classify(null, [{ code: "WELCOME10", orderId: 7 }], [couponRule], influencers)).toEqual(organic);
  });

  it("referral_code: the rule's parameters in their order, codes case-insensitive", () => {
    expect(classify(touch({ referral: "SAM-ref", ref: "JANE" }), [], [referralRule], influencers)).toEqual({
      source: "influencer",
      influencerId: 1,
      ruleId: 11,
      evidence: { order: 100, ref: "JANE" },
    });
    // A value that is nobody's code in the first parameter: the next parameter is read.
    expect(
      classify(touch({ ref: "nobody", referral: " sam-ref " }), [], [referralRule], influencers),
    ).toEqual({
      source: "influencer",
      influencerId: 2,
      ruleId: 11,
      evidence: { order: 100, referral: " sam-ref " },
    });
    const custom: AcquisitionRule = { id: 12, priority: 1, type: "referral_code", paramNames: ["invite"] };
    expect(classify(touch({ ref: "jane" }), [], [custom], influencers)).toEqual(organic);
    expect(classify(touch({ invite: "Jane" }), [], [custom], influencers).influencerId).toBe(1);
  });

  it("utm: equals, prefix, contains and regex, ignoring case; evidence holds every utm_* of the first touch", () => {
    const first = touch(
      { utm_source: "Instagram", utm_campaign: "jane_spring", utm_medium: "social", ref: "x" },
      42,
    );
    const evidence = {
      order: 42,
      utm_campaign: "jane_spring",
      utm_medium: "social",
      utm_source: "Instagram",
    };
    for (const [match, value] of [
      ["equals", "JANE_SPRING"],
      ["prefix", "jane_"],
      ["contains", "SPRING"],
      ["regex", "^jane_(spring|summer)$"],
    ] as const)
      expect(classify(first, [], [utmRule(20, 5, 1, "utm_campaign", match, value)], influencers)).toEqual({
        source: "influencer",
        influencerId: 1,
        ruleId: 20,
        evidence,
      });
    for (const [match, value] of [
      ["equals", "jane"],
      ["prefix", "spring"],
      ["contains", "summer"],
      ["regex", "^spring"],
    ] as const)
      expect(classify(first, [], [utmRule(20, 5, 1, "utm_campaign", match, value)], influencers)).toEqual(
        organic,
      );
    // Another field than the one the rule names does not count.
    expect(classify(first, [], [utmRule(20, 5, 1, "utm_content", "contains", "jane")], influencers)).toEqual(
      organic,
    );
  });

  it("referrer_domain: the domain itself or a subdomain, any case; not a look-alike", () => {
    const rule = domainRule(30, 5, 2, "instagram.com");
    const match = (referrer: string) => classify(touch({ referrer }), [], [rule], influencers);
    expect(match("https://WWW.Instagram.com/sam?igsh=1")).toEqual({
      source: "influencer",
      influencerId: 2,
      ruleId: 30,
      evidence: { order: 100, referrer: "https://WWW.Instagram.com/sam?igsh=1" },
    });
    expect(match("instagram.com/sam").influencerId).toBe(2);
    expect(match("https://l.instagram.com.").influencerId).toBe(2);
    expect(match("https://notinstagram.com/")).toEqual(organic);
    expect(match("https://instagram.com.evil.example/")).toEqual(organic);
    expect(match("not a url at all")).toEqual(organic);
  });

  it("priority decides, lower first; equal priorities go by rule id, whatever the order given", () => {
    const first = touch({ utm_source: "instagram", ref: "sam-ref" });
    const coupons = [{ code: "JANE10", orderId: 1 }];
    const low = utmRule(50, 1, 1, "utm_source", "equals", "instagram");
    const referral: AcquisitionRule = { id: 40, priority: 2, type: "referral_code", paramNames: ["ref"] };
    expect(classify(first, coupons, [couponRule, referral, low], influencers).ruleId).toBe(50);
    // Ties: rule 7 beats rule 9 at priority 3, in either order.
    const a = utmRule(9, 3, 1, "utm_source", "equals", "instagram");
    const b = utmRule(7, 3, 2, "utm_source", "prefix", "insta");
    expect(classify(first, [], [a, b], influencers)).toMatchObject({ ruleId: 7, influencerId: 2 });
    expect(classify(first, [], [b, a], influencers)).toMatchObject({ ruleId: 7, influencerId: 2 });
    // A rule that does not match gives way to the next.
    const miss = utmRule(1, 0, 1, "utm_source", "equals", "tiktok");
    expect(classify(first, [], [miss, a], influencers).ruleId).toBe(9);
  });

  it("an inactive influencer's codes and rules match nothing: the next rule decides", () => {
    expect(classify(null, [{ code: "old5", orderId: 3 }], [couponRule], influencers)).toEqual(organic);
    expect(classify(touch({ ref: "OLD" }), [], [referralRule], influencers)).toEqual(organic);
    const first = touch({ utm_source: "instagram", referrer: "https://instagram.com/" });
    const inactive = utmRule(60, 1, 3, "utm_source", "equals", "instagram");
    const inactiveDomain = domainRule(61, 2, 3, "instagram.com");
    const fallback = domainRule(62, 3, 1, "instagram.com");
    expect(classify(first, [], [inactive, inactiveDomain, fallback], influencers)).toMatchObject({
      ruleId: 62,
      influencerId: 1,
    });
    // An influencer the brand does not have (not in the list) counts as inactive.
    expect(
      classify(first, [], [utmRule(63, 1, 99, "utm_source", "equals", "instagram")], influencers),
    ).toEqual(organic);
  });

  it("evidence only holds string parameters; blank ones are absent", () => {
    const first = touch({ utm_source: "instagram", utm_term: "  ", utm_campaign: "x" });
    expect(
      classify(first, [], [utmRule(1, 1, 1, "utm_source", "equals", "instagram")], influencers).evidence,
    ).toEqual({
      order: 100,
      utm_source: "instagram",
      utm_campaign: "x",
    });
    expect(
      classify(touch({ utm_source: " " }), [], [utmRule(1, 1, 1, "utm_source", "contains", "")], influencers),
    ).toEqual(organic);
  });
});

describe("regex limits", () => {
  it("accepts plain patterns and refuses what could backtrack badly", () => {
    for (const ok of [
      "^jane",
      "jane_(spring|summer)$",
      "^[a-z]+_spring$",
      "a.*b",
      "x{1,64}",
      "(?:ab)?c",
      "\\d+-\\w+",
    ])
      expect(unsafePattern(ok), ok).toBeNull();
    expect(unsafePattern("")).toBe("The pattern is empty.");
    expect(unsafePattern("a".repeat(201))).toBe("At most 200 characters.");
    expect(unsafePattern("(")).toBe("Not a valid regular expression.");
    expect(unsafePattern("(a+)+$")).toBe("A repeated group may not hold a quantifier or an alternation.");
    expect(unsafePattern("(a|aa)*")).toBe("A repeated group may not hold a quantifier or an alternation.");
    expect(unsafePattern("((ab)*c){2,5}")).toBe(
      "A repeated group may not hold a quantifier or an alternation.",
    );
    expect(unsafePattern("(a)\\1")).toBe("Back-references are not allowed.");
    expect(unsafePattern("a*b*c*")).toBe("At most two unbounded quantifiers (`*`, `+`, `{n,}`).");
    expect(unsafePattern("a{1,65}")).toBe("Repeat counts go up to 64.");
    // Inside a class, quantifier characters are literal.
    expect(unsafePattern("([*+])+")).toBeNull();
  });

  it("a stored unsafe pattern matches nothing, and only the first 512 characters are looked at", () => {
    expect(utmMatches("regex", "(a+)+$", "aaaa")).toBe(false);
    expect(utmMatches("regex", "JANE$", `${"x".repeat(508)}jane`)).toBe(true);
    expect(utmMatches("regex", "JANE$", `${"x".repeat(509)}jane`)).toBe(false);
    expect(utmMatches("contains", "jane", `${"x".repeat(600)}jane`)).toBe(false);
  });
});

describe("hosts and domains", () => {
  it("normalises domains as hosts are compared, and refuses what is not a host", () => {
    expect(normalisedDomain(" Instagram.COM. ")).toBe("instagram.com");
    expect(normalisedDomain("bücher.example")).toBe("xn--bcher-kva.example");
    for (const bad of [
      "https://instagram.com",
      "instagram.com/path",
      "",
      "a b.com",
      "user@host.com",
      "host:80",
    ])
      expect(normalisedDomain(bad), bad).toBeNull();
    expect(referrerHost("https://M.YouTube.com/watch?v=1")).toBe("m.youtube.com");
    expect(referrerHost("youtube.com")).toBe("youtube.com");
    expect(referrerHost("   ")).toBeNull();
    expect(hostInDomain("youtube.com", "youtube.com")).toBe(true);
    expect(hostInDomain("m.youtube.com", "youtube.com")).toBe(true);
    expect(hostInDomain("fakeyoutube.com", "youtube.com")).toBe(false);
  });
});

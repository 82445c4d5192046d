import { z } from "@hono/zod-openapi";
import type { AccountAcquisition, AccountWithAcquisition } from "../../domain/acquisition/accounts.ts";
import {
  acquisitionRuleTypes,
  acquisitionSources,
  defaultReferralParams,
  maxPatternLength,
  utmMatchKinds,
} from "../../domain/acquisition/classify.ts";
import type { Influencer } from "../../domain/acquisition/influencers.ts";
import type { AcquisitionRuleRow } from "../../domain/acquisition/rules.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { AccountDetail } from "../../domain/ledger/accounts.ts";
import { hashId, iso, isoOrNull, name, timestamp } from "./common.ts";
import { accountDetailSchema, accountSchema, presentAccount, presentAccountDetail } from "./ledger.ts";

// Influencers

const handle = z
  .string()
  .trim()
  .transform((value) => value.replace(/^@/, ""))
  .pipe(
    z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,64}$/,
        "Letters, digits, `.`, `_` and `-`, up to 64 (an `@` in front is dropped).",
      ),
  )
  .openapi({ type: "string", description: "Their handle, without `@`.", example: "jane.glow" });

/** A code list: each code at most once, whatever its case. */
const codeList = (max: number, example: string) =>
  z
    .array(z.string().trim().min(1).max(max))
    .max(50)
    .superRefine((codes, ctx) => {
      const seen = new Set<string>();
      codes.forEach((code, index) => {
        const key = code.toLowerCase();
        if (seen.has(key))
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: "Each code at most once (codes ignore case).",
            params: { category: "not_allowed" },
          });
        seen.add(key);
      });
    })
    .openapi({ example: [example] });

const couponCodes = codeList(64, "JANE10").openapi({
  description: "Coupon codes that are this influencer's (unique in the brand, case-insensitive).",
});
const referralCodes = codeList(128, "JANE").openapi({
  description: "Referral codes in first-touch parameters that are this influencer's (unique in the brand).",
});

export const influencerSchema = z
  .object({
    id: hashId("Influencer id."),
    brand: hashId("Brand id."),
    name: z.string(),
    handle: z.string().nullable(),
    active: z
      .boolean()
      .openapi({ description: "An inactive influencer's codes and rules attribute no one." }),
    coupon_codes: z.array(z.string()),
    referral_codes: z.array(z.string()),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Influencer");
export type InfluencerJson = z.infer<typeof influencerSchema>;

export const presentInfluencer = (ids: HashIds, influencer: Influencer): InfluencerJson => ({
  id: ids.encode("influencer", influencer.id),
  brand: ids.encode("brand", influencer.brandId),
  name: influencer.name,
  handle: influencer.handle,
  active: influencer.active,
  coupon_codes: influencer.couponCodes,
  referral_codes: influencer.referralCodes,
  created_at: iso(influencer.createdAt),
  updated_at: iso(influencer.updatedAt),
});

export const createInfluencerBody = z
  .strictObject({
    brand: hashId("Brand id."),
    name,
    handle: handle.nullable().default(null),
    active: z.boolean().default(true),
    coupon_codes: couponCodes.default([]),
    referral_codes: referralCodes.default([]),
  })
  .openapi("CreateInfluencer");

export const updateInfluencerBody = z
  .strictObject({
    name: name.optional(),
    handle: handle.nullable().optional(),
    active: z.boolean().optional(),
    coupon_codes: couponCodes.optional().openapi({ description: "Replaces the coupon codes." }),
    referral_codes: referralCodes.optional().openapi({ description: "Replaces the referral codes." }),
  })
  .openapi("UpdateInfluencer");

// Rules

const ruleType = z.enum(acquisitionRuleTypes).openapi({
  description:
    "`influencer_coupon`: an order of the customer used an influencer's coupon code. `referral_code`: a first-touch parameter (`param_names`) holds an influencer's referral code. `utm`: a first-touch `utm_*` parameter (`field`) matches `value` → `influencer`. `referrer_domain`: the first touch's referrer is on `domain` or a subdomain → `influencer`.",
});
const priority = z
  .number()
  .int()
  .min(0)
  .max(1_000_000)
  .openapi({ description: "Lower is tried first; equal priorities go by rule id.", example: 100 });
const paramNames = z
  .array(
    z
      .string()
      .regex(/^[a-z0-9_]{1,40}$/, "A parameter name: lower-case letters, digits and `_`, up to 40.")
      .refine((value) => value !== "order", {
        message: "`order` names the order in the evidence.",
        params: { category: "not_allowed" },
      }),
  )
  .min(1)
  .max(10)
  .refine((names) => new Set(names).size === names.length, {
    message: "Each name at most once.",
    params: { category: "not_allowed" },
  })
  .openapi({
    description: `\`referral_code\`: parameters to read, in order (default ${defaultReferralParams.join(", ")}).`,
  });
const utmField = z
  .string()
  .regex(/^utm_[a-z0-9_]{1,36}$/, "A `utm_*` parameter name.")
  .openapi({ description: "`utm`: the first-touch parameter matched.", example: "utm_campaign" });
const match = z.enum(utmMatchKinds).openapi({
  description: "`utm`: how `value` is matched, ignoring case. A `regex` is limited to a safe subset.",
});
const matchValue = z
  .string()
  .min(1)
  .max(maxPatternLength)
  .openapi({ description: "`utm`: the value, prefix, substring or pattern.", example: "jane_spring" });
const domain = z.string().min(1).max(253).openapi({
  description: "`referrer_domain`: the host; its subdomains match too.",
  example: "instagram.com",
});
const influencerRef = hashId("`utm`, `referrer_domain`: the influencer attributed (of the rule's brand).");

export const acquisitionRuleSchema = z
  .object({
    id: hashId("Rule id."),
    brand: hashId("Brand id."),
    type: ruleType,
    priority: z.number().int(),
    influencer: hashId("Influencer id.").nullable(),
    param_names: z.array(z.string()).nullable(),
    field: z.string().nullable(),
    match: z.enum(utmMatchKinds).nullable(),
    value: z.string().nullable(),
    domain: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("AcquisitionRule");
export type AcquisitionRuleJson = z.infer<typeof acquisitionRuleSchema>;

export const presentAcquisitionRule = (ids: HashIds, rule: AcquisitionRuleRow): AcquisitionRuleJson => ({
  id: ids.encode("acquisitionRule", rule.id),
  brand: ids.encode("brand", rule.brandId),
  type: rule.type,
  priority: rule.priority,
  influencer: rule.influencerId === null ? null : ids.encode("influencer", rule.influencerId),
  param_names: rule.paramNames,
  field: rule.field,
  match: rule.match,
  value: rule.value,
  domain: rule.domain,
  created_at: iso(rule.createdAt),
  updated_at: iso(rule.updatedAt),
});

export const createAcquisitionRuleBody = z
  .strictObject({
    brand: hashId("Brand id."),
    type: ruleType,
    priority: priority.default(100),
    influencer: influencerRef.nullable().default(null),
    param_names: paramNames.nullable().optional(),
    field: utmField.nullable().default(null),
    match: match.nullable().default(null),
    value: matchValue.nullable().default(null),
    domain: domain.nullable().default(null),
  })
  .openapi("CreateAcquisitionRule");

export const updateAcquisitionRuleBody = z
  .strictObject({
    priority: priority.optional(),
    influencer: influencerRef.nullable().optional(),
    param_names: paramNames.nullable().optional(),
    field: utmField.nullable().optional(),
    match: match.nullable().optional(),
    value: matchValue.nullable().optional(),
    domain: domain.nullable().optional(),
  })
  .openapi("UpdateAcquisitionRule", { description: "The type and brand stay; `null` clears a setting." });

// Accounts

/** Evidence as shown: the order it names as a hash id, everything else as stored. */
function presentEvidence(ids: HashIds, evidence: AccountAcquisition["evidence"]): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [key, value] of Object.entries(evidence))
    shown[key] = key === "order" && typeof value === "number" ? ids.encode("order", value) : String(value);
  return shown;
}

export const acquisitionSchema = z
  .object({
    source: z
      .enum(acquisitionSources)
      .nullable()
      .openapi({ description: "Null until the account is classified." }),
    influencer: z
      .object({ id: hashId("Influencer id."), name: z.string(), handle: z.string().nullable() })
      .nullable(),
    rule: z
      .object({ id: hashId("Acquisition rule id."), type: z.enum(acquisitionRuleTypes) })
      .nullable()
      .openapi({ description: "The rule that decided; null for organic (no rule matched)." }),
    evidence: z.record(z.string(), z.string()).openapi({
      description:
        "What the rule matched: `order` (the order it was seen on), then `coupon`, the referral parameter, the first touch's `utm_*` parameters or `referrer`. Empty for organic.",
      example: { coupon: "JANE10", order: "Xk3G7QAe" },
    }),
    classified_at: timestamp.nullable().openapi({ description: "When this classification was decided." }),
  })
  .openapi("AccountAcquisition", {
    description:
      "How the customer was acquired. Classified by the nightly job (or `POST /api/v1/acquisition/classify`); a rule change shows here only after the next run.",
  });

export const presentAcquisition = (
  ids: HashIds,
  acquisition: AccountAcquisition,
): z.infer<typeof acquisitionSchema> => ({
  source: acquisition.source,
  influencer: acquisition.influencer && {
    id: ids.encode("influencer", acquisition.influencer.id),
    name: acquisition.influencer.name,
    handle: acquisition.influencer.handle,
  },
  rule: acquisition.rule && {
    id: ids.encode("acquisitionRule", acquisition.rule.id),
    type: acquisition.rule.type,
  },
  evidence: presentEvidence(ids, acquisition.evidence),
  classified_at: isoOrNull(acquisition.classifiedAt),
});

export const accountWithAcquisitionSchema = accountSchema
  .extend({ acquisition: acquisitionSchema })
  .openapi("AccountWithAcquisition");

export const presentAccountWithAcquisition = (ids: HashIds, account: AccountWithAcquisition) => ({
  ...presentAccount(ids, account),
  acquisition: presentAcquisition(ids, account.acquisition),
});

export const accountDetailWithAcquisitionSchema = accountDetailSchema
  .extend({ acquisition: acquisitionSchema })
  .openapi("AccountDetail", {
    description:
      "The account with its ledger (the most recent invoices, credit notes, payments and refunds, newest first, capped at `ledger.limit` each; `ledger.counts` says how many exist) and its acquisition source.",
  });

export const presentAccountDetailWithAcquisition = (
  ids: HashIds,
  account: AccountDetail,
  acquisition: AccountAcquisition,
  limit: number,
) => ({ ...presentAccountDetail(ids, account, limit), acquisition: presentAcquisition(ids, acquisition) });

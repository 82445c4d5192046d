import { z } from "zod";
import { rfmSegments } from "../../db/schema/rfm.ts";
import { consentChannels } from "../commerce/event-types.ts";
import { iso3166Alpha2 } from "../core/countries.ts";
import { instantRangeMessage, outsideInstantRange } from "../core/instant-range.ts";
import { subscriptionStates } from "../subscriptions/states.ts";

/**
 * The cohort definition language (SPEC §11): a tree of `and` / `or` groups whose leaves are conditions on
 * 17 fields of a customer (a brand client account). The API's form names brands, markets, influencers and
 * products by their public hash ids; {@link Definition} is generic over the id type so the same tree,
 * resolved to internal ids, is what the compiler and the reference evaluator read.
 */

/** How deep groups may nest (the root group is depth 1) and how big a definition may be. */
export const definitionLimits = {
  maxDepth: 10,
  maxConditions: 500,
  maxRulesPerGroup: 100,
  maxValues: 100,
  maxDays: 36_500,
  /** Money and counts stay exact in a JavaScript number and in Postgres `bigint`. */
  maxAmount: 1_000_000_000_000_000,
  maxCount: 1_000_000_000,
} as const;

export const acquisitionSourceValues = ["organic", "influencer", "unclassified"] as const;
export type AcquisitionSourceValue = (typeof acquisitionSourceValues)[number];

const message = (text: string) => ({ message: text });

const hashIdText = z.string().min(1).max(64);
const instant = z.iso
  .datetime({ offset: true })
  .refine((value) => !outsideInstantRange(value), { message: instantRangeMessage });
const currency = z.string().regex(/^[A-Z]{3}$/, "An ISO 4217 code in upper case (`KRW`).");
const country = z
  .string()
  .refine((value) => iso3166Alpha2.has(value), message("An ISO 3166-1 alpha-2 country code in upper case."));
const list = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(definitionLimits.maxValues);

/** equals / in / not_in over one kind of value. */
const setOps = <F extends string, T extends z.ZodType>(field: F, item: T) =>
  z.discriminatedUnion("op", [
    z.strictObject({ field: z.literal(field), op: z.literal("equals"), value: item }),
    z.strictObject({ field: z.literal(field), op: z.literal("in"), value: list(item) }),
    z.strictObject({ field: z.literal(field), op: z.literal("not_in"), value: list(item) }),
  ]);

const range = (bound: z.ZodNumber) =>
  z
    .strictObject({ min: bound, max: bound })
    .refine((value) => value.min <= value.max, { message: "`min` must not exceed `max`.", path: ["max"] });

/** Comparisons of a number: equals, gt, gte, lt, lte, between (inclusive). `extra` adds fields (currency). */
const numberOps = <F extends string, T extends z.ZodNumber, E extends z.ZodRawShape>(
  field: F,
  bound: T,
  extra: E,
) =>
  z.discriminatedUnion("op", [
    z.strictObject({ field: z.literal(field), op: z.literal("equals"), value: bound, ...extra }),
    z.strictObject({ field: z.literal(field), op: z.literal("gt"), value: bound, ...extra }),
    z.strictObject({ field: z.literal(field), op: z.literal("gte"), value: bound, ...extra }),
    z.strictObject({ field: z.literal(field), op: z.literal("lt"), value: bound, ...extra }),
    z.strictObject({ field: z.literal(field), op: z.literal("lte"), value: bound, ...extra }),
    z.strictObject({ field: z.literal(field), op: z.literal("between"), value: range(bound), ...extra }),
  ]);

/** An R, F or M score: comparisons and sets of 1–5. */
const scoreOps = <F extends string>(field: F) => {
  const score = z.number().int().min(1).max(5);
  return z.discriminatedUnion("op", [
    ...numberOps(field, score, {}).options,
    z.strictObject({ field: z.literal(field), op: z.literal("in"), value: list(score) }),
    z.strictObject({ field: z.literal(field), op: z.literal("not_in"), value: list(score) }),
  ]);
};

/** before / after / between an instant, or within the last N days of `now`. */
const dateOps = <F extends string>(field: F) =>
  z.discriminatedUnion("op", [
    z.strictObject({ field: z.literal(field), op: z.literal("before"), value: instant }),
    z.strictObject({ field: z.literal(field), op: z.literal("after"), value: instant }),
    z.strictObject({
      field: z.literal(field),
      op: z.literal("between"),
      value: z
        .strictObject({ from: instant, to: instant })
        .refine((value) => Date.parse(value.from) < Date.parse(value.to), {
          message: "`from` must be before `to`.",
          path: ["to"],
        }),
    }),
    z.strictObject({
      field: z.literal(field),
      op: z.literal("within_last_days"),
      value: z.number().int().min(1).max(definitionLimits.maxDays),
    }),
  ]);

/** has / has_not: the account has (or has not) at least one of the values. */
const hasOps = <F extends string, T extends z.ZodType>(field: F, value: T) =>
  z.discriminatedUnion("op", [
    z.strictObject({ field: z.literal(field), op: z.literal("has"), value }),
    z.strictObject({ field: z.literal(field), op: z.literal("has_not"), value }),
  ]);

const amount = z.number().int().min(0).max(definitionLimits.maxAmount);
const count = z.number().int().min(0).max(definitionLimits.maxCount);
const couponCode = z.string().trim().min(1).max(100);

/** Every condition the language has, with the API's public ids. */
export const conditionSchema = z.discriminatedUnion("field", [
  setOps("brand", hashIdText),
  setOps("market", hashIdText),
  setOps("country", country),
  setOps("acquisition_source", z.enum(acquisitionSourceValues)),
  setOps("influencer", hashIdText),
  dateOps("first_order_at"),
  dateOps("last_order_at"),
  numberOps("order_count", count, {}),
  numberOps("total_spent", amount, { currency }),
  numberOps("average_order_value", amount, { currency }),
  scoreOps("r_score"),
  scoreOps("f_score"),
  scoreOps("m_score"),
  setOps("rfm_segment", z.enum(rfmSegments)),
  hasOps("product", list(hashIdText)),
  hasOps("coupon", list(couponCode)),
  hasOps("subscription_state", list(z.enum(subscriptionStates))),
  hasOps("consent", z.enum(consentChannels)),
]);

/** The 17 fields of SPEC §11 (market/country is one field with two keys). */
export const conditionFields = conditionSchema.options.map((option) => option.options[0].shape.field.value);
export type ConditionField = (typeof conditionFields)[number];

/** The fields whose values are public ids, and the kind of each id. */
export const idFields = {
  brand: "brand",
  market: "market",
  influencer: "influencer",
  product: "product",
} as const;

type PublicCondition = z.infer<typeof conditionSchema>;
type WithIds<C, Id> = C extends { field: keyof typeof idFields; value: string }
  ? Omit<C, "value"> & { value: Id }
  : C extends { field: keyof typeof idFields; value: string[] }
    ? Omit<C, "value"> & { value: Id[] }
    : C;

/** A condition; ids are public hash ids in the API's form (`string`) and internal ids once resolved. */
export type Condition<Id = number> = WithIds<PublicCondition, Id>;
export interface Group<Id = number> {
  op: "and" | "or";
  rules: Rule<Id>[];
}
export type Rule<Id = number> = Group<Id> | Condition<Id>;
/** A definition is its root group. */
export type Definition<Id = number> = Group<Id>;

export const isGroup = <Id>(rule: Rule<Id>): rule is Group<Id> => "rules" in rule;

const groupSchema: z.ZodType<Group<string>> = z
  .strictObject({
    op: z.enum(["and", "or"]),
    get rules(): z.ZodArray<z.ZodType<Rule<string>>> {
      return z.array(ruleSchema).min(1).max(definitionLimits.maxRulesPerGroup);
    },
  })
  .meta({ id: "CohortGroup" });
const ruleSchema: z.ZodType<Rule<string>> = z.union([groupSchema, conditionSchema]);

/**
 * Walks the raw input without recursion before zod sees it: nesting deeper than allowed, or more
 * conditions than allowed, is refused by path before a recursive parse could exhaust the stack.
 */
function checkSize(input: unknown, ctx: z.core.$RefinementCtx): void {
  let conditions = 0;
  const stack: { value: unknown; path: (string | number)[]; depth: number }[] = [
    { value: input, path: [], depth: 1 },
  ];
  while (stack.length > 0) {
    const item = stack.pop();
    if (!item || item.value === null || typeof item.value !== "object") continue;
    const rules = (item.value as { rules?: unknown }).rules;
    if (!Array.isArray(rules)) {
      conditions += 1;
      continue;
    }
    if (item.depth > definitionLimits.maxDepth) {
      ctx.addIssue({
        code: "custom",
        path: item.path,
        message: `Groups nest at most ${definitionLimits.maxDepth} deep.`,
        params: { category: "out_of_range" },
      });
      return;
    }
    if (rules.length > definitionLimits.maxRulesPerGroup) continue; // the parse names it
    rules.forEach((value, index) => {
      stack.push({ value, path: [...item.path, "rules", index], depth: item.depth + 1 });
    });
  }
  if (conditions > definitionLimits.maxConditions)
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `A definition has at most ${definitionLimits.maxConditions} conditions.`,
      params: { category: "out_of_range" },
    });
}

/** A cohort definition in the API's form (public ids): its size checked first, then its tree. */
export const definitionSchema = z.preprocess((input, ctx) => {
  checkSize(input, ctx);
  return input;
}, groupSchema);

/** A definition's path as the language writes it: `rules[1].rules[0].value`. */
export function definitionPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Zod's issues with each group-or-condition union resolved to the branch the input meant: an object
 * with `rules` is a group, anything else a condition. Paths are made absolute, so every issue names the
 * exact field (`rules[1].rules[0].value`) instead of "invalid input" at the rule.
 */
export function definitionIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  base: readonly PropertyKey[] = [],
): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length === 2) {
      const value = valueAt(input, path);
      const meant = value !== null && typeof value === "object" && "rules" in value ? 0 : 1;
      out.push(...definitionIssues(issue.errors[meant] ?? [], input, path));
    } else out.push({ ...issue, path });
  }
  return out;
}

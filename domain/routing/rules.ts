import type { KnowledgeLevel } from "../contacts/knowledge.ts";
import type { RuleDoc, RuleKnowledge } from "./edge-config.ts";

/** What a landing request is matched on: its entities (after query overrides) and the visitor's knowledge level. */
export interface RuleSubject {
  brandId: number | null;
  themeId: number | null;
  partnerId: number | null;
  productId: number | null;
  knowledge: KnowledgeLevel;
}

/** The knowledge levels each rule knowledge value accepts: `known` and `known_active` include the deeper levels. */
const acceptedLevels: Record<RuleKnowledge, ReadonlySet<KnowledgeLevel>> = {
  any: new Set(["unknown", "known", "known_active", "known_active_same_brand"]),
  unknown: new Set(["unknown"]),
  known: new Set(["known", "known_active", "known_active_same_brand"]),
  known_active: new Set(["known_active", "known_active_same_brand"]),
  known_active_same_brand: new Set(["known_active_same_brand"]),
};

/** How narrowly a rule's knowledge condition selects visitors; `unknown` and `known` are equally narrow. */
const knowledgeDepths: Record<RuleKnowledge, number> = {
  any: 0,
  unknown: 1,
  known: 1,
  known_active: 2,
  known_active_same_brand: 3,
};

/** Whether a rule's knowledge condition accepts a visitor of this level. */
export function knowledgeAccepts(condition: RuleKnowledge, level: KnowledgeLevel): boolean {
  return acceptedLevels[condition].has(level);
}

/** 0 for `any`, 1 for `unknown` and `known`, 2 for `known_active`, 3 for `known_active_same_brand`. */
export function knowledgeDepth(condition: RuleKnowledge): number {
  return knowledgeDepths[condition];
}

/** The number of concrete (non-wildcard) entity dimensions of a rule, 0 to 4. */
export function entitySpecificity(rule: RuleDoc): number {
  return (
    (rule.brandId === null ? 0 : 1) +
    (rule.themeId === null ? 0 : 1) +
    (rule.partnerId === null ? 0 : 1) +
    (rule.productId === null ? 0 : 1)
  );
}

/**
 * Whether a rule applies to a request: every concrete dimension equals the request's value
 * (a wildcard `null` matches anything, including a request without that entity) and the
 * knowledge condition accepts the visitor's level.
 */
export function ruleMatches(rule: RuleDoc, subject: RuleSubject): boolean {
  return (
    (rule.brandId === null || rule.brandId === subject.brandId) &&
    (rule.themeId === null || rule.themeId === subject.themeId) &&
    (rule.partnerId === null || rule.partnerId === subject.partnerId) &&
    (rule.productId === null || rule.productId === subject.productId) &&
    knowledgeAccepts(rule.knowledge, subject.knowledge)
  );
}

/**
 * Orders rules by precedence, the one that should win first:
 * 1. more concrete entity dimensions (brand, theme, partner, product; 0–4);
 * 2. deeper knowledge condition (`any` 0 < `unknown`/`known` 1 < `known_active` 2 < `known_active_same_brand` 3);
 * 3. higher `priority`;
 * 4. lower rule `id`.
 * Entity specificity dominates: a rule naming brand and theme for `any` visitor beats a brand-only rule
 * for `known_active_same_brand` visitors.
 */
export function compareRulePrecedence(a: RuleDoc, b: RuleDoc): number {
  return (
    entitySpecificity(b) - entitySpecificity(a) ||
    knowledgeDepth(b.knowledge) - knowledgeDepth(a.knowledge) ||
    b.priority - a.priority ||
    a.id - b.id
  );
}

/** A rule list sorted once by precedence, so a request needs one linear scan and no sorting. */
export interface CompiledRules<R extends RuleDoc = RuleDoc> {
  readonly ordered: readonly R[];
}

/** Sorts a rule list by {@link compareRulePrecedence}; the input is not modified. */
export function compileRules<R extends RuleDoc>(rules: readonly R[]): CompiledRules<R> {
  return { ordered: [...rules].sort(compareRulePrecedence) };
}

/**
 * The winning rule for a request, or `null` when none matches.
 *
 * Matching: each concrete dimension must equal the request's value (`null` in a rule is `*`);
 * knowledge `any` matches every level, `unknown` only unknown visitors, `known` also the active
 * levels, `known_active` also `known_active_same_brand`, and `known_active_same_brand` only itself.
 * Of the matching rules the most specific wins (see {@link compareRulePrecedence}): first by the
 * number of concrete entity dimensions, then by knowledge depth, then by higher priority, then by
 * lower id.
 */
export function matchRule<R extends RuleDoc>(rules: CompiledRules<R>, subject: RuleSubject): R | null {
  for (const rule of rules.ordered) {
    if (ruleMatches(rule, subject)) return rule;
  }
  return null;
}

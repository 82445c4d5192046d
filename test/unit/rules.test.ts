import { describe, expect, it } from "vitest";
import { type KnowledgeLevel, knowledgeLevels } from "../../domain/contacts/knowledge.ts";
import type { RuleDoc, RuleKnowledge } from "../../domain/routing/edge-config.ts";
import {
  compareRulePrecedence,
  compileRules,
  entitySpecificity,
  knowledgeAccepts,
  knowledgeDepth,
  matchRule,
  type RuleSubject,
  ruleMatches,
} from "../../domain/routing/rules.ts";

function rule(id: number, fields: Partial<RuleDoc> = {}): RuleDoc {
  return {
    id,
    brandId: null,
    themeId: null,
    partnerId: null,
    productId: null,
    knowledge: "any",
    priority: 0,
    targetUrl: `https://target.test/${id}`,
    ...fields,
  };
}

const subject = (fields: Partial<RuleSubject> = {}): RuleSubject => ({
  brandId: 1,
  themeId: 2,
  partnerId: 3,
  productId: 4,
  knowledge: "unknown",
  ...fields,
});

const winner = (rules: RuleDoc[], s: RuleSubject): number | null =>
  matchRule(compileRules(rules), s)?.id ?? null;

describe("knowledge conditions", () => {
  const table: [RuleKnowledge, KnowledgeLevel[]][] = [
    ["any", ["unknown", "known", "known_active", "known_active_same_brand"]],
    ["unknown", ["unknown"]],
    ["known", ["known", "known_active", "known_active_same_brand"]],
    ["known_active", ["known_active", "known_active_same_brand"]],
    ["known_active_same_brand", ["known_active_same_brand"]],
  ];
  for (const [condition, accepted] of table) {
    it(`${condition} accepts exactly ${accepted.join(", ")}`, () => {
      const actual = knowledgeLevels.filter((level) => knowledgeAccepts(condition, level));
      expect(actual).toEqual(accepted);
    });
  }

  it("ranks knowledge depth any < unknown = known < known_active < known_active_same_brand", () => {
    expect(
      ["any", "unknown", "known", "known_active", "known_active_same_brand"].map((k) =>
        knowledgeDepth(k as RuleKnowledge),
      ),
    ).toEqual([0, 1, 1, 2, 3]);
  });
});

describe("ruleMatches", () => {
  it("treats null dimensions as wildcards", () => {
    expect(ruleMatches(rule(1), subject())).toBe(true);
    expect(
      ruleMatches(rule(1), subject({ brandId: null, themeId: null, partnerId: null, productId: null })),
    ).toBe(true);
  });

  it("requires every concrete dimension to be equal", () => {
    expect(ruleMatches(rule(1, { brandId: 1, themeId: 2, partnerId: 3, productId: 4 }), subject())).toBe(
      true,
    );
    expect(ruleMatches(rule(1, { brandId: 9 }), subject())).toBe(false);
    expect(ruleMatches(rule(1, { themeId: 9 }), subject())).toBe(false);
    expect(ruleMatches(rule(1, { partnerId: 9 }), subject())).toBe(false);
    expect(ruleMatches(rule(1, { productId: 9 }), subject())).toBe(false);
    expect(ruleMatches(rule(1, { brandId: 1, productId: 9 }), subject())).toBe(false);
  });

  it("does not let a concrete dimension match a request without that entity", () => {
    expect(ruleMatches(rule(1, { brandId: 1 }), subject({ brandId: null }))).toBe(false);
  });

  it("applies the knowledge condition", () => {
    expect(ruleMatches(rule(1, { knowledge: "known" }), subject({ knowledge: "unknown" }))).toBe(false);
    expect(ruleMatches(rule(1, { knowledge: "known" }), subject({ knowledge: "known_active" }))).toBe(true);
    expect(ruleMatches(rule(1, { knowledge: "unknown" }), subject({ knowledge: "known" }))).toBe(false);
  });
});

describe("entitySpecificity", () => {
  it("counts concrete dimensions", () => {
    expect(entitySpecificity(rule(1))).toBe(0);
    expect(entitySpecificity(rule(1, { partnerId: 3 }))).toBe(1);
    expect(entitySpecificity(rule(1, { brandId: 1, productId: 4 }))).toBe(2);
    expect(entitySpecificity(rule(1, { brandId: 1, themeId: 2, partnerId: 3 }))).toBe(3);
    expect(entitySpecificity(rule(1, { brandId: 1, themeId: 2, partnerId: 3, productId: 4 }))).toBe(4);
  });
});

describe("matchRule", () => {
  it("returns null when nothing matches, or there are no rules", () => {
    expect(winner([], subject())).toBeNull();
    expect(winner([rule(1, { brandId: 9 }), rule(2, { knowledge: "known" })], subject())).toBeNull();
  });

  it("picks the rule with more concrete dimensions, whatever the order given", () => {
    const rules = [
      rule(1),
      rule(2, { brandId: 1 }),
      rule(3, { brandId: 1, themeId: 2 }),
      rule(4, { brandId: 1, themeId: 2, partnerId: 3 }),
      rule(5, { brandId: 1, themeId: 2, partnerId: 3, productId: 4 }),
    ];
    expect(winner(rules, subject())).toBe(5);
    expect(winner([...rules].reverse(), subject())).toBe(5);
    expect(winner(rules, subject({ productId: 8 }))).toBe(4);
    expect(winner(rules, subject({ partnerId: 8 }))).toBe(3);
    expect(winner(rules, subject({ themeId: 8 }))).toBe(2);
    expect(winner(rules, subject({ brandId: 8 }))).toBe(1);
  });

  it("counts dimensions, not which ones: a theme+product rule beats a brand-only rule", () => {
    expect(winner([rule(1, { brandId: 1 }), rule(2, { themeId: 2, productId: 4 })], subject())).toBe(2);
  });

  it("lets entity specificity dominate knowledge depth", () => {
    const rules = [
      rule(1, { brandId: 1, knowledge: "known_active_same_brand" }),
      rule(2, { brandId: 1, themeId: 2, knowledge: "any" }),
    ];
    expect(winner(rules, subject({ knowledge: "known_active_same_brand" }))).toBe(2);
  });

  it("at equal entity specificity, the deeper knowledge condition wins", () => {
    const rules = [
      rule(1, { brandId: 1, knowledge: "any" }),
      rule(2, { brandId: 1, knowledge: "known" }),
      rule(3, { brandId: 1, knowledge: "known_active" }),
      rule(4, { brandId: 1, knowledge: "known_active_same_brand" }),
      rule(5, { brandId: 1, knowledge: "unknown" }),
    ];
    expect(winner(rules, subject({ knowledge: "unknown" }))).toBe(5);
    expect(winner(rules, subject({ knowledge: "known" }))).toBe(2);
    expect(winner(rules, subject({ knowledge: "known_active" }))).toBe(3);
    expect(winner(rules, subject({ knowledge: "known_active_same_brand" }))).toBe(4);
  });

  it("falls back to a shallower knowledge rule when the deeper one does not accept the level", () => {
    const rules = [rule(1, { knowledge: "known_active_same_brand" }), rule(2, { knowledge: "known" })];
    expect(winner(rules, subject({ knowledge: "known_active" }))).toBe(2);
    expect(winner(rules, subject({ knowledge: "unknown" }))).toBeNull();
  });

  it("breaks ties by higher priority, then by lower id", () => {
    expect(
      winner([rule(1, { priority: 1 }), rule(2, { priority: 5 }), rule(3, { priority: 2 })], subject()),
    ).toBe(2);
    expect(
      winner([rule(7, { priority: 5 }), rule(3, { priority: 5 }), rule(9, { priority: 5 })], subject()),
    ).toBe(3);
    expect(winner([rule(2, { priority: -1 }), rule(5, { priority: 0 })], subject())).toBe(5);
  });

  it("never lets priority beat specificity", () => {
    expect(winner([rule(1, { priority: 1000 }), rule(2, { brandId: 1, priority: -1000 })], subject())).toBe(
      2,
    );
    expect(
      winner(
        [rule(1, { knowledge: "any", priority: 1000 }), rule(2, { knowledge: "unknown", priority: 0 })],
        subject(),
      ),
    ).toBe(2);
  });

  it("treats unknown and known as equally deep, so priority decides between them", () => {
    const a = rule(1, { knowledge: "unknown", priority: 1 });
    const b = rule(2, { knowledge: "known", priority: 2 });
    expect(compareRulePrecedence(a, b)).toBeGreaterThan(0);
    expect(compileRules([a, b]).ordered.map((r) => r.id)).toEqual([2, 1]);
  });

  it("orders a compiled list without modifying the input", () => {
    const rules = [rule(3), rule(1, { brandId: 1 }), rule(2, { knowledge: "known" })];
    expect(compileRules(rules).ordered.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(rules.map((r) => r.id)).toEqual([3, 1, 2]);
  });
});

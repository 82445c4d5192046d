import { z } from "@hono/zod-openapi";
import { ruleKnowledge } from "../../db/schema/catalog.ts";
import type { EntityKind, HashIds } from "../../domain/core/hash-ids.ts";
import { type RedirectRule, targetUrlErrors, wildcard } from "../../domain/routing/redirect-rules.ts";
import { targetPlaceholders } from "../../domain/routing/target-url.ts";
import { iso, timestamp } from "./common.ts";

const dimension = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ description: `${what} hash id, or \`*\` for any.`, example: "*" });

const knowledge = z.enum(ruleKnowledge.enumValues).openapi({
  description: "Which visitors the rule is for: any, or a knowledge level of their email.",
});

const priority = z.number().int().min(-1_000_000).max(1_000_000);

const targetUrl = z
  .string()
  .superRefine((value, ctx) => {
    for (const error of targetUrlErrors("target_url", value)) {
      ctx.addIssue({ code: "custom", message: error.message, params: { category: error.category } });
    }
  })
  .openapi({
    description: `Absolute http(s) URL; path, query and fragment may use ${targetPlaceholders.map((p) => `{${p}}`).join(" ")}.`,
    example: "https://acme.example/welcome?capture={capture_id}&utm_source={utm_source}",
  });

export const ruleSchema = z
  .object({
    id: z.string().openapi({ description: "Rule id." }),
    brand: z.string(),
    theme: z.string(),
    partner: z.string(),
    product: z.string(),
    knowledge,
    priority: z.number().int(),
    target_url: z.string(),
    active: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Rule");
export type RuleJson = z.infer<typeof ruleSchema>;

const dim = (ids: HashIds, kind: EntityKind, id: number | null): string =>
  id === null ? wildcard : ids.encode(kind, id);

export const presentRule = (ids: HashIds, rule: RedirectRule): RuleJson => ({
  id: ids.encode("rule", rule.id),
  brand: dim(ids, "brand", rule.brandId),
  theme: dim(ids, "theme", rule.themeId),
  partner: dim(ids, "partner", rule.partnerId),
  product: dim(ids, "product", rule.productId),
  knowledge: rule.knowledge,
  priority: rule.priority,
  target_url: rule.targetUrl,
  active: rule.active,
  created_at: iso(rule.createdAt),
  updated_at: iso(rule.updatedAt),
});

export const createRuleBody = z
  .strictObject({
    brand: dimension("Brand").default(wildcard),
    theme: dimension("Theme").default(wildcard),
    partner: dimension("Partner").default(wildcard),
    product: dimension("Product").default(wildcard),
    knowledge: knowledge.default("any"),
    priority: priority.default(0),
    target_url: targetUrl,
    active: z.boolean().default(true),
  })
  .openapi("CreateRule");

export const updateRuleBody = z
  .strictObject({
    brand: dimension("Brand").optional(),
    theme: dimension("Theme").optional(),
    partner: dimension("Partner").optional(),
    product: dimension("Product").optional(),
    knowledge: knowledge.optional(),
    priority: priority.optional(),
    target_url: targetUrl.optional(),
    active: z.boolean().optional(),
  })
  .openapi("UpdateRule");

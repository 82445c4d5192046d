import { z } from "zod";
import { type KnowledgeEntry, knowledgeKey, knowledgeLevels } from "../../domain/contacts/knowledge.ts";
import { type MessageLinkTargets, messageLinkKvKey } from "../../domain/messaging/links.ts";
import {
  type LandingDoc,
  landingKey,
  type PartnerDoc,
  partnerKey,
  type RuleDoc,
  rulesKey,
} from "../../domain/routing/edge-config.ts";
import { type CompiledRules, compileRules } from "../../domain/routing/rules.ts";
import { type CompiledTargetTemplate, validateTargetTemplate } from "../../domain/routing/target-url.ts";
import { withDeadline } from "./deadline.ts";
import { TtlCache } from "./ttl-cache.ts";

const id = z.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/ });

const landingDocSchema = z.object({
  v: z.literal(1),
  id,
  brandId: id,
  themeId: id,
  partnerId: id,
  productId: id,
  fallbackUrl: httpUrl,
  active: z.boolean(),
  clickIdParam: z.string(),
  transactionIdParam: z.string(),
}) satisfies z.ZodType<LandingDoc>;

const ruleDocSchema = z.object({
  id,
  brandId: id.nullable(),
  themeId: id.nullable(),
  partnerId: id.nullable(),
  productId: id.nullable(),
  knowledge: z.enum(["any", ...knowledgeLevels]),
  priority: z.number().int(),
  targetUrl: z.string(),
}) satisfies z.ZodType<RuleDoc>;

const partnerDocSchema = z.object({
  v: z.literal(1),
  id,
  active: z.boolean(),
  signingSecret: z.string().nullable(),
  redirectPostback: z
    .object({
      urlTemplate: z.string(),
      events: z.array(z.string()),
      payout: z.number().int(),
      currency: z.string().nullable(),
    })
    .nullable()
    .optional(),
}) satisfies z.ZodType<PartnerDoc>;

const rulesDocSchema = z.object({ v: z.literal(1), publishedAt: z.string(), rules: z.array(ruleDocSchema) });

const messageLinkTargetsSchema = z.object({
  arms: z.record(z.string().regex(/^\d+$/), httpUrl),
  fallback: httpUrl,
}) satisfies z.ZodType<MessageLinkTargets>;

const knowledgeEntrySchema = z.object({
  v: z.literal(1),
  activeBrands: z.array(z.number().int()),
  at: z.string(),
}) satisfies z.ZodType<KnowledgeEntry>;

/** A published rule with its target template compiled once; `target` is `null` when the template is invalid. */
export interface EdgeRule extends RuleDoc {
  target: CompiledTargetTemplate | null;
}

export type LandingLookup =
  | { status: "found"; landing: LandingDoc }
  | { status: "missing" }
  | { status: "invalid" };

export type RulesLookup = { status: "found"; rules: CompiledRules<EdgeRule> } | { status: "invalid" };

const landings = new TtlCache<LandingLookup>(2_000);
const rulesDocs = new TtlCache<RulesLookup>(4);
const knowledgeEntries = new TtlCache<KnowledgeEntry | null>(20_000);
const partnerDocs = new TtlCache<PartnerDoc | null>(2_000);
const messageLinks = new TtlCache<MessageLinkTargets | null>(2_000);

/**
 * How the edge reads one KV document: kept in memory for `ttlMs` from `now`, and waited for at most
 * `deadlineMs` (0: no limit) when it is not in memory. A read past its deadline rejects, like a failed one.
 */
export interface ReadPolicy {
  ttlMs: number;
  now: number;
  deadlineMs: number;
}

const noRules: RulesLookup = { status: "found", rules: compileRules<EdgeRule>([]) };

/** The landing document, parsed and checked once per cache period. Rejects when KV fails. */
export function readLanding(kv: KVNamespace, landingId: number, policy: ReadPolicy): Promise<LandingLookup> {
  const key = landingKey(landingId);
  return landings.get(key, policy.ttlMs, policy.now, async () => {
    const raw = await readJson(kv, key, policy);
    if (raw === null) return { status: "missing" };
    const parsed = landingDocSchema.safeParse(raw);
    if (!parsed.success || parsed.data.id !== landingId) {
      logInvalid(key);
      return { status: "invalid" };
    }
    return { status: "found", landing: parsed.data };
  });
}

/**
 * Every published rule, sorted by precedence and with compiled templates, once per cache period.
 * No rules document yet means no rules. Rejects when KV fails.
 */
export function readRules(kv: KVNamespace, policy: ReadPolicy): Promise<RulesLookup> {
  return rulesDocs.get(rulesKey, policy.ttlMs, policy.now, async () => {
    const raw = await readJson(kv, rulesKey, policy);
    if (raw === null) return noRules;
    const parsed = rulesDocSchema.safeParse(raw);
    if (!parsed.success) {
      logInvalid(rulesKey);
      return { status: "invalid" };
    }
    const rules = parsed.data.rules.map((rule): EdgeRule => {
      const validation = validateTargetTemplate(rule.targetUrl);
      return { ...rule, target: validation.ok ? validation.compiled : null };
    });
    return { status: "found", rules: compileRules(rules) };
  });
}

/** The knowledge index entry of an email hash, `null` for an unknown email. Rejects when KV fails or the entry is unreadable. */
export function readKnowledge(
  kv: KVNamespace,
  emailSha256: string,
  policy: ReadPolicy,
): Promise<KnowledgeEntry | null> {
  const key = knowledgeKey(emailSha256);
  return knowledgeEntries.get(key, policy.ttlMs, policy.now, async () => {
    const raw = await readJson(kv, key, policy);
    if (raw === null) return null;
    return knowledgeEntrySchema.parse(raw);
  });
}

/**
 * A partner's document (`null` when there is none, or it is unusable: logged), once per cache period.
 * A rotated signing secret therefore takes up to the cache TTL to reach every isolate. Rejects when KV fails.
 */
export function readPartner(
  kv: KVNamespace,
  partnerId: number,
  policy: ReadPolicy,
): Promise<PartnerDoc | null> {
  const key = partnerKey(partnerId);
  return partnerDocs.get(key, policy.ttlMs, policy.now, async () => {
    const raw = await readJson(kv, key, policy);
    if (raw === null) return null;
    const parsed = partnerDocSchema.safeParse(raw);
    if (!parsed.success || parsed.data.id !== partnerId) {
      logInvalid(key);
      return null;
    }
    return parsed.data;
  });
}

/**
 * A message campaign's link targets (published at launch), once per cache period; `null` when there is no
 * document or it is unusable (logged). Rejects when KV fails.
 */
export function readMessageLinks(
  kv: KVNamespace,
  messageCampaignId: number,
  policy: ReadPolicy,
): Promise<MessageLinkTargets | null> {
  const key = messageLinkKvKey(messageCampaignId);
  return messageLinks.get(key, policy.ttlMs, policy.now, async () => {
    const raw = await readJson(kv, key, policy);
    if (raw === null) return null;
    const parsed = messageLinkTargetsSchema.safeParse(raw);
    if (!parsed.success) {
      logInvalid(key);
      return null;
    }
    return parsed.data;
  });
}

/** Forgets every cached document (tests and benchmarks that change KV under a running isolate). */
export function clearEdgeCaches(): void {
  landings.clear();
  rulesDocs.clear();
  knowledgeEntries.clear();
  partnerDocs.clear();
  messageLinks.clear();
}

/**
 * How long a Cloudflare location keeps a KV answer before it asks KV's central store again, in seconds:
 * the platform's minimum (its default is 60). It bounds how stale an answer can be there, a missing key
 * included: a knowledge entry the consumer has just written (a second submission from the same email)
 * or a rule just published reaches the edge within this, plus `EDGE_CACHE_TTL_MS` in the isolate.
 */
export const kvLocationCacheTtlSeconds = 30;

/** One KV document as JSON, within the policy's deadline. A late answer is dropped, not cached: the next request reads again. */
function readJson(kv: KVNamespace, key: string, policy: ReadPolicy): Promise<unknown> {
  return withDeadline(kv.get(key, { type: "json", cacheTtl: kvLocationCacheTtlSeconds }), policy.deadlineMs);
}

function logInvalid(key: string): void {
  console.error(JSON.stringify({ event: "edge.config_invalid", key }));
}

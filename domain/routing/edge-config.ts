import type { KnowledgeLevel } from "../contacts/knowledge.ts";

/**
 * What the API publishes to the EDGE_CONFIG KV namespace and the edge reads.
 * Postgres is the source of truth; these documents are rebuilt from it on every change.
 */

/** Key `landing:<landing id>`. */
export interface LandingDoc {
  v: 1;
  id: number;
  brandId: number;
  themeId: number;
  partnerId: number;
  productId: number;
  fallbackUrl: string;
  active: boolean;
  /** Query parameter names that carry the partner's click and transaction ids. */
  clickIdParam: string;
  transactionIdParam: string;
}

export type RuleKnowledge = "any" | KnowledgeLevel;

/** One redirect rule; a `null` dimension is the wildcard `*`. */
export interface RuleDoc {
  id: number;
  brandId: number | null;
  themeId: number | null;
  partnerId: number | null;
  productId: number | null;
  knowledge: RuleKnowledge;
  priority: number;
  targetUrl: string;
}

/** Key `rules`: every active rule, in one document. */
export interface RulesDoc {
  v: 1;
  publishedAt: string;
  rules: RuleDoc[];
}

export const landingKey = (landingId: number): string => `landing:${landingId}`;
export const rulesKey = "rules";

/**
 * Key `partner:<partner id>`: what the edge needs to verify a partner's inbound conversions (`/pb`).
 * The signing secret travels in KV because the edge has no database; the namespace is private to the
 * account. A partner with no secret cannot report conversions.
 */
/**
 * A partner whose postbacks use the `redirect` method: the edge sends the visitor through the network's
 * URL (its template, macros filled, `{redirect_url}` the page the rule chose) when the lead is accepted.
 */
export interface RedirectPostback {
  urlTemplate: string;
  events: string[];
  /** Minor units of `currency`; `{payout}` and `{currency}` stay empty without a currency. */
  payout: number;
  currency: string | null;
}

export interface PartnerDoc {
  v: 1;
  id: number;
  /** Partners cannot be deactivated yet, so this is always true; the edge refuses an inactive one. */
  active: boolean;
  signingSecret: string | null;
  /** Set when the partner's postbacks ride on the visitor's redirect; absent in documents published before. */
  redirectPostback?: RedirectPostback | null;
}

export const partnerKey = (partnerId: number): string => `partner:${partnerId}`;

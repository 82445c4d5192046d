import type { KnowledgeLevel } from "../contacts/knowledge.ts";
import type { RedirectPostback } from "../routing/edge-config.ts";
import {
  type PostbackMarketing,
  postbackMacroValues,
  postbackValues,
  renderPostbackUrl,
} from "./postback-template.ts";

/** What the edge knows of a capture when it decides the redirect. */
export interface RedirectPostbackInput {
  knowledge: KnowledgeLevel;
  captureId: string;
  /** Macro values from the request (click_id, transaction_id, sub1–5); missing ones are empty. */
  values: PostbackMarketing;
  /** The page the rule chose: where the network forwards the visitor. */
  target: string;
}

/**
 * The network's URL the visitor goes through for a `redirect` postback, or `null` when none applies:
 * the partner has no redirect postback, does not listen to `lead_accepted`, or the visitor is already
 * an active contact of this brand (the consumer will classify that capture a duplicate, which fires
 * nothing). The template's origin was checked when it was saved and is checked again here, and macro
 * values are URL-encoded (whatever they hold), so the request cannot choose where the visitor goes; a
 * template that does not render gives `null`.
 */
export function redirectPostbackUrl(
  postback: RedirectPostback | null | undefined,
  input: RedirectPostbackInput,
): string | null {
  if (!postback?.events.includes("lead_accepted")) return null;
  if (input.knowledge === "known_active_same_brand") return null;
  const values = postbackValues({
    event: "lead_accepted",
    captureId: input.captureId,
    marketing: input.values,
    payout: postback.payout,
    currency: postback.currency,
  });
  const rendered = renderPostbackUrl(postback.urlTemplate, {
    ...postbackMacroValues(values),
    redirect_url: input.target,
  });
  return rendered.ok ? rendered.url : null;
}

import type { KnowledgeLevel } from "../contacts/knowledge.ts";
import type { RedirectPostback } from "../routing/edge-config.ts";
import { expandPostbackUrl } from "./dispatch.ts";
import { postbackMacros, type redirectPostbackMacros } from "./postback-template.ts";

/** What the edge knows of a capture when it decides the redirect. */
export interface RedirectPostbackInput {
  knowledge: KnowledgeLevel;
  captureId: string;
  /** Macro values from the request (click_id, transaction_id, sub1–5); missing ones are empty. */
  values: Partial<Record<(typeof redirectPostbackMacros)[number], string | null | undefined>>;
  /** The page the rule chose: where the network forwards the visitor. */
  target: string;
}

/**
 * The network's URL the visitor goes through for a `redirect` postback, or `null` when none applies:
 * the partner has no redirect postback, does not listen to `lead_accepted`, or the visitor is already
 * an active contact of this brand (the consumer will classify that capture a duplicate, which fires
 * nothing). The template's origin was checked when it was saved and macro values are URL-encoded, so
 * the request cannot choose where the visitor goes; a result that is not an http(s) URL is dropped.
 */
export function redirectPostbackUrl(
  postback: RedirectPostback | null | undefined,
  input: RedirectPostbackInput,
): string | null {
  if (!postback?.events.includes("lead_accepted")) return null;
  if (input.knowledge === "known_active_same_brand") return null;
  const macros: Record<string, string> = {};
  for (const name of postbackMacros) macros[name] = input.values[name] ?? "";
  macros.event = "lead_accepted";
  macros.capture_id = input.captureId;
  macros.redirect_url = input.target;
  macros.payout = postback.currency === null ? "" : String(postback.payout);
  macros.currency = postback.currency ?? "";
  const expanded = expandPostbackUrl(postback.urlTemplate, macros);
  try {
    const url = new URL(expanded);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

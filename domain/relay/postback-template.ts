/** Macros a partner's postback URL may carry; the relay fills them per event. */
export const postbackMacros = [
  "click_id",
  "transaction_id",
  "payout",
  "currency",
  "event",
  "capture_id",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
] as const;

/**
 * A `redirect` postback may also carry `{redirect_url}`: the page the rule chose, where the network
 * forwards the visitor. Server-side postbacks have no such page and leave it as written.
 */
export const redirectPostbackMacros = [...postbackMacros, "redirect_url"] as const;

const known = new Set<string>(redirectPostbackMacros);

/**
 * Why a postback URL template is unacceptable, or `null` when it is fine: it must be an
 * absolute http(s) URL whose scheme and host are literal, and use only known macros.
 */
export function postbackTemplateProblem(template: string): string | null {
  const macros = [...template.matchAll(/\{([^{}]*)\}/g)].map((match) => match[1] ?? "");
  const unknown = macros.filter((name) => !known.has(name));
  if (unknown.length > 0) return `Unknown macro ${unknown.map((name) => `{${name}}`).join(", ")}.`;
  if (/[{}]/.test(template.replace(/\{[^{}]*\}/g, ""))) return "Unbalanced braces.";
  const origin = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(template);
  if (!origin) return "Must be an absolute http or https URL.";
  const [, scheme = "", authority = ""] = origin;
  if (!/^https?$/i.test(scheme)) return "Must be an absolute http or https URL.";
  if (authority.includes("{")) return "The host may not contain a macro.";
  // Macros stand in for URL-safe values; a sample fill must give a valid URL.
  let sample: URL;
  try {
    sample = new URL(template.replace(/\{[^{}]*\}/g, "x"));
  } catch {
    return "Must be an absolute http or https URL.";
  }
  if (sample.username || sample.password) return "May not carry credentials.";
  return null;
}

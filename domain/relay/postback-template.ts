import { formatMinorUnits } from "../core/currency.ts";
import {
  type CompiledUrlTemplate,
  compileUrlTemplate,
  type RenderedUrl,
  renderUrlTemplate,
  type UrlTemplateValidation,
} from "../core/url-template.ts";

/**
 * Partner postback URLs: which macros a template may carry, the values a postback is made with, and the
 * one place those values become macros. Templates are parsed and rendered by domain/core/url-template.ts
 * (literal scheme, host and port; percent-encoded values).
 */

/** Macros a partner's postback URL may carry; the relay fills them per event. */
export const postbackMacros = [
  "click_id",
  "transaction_id",
  "payout",
  "payout_minor",
  "currency",
  "event",
  "capture_id",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
] as const;
export type PostbackMacro = (typeof postbackMacros)[number];

/**
 * A `redirect` postback may also carry `{redirect_url}`: the page the rule chose, where the network
 * forwards the visitor. Server-side postbacks have no such page and leave it as written.
 */
export const redirectPostbackMacros = [...postbackMacros, "redirect_url"] as const;
export type RedirectPostbackMacro = (typeof redirectPostbackMacros)[number];

/**
 * What a postback is made with and keeps (a relay job's `values`): the capture's marketing values, the
 * event, and the partner's payout as it was then, in integer minor units of `currency` (both empty when
 * the partner had no payout currency). The URL, method and body type are the partner's at each attempt.
 */
export const postbackValueNames = postbackMacros.filter(
  (name): name is Exclude<PostbackMacro, "payout"> => name !== "payout",
);
export type PostbackValueName = Exclude<PostbackMacro, "payout">;
export type PostbackValues = Record<PostbackValueName, string>;

/** The capture's own values a postback carries (marketing columns, as stage 5 stored them). */
export type PostbackMarketing = Partial<
  Record<
    "click_id" | "transaction_id" | "sub1" | "sub2" | "sub3" | "sub4" | "sub5",
    string | null | undefined
  >
>;

export function postbackValues(input: {
  event: string;
  captureId: string;
  marketing: PostbackMarketing;
  /** Minor units of `currency`. */
  payout: number | null | undefined;
  currency: string | null | undefined;
}): PostbackValues {
  const { marketing } = input;
  // No currency, no payout: a bare number would be ambiguous.
  const currency = input.currency ?? "";
  return {
    click_id: marketing.click_id ?? "",
    transaction_id: marketing.transaction_id ?? "",
    payout_minor: currency === "" ? "" : String(Math.trunc(input.payout ?? 0)),
    currency,
    event: input.event,
    capture_id: input.captureId,
    sub1: marketing.sub1 ?? "",
    sub2: marketing.sub2 ?? "",
    sub3: marketing.sub3 ?? "",
    sub4: marketing.sub4 ?? "",
    sub5: marketing.sub5 ?? "",
  };
}

/** A job's stored values, read defensively: anything but a string counts as empty. */
export function readPostbackValues(stored: unknown): PostbackValues {
  const source = stored !== null && typeof stored === "object" ? (stored as Record<string, unknown>) : {};
  const values = {} as PostbackValues;
  for (const name of postbackValueNames) {
    const value = source[name];
    values[name] = typeof value === "string" ? value : "";
  }
  return values;
}

/**
 * Every macro's value: `{payout}` in the currency's unit by its ISO 4217 exponent (USD 1500 → `15.00`,
 * KRW 1500 → `1500`, KWD 1500 → `1.500`), `{payout_minor}` the integer minor units; both empty without a
 * currency. A `post` postback sends this map as its body.
 */
export function postbackMacroValues(values: PostbackValues): Record<PostbackMacro, string> {
  const minor = /^-?\d+$/.test(values.payout_minor) ? Number(values.payout_minor) : null;
  const priced = minor !== null && values.currency !== "";
  return {
    click_id: values.click_id,
    transaction_id: values.transaction_id,
    payout: priced ? formatMinorUnits(minor, values.currency) : "",
    payout_minor: priced ? values.payout_minor : "",
    currency: values.currency,
    event: values.event,
    capture_id: values.capture_id,
    sub1: values.sub1,
    sub2: values.sub2,
    sub3: values.sub3,
    sub4: values.sub4,
    sub5: values.sub5,
  };
}

const rules = { placeholders: redirectPostbackMacros, label: "the postback URL" } as const;

export function compilePostbackTemplate(template: string): UrlTemplateValidation<RedirectPostbackMacro> {
  return compileUrlTemplate(template, rules);
}

/**
 * Why a postback URL template is unacceptable, or `null` when it is fine: it must be an
 * absolute http(s) URL whose scheme and host are literal, and use only known macros.
 */
export function postbackTemplateProblem(template: string): string | null {
  const validation = compilePostbackTemplate(template);
  if (validation.ok) return null;
  const codes = new Set(validation.problems.map((problem) => problem.code));
  const unknown = validation.problems.flatMap((problem) =>
    problem.code === "unknown_placeholder" ? [`{${problem.placeholder ?? ""}}`] : [],
  );
  if (unknown.length > 0) return `Unknown macro ${unknown.join(", ")}.`;
  if (codes.has("unbalanced_brace")) return "Unbalanced braces.";
  if (codes.has("not_absolute_http") || codes.has("empty")) return "Must be an absolute http or https URL.";
  if (codes.has("placeholder_in_origin")) return "The host may not contain a macro.";
  if (codes.has("credentials_in_url")) return "May not carry credentials.";
  return "Must be an absolute http or https URL.";
}

/**
 * A postback URL from its template and macro values, or why not. A server-side postback (no `redirect`)
 * has no page to forward to: `{redirect_url}` stays in its URL as written.
 */
export function renderPostbackUrl(
  template: string | CompiledUrlTemplate<RedirectPostbackMacro>,
  macros: Record<PostbackMacro, string> & { redirect_url?: string },
): RenderedUrl {
  let compiled: CompiledUrlTemplate<RedirectPostbackMacro>;
  if (typeof template === "string") {
    const validation = compilePostbackTemplate(template);
    if (!validation.ok) return { ok: false, reason: validation.problems[0]?.code ?? "malformed_url" };
    compiled = validation.compiled;
  } else {
    compiled = template;
  }
  if (macros.redirect_url === undefined) {
    compiled = {
      ...compiled,
      parts: compiled.parts.map((part) =>
        typeof part !== "string" && part.placeholder === "redirect_url" ? "{redirect_url}" : part,
      ),
    };
  }
  return renderUrlTemplate(compiled, macros);
}

import {
  type CompiledUrlTemplate,
  compileUrlTemplate,
  type RenderedUrl,
  renderUrlTemplate,
  type UrlTemplateProblem,
  type UrlTemplateProblemCode,
  type UrlTemplateValues,
} from "../core/url-template.ts";

/**
 * Redirect rule target templates: an absolute http(s) URL whose path, query and fragment may hold
 * placeholders (domain/core/url-template.ts). The scheme, host and port are always literal, so whatever a
 * visitor sends can only ever land inside the path, query or fragment of the configured origin (no open
 * redirect).
 */

/** Marketing parameters a template may copy from the request's fields. */
export const marketingParams = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "fbclid",
  "ttclid",
  "msclkid",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
] as const;
export type MarketingParam = (typeof marketingParams)[number];

/** Every placeholder a template may use, written `{name}`. */
export const targetPlaceholders = [
  "email_hash",
  "click_id",
  "transaction_id",
  "capture_id",
  ...marketingParams,
] as const;
export type TargetPlaceholder = (typeof targetPlaceholders)[number];

/** Placeholder values; a missing value renders as the empty string. Raw values: rendering percent-encodes them. */
export type TargetValues = UrlTemplateValues<TargetPlaceholder>;

export type TemplateProblemCode = UrlTemplateProblemCode;
export type TemplateProblem = UrlTemplateProblem;
export type CompiledTargetTemplate = CompiledUrlTemplate<TargetPlaceholder>;

export type TemplateValidation =
  | { ok: true; compiled: CompiledTargetTemplate }
  | { ok: false; problems: TemplateProblem[] };

export type RenderedTarget = RenderedUrl;

export const maxTemplateLength = 2048;
/** Longest URL a rendering may produce; longer ones are refused rather than sent as a huge `Location`. */
export const maxRenderedLength = 8192;

const rules = {
  placeholders: targetPlaceholders,
  maxLength: maxTemplateLength,
  forbidControls: true,
  label: "the target URL",
} as const;

/**
 * Checks a rule's target template: an absolute http(s) URL of at most 2048 characters, no
 * whitespace, control characters or backslashes, only known placeholders, balanced braces, no
 * placeholder and no credentials in the scheme, host or port. Returns every problem found, or the
 * compiled template when there is none.
 */
export function validateTargetTemplate(template: string): TemplateValidation {
  return compileUrlTemplate(template, rules);
}

/**
 * Renders a template with percent-encoded values (missing ones empty) and re-checks the result:
 * it must parse, stay on the template's origin, carry no credentials and fit in {@link maxRenderedLength}.
 * A string template is validated first.
 */
export function renderTarget(
  template: string | CompiledTargetTemplate,
  values: TargetValues,
): RenderedTarget {
  let compiled: CompiledTargetTemplate;
  if (typeof template === "string") {
    const validation = validateTargetTemplate(template);
    if (!validation.ok) return { ok: false, reason: validation.problems[0]?.code ?? "malformed_url" };
    compiled = validation.compiled;
  } else {
    compiled = template;
  }
  return renderUrlTemplate(compiled, values, { maxLength: maxRenderedLength });
}

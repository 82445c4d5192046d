import { wellFormed } from "./text.ts";

/**
 * URL templates: an absolute http(s) URL whose path, query and fragment may hold `{macro}` placeholders
 * (redirect rule targets, partner postback URLs). One parser, one renderer. The scheme, host and port are
 * always literal and every value is percent-encoded, so whatever a value holds can only ever land inside
 * the path, query or fragment of the template's own origin; a rendering that would leave it is refused.
 */

export type UrlTemplateProblemCode =
  | "empty"
  | "too_long"
  | "forbidden_character"
  | "unbalanced_brace"
  | "unknown_placeholder"
  | "not_absolute_http"
  | "placeholder_in_origin"
  | "credentials_in_url"
  | "malformed_url";

export interface UrlTemplateProblem {
  code: UrlTemplateProblemCode;
  message: string;
  /** For `unknown_placeholder`: the name between the braces. */
  placeholder?: string;
}

/** A validated template split into literal text and placeholders, with the origin every rendering must keep. */
export interface CompiledUrlTemplate<M extends string = string> {
  readonly template: string;
  readonly origin: string;
  readonly parts: readonly (string | { readonly placeholder: M })[];
}

export type UrlTemplateValidation<M extends string = string> =
  | { ok: true; compiled: CompiledUrlTemplate<M> }
  | { ok: false; problems: UrlTemplateProblem[] };

export type RenderedUrl =
  | { ok: true; url: string }
  | { ok: false; reason: UrlTemplateProblemCode | "origin_changed" };

/** What a kind of template accepts. */
export interface UrlTemplateRules<M extends string> {
  /** The placeholders it may use. */
  placeholders: readonly M[];
  /** Longest template accepted; unlimited when not given. */
  maxLength?: number;
  /** Refuse whitespace, control characters and the backslash (WHATWG parsing turns `\` into `/`). */
  forbidControls?: boolean;
  /** How problems name the template ("the target URL"). */
  label?: string;
}

/** Placeholder values; a missing value renders as the empty string. Raw values: rendering percent-encodes them. */
export type UrlTemplateValues<M extends string> = Partial<Record<M, string | null | undefined>>;

const schemePrefix = /^https?:\/\//i;

/**
 * Checks a template against `rules`: an absolute http(s) URL, only known placeholders, balanced braces,
 * no placeholder and no credentials in the scheme, host or port (and, as the rules ask, a length limit
 * and no whitespace or control characters). Returns every problem found, or the compiled template.
 */
export function compileUrlTemplate<M extends string>(
  template: string,
  rules: UrlTemplateRules<M>,
): UrlTemplateValidation<M> {
  const label = rules.label ?? "the URL";
  const known: ReadonlySet<string> = new Set(rules.placeholders);
  const problems: UrlTemplateProblem[] = [];
  if (template.length === 0) return fail([{ code: "empty", message: `${label} is empty` }]);
  if (rules.maxLength !== undefined && template.length > rules.maxLength) {
    problems.push({ code: "too_long", message: `${label} is longer than ${rules.maxLength} characters` });
  }
  if (rules.forbidControls && hasForbiddenCharacter(template)) {
    problems.push({
      code: "forbidden_character",
      message: `${label} contains whitespace, a control character or a backslash`,
    });
  }

  const parts: (string | { placeholder: M })[] = [];
  let literalStart = 0;
  let index = 0;
  let firstPlaceholderAt = -1;
  while (index < template.length) {
    const char = template[index];
    if (char === "}") {
      problems.push({ code: "unbalanced_brace", message: `"}" without "{" at position ${index}` });
      index += 1;
      continue;
    }
    if (char !== "{") {
      index += 1;
      continue;
    }
    const close = template.indexOf("}", index + 1);
    const nextOpen = template.indexOf("{", index + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      problems.push({ code: "unbalanced_brace", message: `"{" without "}" at position ${index}` });
      index += 1;
      continue;
    }
    const name = template.slice(index + 1, close);
    if (known.has(name)) {
      if (firstPlaceholderAt === -1) firstPlaceholderAt = index;
      if (index > literalStart) parts.push(template.slice(literalStart, index));
      parts.push({ placeholder: name as M });
    } else {
      problems.push({
        code: "unknown_placeholder",
        placeholder: name,
        message: `unknown placeholder {${name}}; allowed: ${rules.placeholders.map((p) => `{${p}}`).join(", ")}`,
      });
    }
    index = close + 1;
    literalStart = index;
  }
  if (literalStart < template.length) parts.push(template.slice(literalStart));

  const scheme = schemePrefix.exec(template);
  if (!scheme) {
    problems.push({ code: "not_absolute_http", message: `${label} must start with http:// or https://` });
    const firstSlash = template.indexOf("/");
    if (firstPlaceholderAt !== -1 && (firstSlash === -1 || firstPlaceholderAt < firstSlash)) {
      problems.push({ code: "placeholder_in_origin", message: "placeholders may not appear in the scheme" });
    }
    return fail(problems);
  }
  const authorityEnd = findAuthorityEnd(template, scheme[0].length);
  const authority = template.slice(scheme[0].length, authorityEnd);
  if (firstPlaceholderAt !== -1 && firstPlaceholderAt < authorityEnd) {
    problems.push({
      code: "placeholder_in_origin",
      message: "placeholders may not appear in the scheme, host or port",
    });
  }
  if (authority.includes("@")) {
    problems.push({ code: "credentials_in_url", message: `${label} may not carry a user name or password` });
  }
  if (problems.length > 0) return fail(problems);

  let origin: string;
  try {
    const base = new URL(template.slice(0, authorityEnd));
    const sample = new URL(parts.map((part) => (typeof part === "string" ? part : "x")).join(""));
    if (base.hostname.length === 0 || sample.origin !== base.origin) throw new Error("origin differs");
    if (sample.username !== "" || sample.password !== "") {
      return fail([
        { code: "credentials_in_url", message: `${label} may not carry a user name or password` },
      ]);
    }
    origin = base.origin;
  } catch {
    return fail([{ code: "malformed_url", message: `${label} is not a valid absolute URL` }]);
  }
  return { ok: true, compiled: { template, origin, parts } };
}

/**
 * Renders a compiled template with percent-encoded values (missing ones empty) and re-checks the result:
 * it must parse, stay on the template's origin, carry no credentials and, when given, fit in `maxLength`.
 * Never throws, whatever the values hold (lone surrogates are sent as U+FFFD).
 */
export function renderUrlTemplate<M extends string>(
  compiled: CompiledUrlTemplate<M>,
  values: UrlTemplateValues<M>,
  options: { maxLength?: number } = {},
): RenderedUrl {
  let rendered = "";
  for (const part of compiled.parts) {
    rendered += typeof part === "string" ? part : encodeUrlValue(values[part.placeholder]);
  }
  if (options.maxLength !== undefined && rendered.length > options.maxLength) {
    return { ok: false, reason: "too_long" };
  }
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    return { ok: false, reason: "malformed_url" };
  }
  if (url.origin !== compiled.origin) return { ok: false, reason: "origin_changed" };
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "credentials_in_url" };
  return { ok: true, url: url.href };
}

/** `encodeURIComponent` that never throws: an unpaired surrogate becomes U+FFFD (`%EF%BF%BD`). */
export function encodeUrlValue(value: string | null | undefined): string {
  if (value === null || value === undefined || value.length === 0) return "";
  return encodeURIComponent(wellFormed(value));
}

function fail(problems: UrlTemplateProblem[]): { ok: false; problems: UrlTemplateProblem[] } {
  return { ok: false, problems };
}

/** Whitespace, controls and the backslash have no place in a template. */
function hasForbiddenCharacter(template: string): boolean {
  for (let index = 0; index < template.length; index += 1) {
    const code = template.charCodeAt(index);
    if (code <= 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x5c) return true;
    if (code === 0x2028 || code === 0x2029 || code === 0xfeff || code === 0xa0) return true;
  }
  return false;
}

function findAuthorityEnd(template: string, from: number): number {
  for (let index = from; index < template.length; index += 1) {
    const char = template[index];
    if (char === "/" || char === "?" || char === "#") return index;
  }
  return template.length;
}

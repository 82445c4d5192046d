/**
 * Redirect rule target templates: an absolute http(s) URL whose path, query and fragment may hold
 * placeholders. The scheme, host and port are always literal, so whatever a visitor sends can only
 * ever land inside the path, query or fragment of the configured origin (no open redirect).
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
export type TargetValues = Partial<Record<TargetPlaceholder, string | null | undefined>>;

export type TemplateProblemCode =
  | "empty"
  | "too_long"
  | "forbidden_character"
  | "unbalanced_brace"
  | "unknown_placeholder"
  | "not_absolute_http"
  | "placeholder_in_origin"
  | "credentials_in_url"
  | "malformed_url";

export interface TemplateProblem {
  code: TemplateProblemCode;
  message: string;
}

/** A validated template split into literal text and placeholders, with the origin every rendering must keep. */
export interface CompiledTargetTemplate {
  readonly template: string;
  readonly origin: string;
  readonly parts: readonly (string | { readonly placeholder: TargetPlaceholder })[];
}

export type TemplateValidation =
  | { ok: true; compiled: CompiledTargetTemplate }
  | { ok: false; problems: TemplateProblem[] };

export type RenderedTarget =
  | { ok: true; url: string }
  | { ok: false; reason: TemplateProblemCode | "origin_changed" };

export const maxTemplateLength = 2048;
/** Longest URL a rendering may produce; longer ones are refused rather than sent as a huge `Location`. */
export const maxRenderedLength = 8192;

const placeholderNames: ReadonlySet<string> = new Set(targetPlaceholders);
const schemePrefix = /^https?:\/\//i;

/**
 * Checks a rule's target template: an absolute http(s) URL of at most 2048 characters, no
 * whitespace, control characters or backslashes, only known placeholders, balanced braces, no
 * placeholder and no credentials in the scheme, host or port. Returns every problem found, or the
 * compiled template when there is none.
 */
export function validateTargetTemplate(template: string): TemplateValidation {
  const problems: TemplateProblem[] = [];
  if (template.length === 0) return fail([{ code: "empty", message: "the target URL is empty" }]);
  if (template.length > maxTemplateLength) {
    problems.push({
      code: "too_long",
      message: `the target URL is longer than ${maxTemplateLength} characters`,
    });
  }
  if (hasForbiddenCharacter(template)) {
    problems.push({
      code: "forbidden_character",
      message: "the target URL contains whitespace, a control character or a backslash",
    });
  }

  const parts: (string | { placeholder: TargetPlaceholder })[] = [];
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
    if (placeholderNames.has(name)) {
      if (firstPlaceholderAt === -1) firstPlaceholderAt = index;
      if (index > literalStart) parts.push(template.slice(literalStart, index));
      parts.push({ placeholder: name as TargetPlaceholder });
    } else {
      problems.push({
        code: "unknown_placeholder",
        message: `unknown placeholder {${name}}; allowed: ${targetPlaceholders.map((p) => `{${p}}`).join(", ")}`,
      });
    }
    index = close + 1;
    literalStart = index;
  }
  if (literalStart < template.length) parts.push(template.slice(literalStart));

  const scheme = schemePrefix.exec(template);
  if (!scheme) {
    problems.push({
      code: "not_absolute_http",
      message: "the target URL must start with http:// or https://",
    });
    const firstSlash = template.indexOf("/");
    if (firstPlaceholderAt !== -1 && (firstSlash === -1 || firstPlaceholderAt < firstSlash)) {
      problems.push({ code: "placeholder_in_origin", message: "placeholders may not appear in the scheme" });
    }
    return fail(problems);
  }
  const authorityStart = scheme[0].length;
  const authorityEnd = findAuthorityEnd(template, authorityStart);
  const authority = template.slice(authorityStart, authorityEnd);
  if (firstPlaceholderAt !== -1 && firstPlaceholderAt < authorityEnd) {
    problems.push({
      code: "placeholder_in_origin",
      message: "placeholders may not appear in the scheme, host or port",
    });
  }
  if (authority.includes("@")) {
    problems.push({
      code: "credentials_in_url",
      message: "the target URL may not carry a user name or password",
    });
  }
  if (problems.length > 0) return fail(problems);

  let origin: string;
  try {
    const base = new URL(template.slice(0, authorityEnd));
    const sample = new URL(parts.map((part) => (typeof part === "string" ? part : "x")).join(""));
    if (base.hostname.length === 0 || sample.origin !== base.origin) throw new Error("origin differs");
    origin = base.origin;
  } catch {
    return fail([{ code: "malformed_url", message: "the target URL is not a valid absolute URL" }]);
  }
  return { ok: true, compiled: { template, origin, parts } };
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
  let rendered = "";
  for (const part of compiled.parts) {
    rendered += typeof part === "string" ? part : encodeValue(values[part.placeholder]);
  }
  if (rendered.length > maxRenderedLength) return { ok: false, reason: "too_long" };
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

function fail(problems: TemplateProblem[]): TemplateValidation {
  return { ok: false, problems };
}

/** Whitespace, controls and the backslash (which WHATWG URL parsing turns into `/`) have no place in a template. */
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

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function encodeValue(value: string | null | undefined): string {
  if (value === null || value === undefined || value.length === 0) return "";
  try {
    return encodeURIComponent(value);
  } catch {
    // encodeURIComponent throws on unpaired surrogates; a visitor must not be able to break the redirect with one.
    return encodeURIComponent(value.replace(loneSurrogate, "\ufffd"));
  }
}

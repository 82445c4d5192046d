import { truncateText } from "../core/text.ts";

/**
 * The submitted fields of a landing request: the query string merged with the form or JSON body.
 * Pure functions; the edge reads the body and hands the pairs in.
 */

/** Longest field value kept; longer values are cut and their original length recorded. */
export const maxFieldValueLength = 2048;
/** Longer field names are dropped: no form has them, and they would only bloat the capture message. */
export const maxFieldNameLength = 128;
/** Distinct field names kept per request; the raw body still holds the rest. */
export const maxFieldCount = 256;

export interface CollectedFields {
  fields: Record<string, string>;
  /** Original length (in UTF-16 code units) of each value that was cut to {@link maxFieldValueLength}. */
  truncatedFields: Record<string, number>;
}

export type FieldPairs = Iterable<readonly [string, string]>;

/**
 * Merges query and body pairs. The body wins over the query; within one source the first
 * value of a repeated name wins (as `URLSearchParams.get` reads it). Names that are empty,
 * longer than {@link maxFieldNameLength} or `__proto__` are dropped.
 */
export function collectFields(query: FieldPairs, body: FieldPairs | null): CollectedFields {
  const merged = new Map<string, string>();
  const fromBody = new Set<string>();
  if (body) {
    for (const [name, value] of body) {
      if (fromBody.has(name) || !acceptableName(name)) continue;
      if (merged.size >= maxFieldCount) break;
      fromBody.add(name);
      merged.set(name, value);
    }
  }
  for (const [name, value] of query) {
    if (merged.has(name) || !acceptableName(name)) continue;
    if (merged.size >= maxFieldCount) break;
    merged.set(name, value);
  }
  const fields: Record<string, string> = {};
  const truncatedFields: Record<string, number> = {};
  for (const [name, value] of merged) {
    if (value.length > maxFieldValueLength) {
      fields[name] = truncateText(value, maxFieldValueLength);
      truncatedFields[name] = value.length;
    } else {
      fields[name] = value;
    }
  }
  return { fields, truncatedFields };
}

function acceptableName(name: string): boolean {
  return name.length > 0 && name.length <= maxFieldNameLength && name !== "__proto__";
}

export type BodyFormat = "form" | "multipart" | "json" | "unsupported";

/** How a body of this `Content-Type` is read into fields. */
export function bodyFormat(contentType: string | null): BodyFormat {
  if (contentType === null) return "unsupported";
  const semicolon = contentType.indexOf(";");
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (essence === "application/x-www-form-urlencoded") return "form";
  if (essence === "multipart/form-data") return "multipart";
  if (essence === "application/json" || (essence.startsWith("application/") && essence.endsWith("+json"))) {
    return "json";
  }
  return "unsupported";
}

export type JsonFields = { ok: true; pairs: [string, string][] } | { ok: false; error: "malformed_json" };

/**
 * Reads a JSON body as fields. It must be an object; strings are kept, numbers and booleans
 * are written as JSON writes them, `null` is skipped and nested objects or arrays are kept as
 * their JSON text.
 */
export function jsonFields(text: string): JsonFields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: "malformed_json" };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, error: "malformed_json" };
  }
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null) continue;
    if (typeof value === "string") pairs.push([name, value]);
    else if (typeof value === "number" || typeof value === "boolean") pairs.push([name, String(value)]);
    else pairs.push([name, JSON.stringify(value)]);
  }
  return { ok: true, pairs };
}

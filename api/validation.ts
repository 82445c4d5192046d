import type { Hook, z } from "@hono/zod-openapi";
import type { FieldError, FieldErrorCategory } from "../domain/core/errors.ts";
import { fieldErrorCategories, ValidationFailed } from "../domain/core/errors.ts";
import type { HonoEnv } from "./hono-env.ts";

const categories = new Set<string>(fieldErrorCategories);

/** Where a field with an empty path lives, by validation target. */
const rootNames: Record<string, string> = { json: "body", query: "query", param: "path", header: "headers" };

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

const fieldName = (path: readonly PropertyKey[], root: string): string =>
  path.length === 0 ? root : path.map(String).join(".");

function categoryOf(issue: z.core.$ZodIssue, input: unknown): FieldErrorCategory {
  // Whatever the check (a type, an enum), a field that is not there is missing.
  const value = valueAt(input, issue.path);
  if (value === undefined) return "missing";
  switch (issue.code) {
    case "invalid_type":
      return value === null ? "missing" : "malformed";
    case "too_small":
      return issue.origin === "string" || issue.origin === "array" || issue.origin === "set"
        ? "too_short"
        : "out_of_range";
    case "too_big":
      return issue.origin === "string" || issue.origin === "array" || issue.origin === "set"
        ? "too_long"
        : "out_of_range";
    case "not_multiple_of":
      return "out_of_range";
    case "invalid_value":
    case "unrecognized_keys":
      return "not_allowed";
    case "custom": {
      const category = issue.params?.category;
      return typeof category === "string" && categories.has(category)
        ? (category as FieldErrorCategory)
        : "malformed";
    }
    default:
      return "malformed";
  }
}

/**
 * Zod issues as field errors: one per bad field (one per unknown key), with the category a
 * client can act on. `input` is the raw value, to tell a missing field from a malformed one.
 */
export function fieldErrorsFromZod(
  error: Pick<z.ZodError, "issues">,
  input: unknown,
  target: string,
  /** How a field's path is written; dotted (`postback_events.1`) unless told. */
  name: (path: readonly PropertyKey[], root: string) => string = fieldName,
): FieldError[] {
  const root = rootNames[target] ?? target;
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        errors.push({
          field: name([...issue.path, key], root),
          category: "not_allowed",
          message: "Unknown field.",
        });
      continue;
    }
    const category = categoryOf(issue, input);
    errors.push({
      field: name(issue.path, root),
      category,
      message: category === "missing" ? "Required." : issue.message,
    });
  }
  return errors;
}

const nulMessage = "Contains a NUL character (U+0000), which stored text cannot hold.";

/**
 * Fields of `value` (parsed input) whose text, or whose key, holds a NUL: Postgres text cannot store
 * one, so such input is refused by name before any verb runs instead of failing its write.
 */
export function nulFieldErrors(value: unknown, target = "json"): FieldError[] {
  const root = rootNames[target] ?? target;
  const errors: FieldError[] = [];
  const visit = (current: unknown, path: PropertyKey[]): void => {
    if (typeof current === "string") {
      if (current.includes("\u0000"))
        errors.push({ field: fieldName(path, root), category: "malformed", message: nulMessage });
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    } else if (current !== null && typeof current === "object" && !(current instanceof Date)) {
      for (const [key, item] of Object.entries(current)) {
        if (key.includes("\u0000"))
          errors.push({ field: fieldName([...path, key], root), category: "malformed", message: nulMessage });
        else visit(item, [...path, key]);
      }
    }
  };
  visit(value, []);
  return errors;
}

/**
 * Every route's validation hook: a failed parse becomes a 422 naming each bad field, and so does text
 * holding a NUL in what parsed; nothing runs after it.
 */
export const validationHook: Hook<unknown, HonoEnv, string, undefined> = (result) => {
  if (result.success) {
    const errors = nulFieldErrors(result.data, result.target);
    if (errors.length > 0) throw new ValidationFailed(errors);
    return;
  }
  const input = "data" in result ? (result as { data: unknown }).data : undefined;
  throw new ValidationFailed(
    withNulErrors(fieldErrorsFromZod(result.error, input, result.target), input, result.target),
  );
};

/** `errors`, then a NUL error for each field of `input` they do not name already: every bad field at once. */
export function withNulErrors(errors: FieldError[], input: unknown, target = "json"): FieldError[] {
  const named = new Set(errors.map((error) => error.field));
  return [...errors, ...nulFieldErrors(input, target).filter((error) => !named.has(error.field))];
}

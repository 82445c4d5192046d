import { fieldErrorCategory } from "../../db/schema/capture.ts";

/**
 * Errors the domain verbs throw. They know nothing of HTTP: the API maps them to
 * problem+json, a queue consumer to ack/retry.
 */

/** The eight per-field error categories of a capture: the database enum's values. */
export const captureFieldErrorCategories = fieldErrorCategory.enumValues;

/**
 * Why a field was refused. The first eight are the capture field-error categories;
 * `not_found` (a reference to nothing) and `conflict` (a value already taken) only
 * occur in API input.
 */
export const fieldErrorCategories = [...captureFieldErrorCategories, "not_found", "conflict"] as const;
export type FieldErrorCategory = (typeof fieldErrorCategories)[number];

export interface FieldError {
  /** Dotted path of the field in the input (`brand`, `postback_events.1`). */
  field: string;
  category: FieldErrorCategory;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: "not_found" | "conflict" | "validation_failed" | "forbidden" | "unavailable";
}

/** The thing asked for does not exist (or is not visible to the caller). */
export class NotFound extends DomainError {
  readonly kind = "not_found";
  constructor(
    readonly resource: string,
    message = `No such ${resource}.`,
  ) {
    super(message);
    this.name = "NotFound";
  }
}

/** The input is well-formed but collides with existing state (a taken slug). */
export class Conflict extends DomainError {
  readonly kind = "conflict";
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = "Conflict";
  }
}

/** One or more fields are unacceptable; every bad field is listed. */
export class ValidationFailed extends DomainError {
  readonly kind = "validation_failed";
  constructor(
    readonly errors: FieldError[],
    message = "The request has invalid fields.",
  ) {
    super(message);
    this.name = "ValidationFailed";
  }
}

/** The caller may not do this (outside its brands, or not an admin). */
export class Forbidden extends DomainError {
  readonly kind = "forbidden";
  constructor(message = "This API key may not do that.") {
    super(message);
    this.name = "Forbidden";
  }
}

/**
 * A dependency outside Postgres failed after the change committed (e.g. publishing to KV).
 * The message is safe to show: it says what was saved and how to repair.
 */
export class Unavailable extends DomainError {
  readonly kind = "unavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "Unavailable";
  }
}

/** Collects field errors and throws them together, so a caller sees every bad field at once. */
export class FieldErrors {
  readonly errors: FieldError[] = [];

  add(field: string, category: FieldErrorCategory, message: string): void {
    this.errors.push({ field, category, message });
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationFailed(this.errors);
  }
}

import type { z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { instantRangeMessage, isRecordableInstant } from "../../domain/core/instant-range.ts";
import { fieldErrorsFromZod } from "../validation.ts";

/**
 * Parses a store's JSON body, keeping integers beyond 2^53 as their exact digits: Shopify ids are 64-bit
 * (`820982911946154508`) and a plain `JSON.parse` would round them, so a refund would name an order id
 * that no stored order has. Uses the reviver's source text where the runtime gives it (V8 ≥ 11.4).
 */
export function parseStoreJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source
      ? context.source
      : value,
  );
}

/** A platform id (number or string) as text. */
export const idText = (value: string | number): string => (typeof value === "number" ? String(value) : value);

/**
 * A store's date and time as ISO 8601 UTC; `field` names it in the 422 when it is no instant, or one
 * outside domain/core/instant-range.ts (a store's broken clock must not fail the ledger's write).
 */
export function storeTime(value: string, field: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new ValidationFailed([{ field, category: "malformed", message: "Not a date and time." }]);
  if (!isRecordableInstant(time))
    throw new ValidationFailed([{ field, category: "out_of_range", message: instantRangeMessage }]);
  return new Date(time).toISOString();
}

/** Parses `input` with a store payload schema; a mismatch is a 422 naming each field under `root`. */
export function parsePayload<T extends z.ZodType>(schema: T, input: unknown, root: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrorsFromZod(result.error, input, "json").map((error) => ({
    ...error,
    field: root && error.field !== "body" ? `${root}.${error.field}` : root || error.field,
  }));
  throw new ValidationFailed(errors, "The store payload is not in the expected format.");
}

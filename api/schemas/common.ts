import { z } from "@hono/zod-openapi";
import { NotFound, ValidationFailed } from "../../domain/core/errors.ts";
import type { EntityKind, HashIds } from "../../domain/core/hash-ids.ts";
import { instantRangeMessage, outsideInstantRange } from "../../domain/core/instant-range.ts";
import type { Page, PageInput } from "../../domain/core/verb.ts";

/** A public id (sqids hash id); its alphabet is per deployment, so only the length is checked here. */
export const hashId = (description: string) =>
  z.string().min(1).max(64).openapi({ description, example: "Xk3G7QAe" });

export const idParams = (kind: string) =>
  z.object({
    id: z
      .string()
      .min(1)
      .max(64)
      .openapi({
        param: { name: "id", in: "path" },
        description: `The ${kind}'s hash id.`,
        example: "Xk3G7QAe",
      }),
  });

export const timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-11-22T16:05:52.123Z" });

/** A timestamp a client sends: also within domain/core/instant-range.ts (422 `out_of_range` otherwise). */
export const inputTimestamp = timestamp.refine((value) => !outsideInstantRange(value), {
  message: instantRangeMessage,
  params: { category: "out_of_range" },
});
export const iso = (date: Date): string => date.toISOString();

/** A document's number in its account's series (domain/ledger/document-numbers.ts). */
export const documentNumberField = (kind: "invoice" | "credit_note") =>
  z
    .string()
    .nullable()
    .openapi({
      description:
        "Its number: the account's id, then its place in the account's gapless " +
        (kind === "invoice" ? "invoice" : "credit note") +
        " series. Null for a document issued before numbering.",
      example: kind === "invoice" ? "Xk3p9QaB-0007" : "Xk3p9QaB-CN-0003",
    });
export const isoOrNull = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export const name = z.string().trim().min(1).max(200);
export const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "Lower-case letters, digits and inner hyphens only.")
  .openapi({ example: "acme-skincare" });

/** An absolute http(s) URL, as a redirect target or callback. */
export const httpUrl = z
  .url({ protocol: /^https?$/, hostname: /^[^{}]+$/, error: "Must be an absolute http or https URL." })
  .max(2048)
  .openapi({ example: "https://acme.example/" });

export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" }, description: "Items per page (1–200).", example: 50 }),
  cursor: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`next_cursor` of the previous page." }),
});

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as `cursor` for the next page; null at the end." }),
    })
    .openapi(name);

/** A page request from the query: the cursor is the hash id of the last item seen. */
export function pageInput(
  ids: HashIds,
  kind: EntityKind,
  query: { limit: number; cursor?: string | undefined },
): PageInput {
  if (query.cursor === undefined) return { limit: query.limit, after: null };
  const after = ids.decode(kind, query.cursor);
  if (after === null)
    throw new ValidationFailed([
      { field: "cursor", category: "malformed", message: "Not a cursor of this list." },
    ]);
  return { limit: query.limit, after };
}

export function pageBody<T, J>(ids: HashIds, kind: EntityKind, page: Page<T>, present: (item: T) => J) {
  return {
    data: page.items.map(present),
    next_cursor: page.nextAfter === null ? null : ids.encode(kind, page.nextAfter),
  };
}

/** A hash id in the path: one that does not decode names nothing, so it is a 404. */
export function pathId(ids: HashIds, kind: EntityKind, value: string, resource: string = kind): number {
  const id = ids.decode(kind, value);
  if (id === null) throw new NotFound(resource);
  return id;
}

/** A hash id in the query string (a filter): one that does not decode is a 422 naming the parameter. */
export function queryId(ids: HashIds, kind: EntityKind, value: string, field: string): number {
  const id = ids.decode(kind, value);
  if (id === null)
    throw new ValidationFailed([{ field, category: "malformed", message: `Not a ${kind} id.` }]);
  return id;
}

export const security = [{ bearerAuth: [] }];

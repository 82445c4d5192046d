import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { fieldErrorsFromZod, nulFieldErrors, withNulErrors } from "../../api/validation.ts";

const schema = z.strictObject({
  name: z.string().min(1).max(5),
  count: z.number().int().min(1).max(10),
  kind: z.enum(["a", "b"]),
  tags: z.array(z.string()).min(1).max(2),
  url: z.url(),
  nested: z.object({ slug: z.string().regex(/^[a-z]+$/) }).optional(),
  custom: z
    .string()
    .superRefine((_, ctx) =>
      ctx.addIssue({ code: "custom", message: "nope", params: { category: "suspicious" } }),
    )
    .optional(),
});

function errorsFor(input: unknown) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("expected a failure");
  return fieldErrorsFromZod(result.error, input, "json").map(({ field, category }) => ({ field, category }));
}

describe("fieldErrorsFromZod", () => {
  it("tells missing fields from malformed ones", () => {
    expect(errorsFor({ name: null, count: "3", kind: "a", tags: ["x"], url: "https://x.example/" })).toEqual([
      { field: "name", category: "missing" },
      { field: "count", category: "malformed" },
    ]);
    expect(errorsFor({})).toEqual([
      { field: "name", category: "missing" },
      { field: "count", category: "missing" },
      { field: "kind", category: "missing" },
      { field: "tags", category: "missing" },
      { field: "url", category: "missing" },
    ]);
  });

  it("maps sizes, ranges, enums, formats, nested paths, unknown keys and custom categories", () => {
    expect(
      errorsFor({
        name: "toolong",
        count: 11,
        kind: "c",
        tags: [],
        url: "not a url",
        nested: { slug: "BAD" },
        custom: "x",
        extra: 1,
        other: 2,
      }),
    ).toEqual([
      { field: "name", category: "too_long" },
      { field: "count", category: "out_of_range" },
      { field: "kind", category: "not_allowed" },
      { field: "tags", category: "too_short" },
      { field: "url", category: "malformed" },
      { field: "nested.slug", category: "malformed" },
      { field: "custom", category: "suspicious" },
      { field: "extra", category: "not_allowed" },
      { field: "other", category: "not_allowed" },
    ]);
    expect(
      errorsFor({ name: "", count: 0.5, kind: "a", tags: ["a", "b", 3], url: "https://x.example/" }),
    ).toEqual([
      { field: "name", category: "too_short" },
      { field: "count", category: "malformed" },
      { field: "tags", category: "too_long" },
    ]);
  });

  it("names the body when the body itself is wrong", () => {
    const result = schema.safeParse([1, 2]);
    if (result.success) throw new Error("expected a failure");
    expect(fieldErrorsFromZod(result.error, [1, 2], "json")).toEqual([
      { field: "body", category: "malformed", message: expect.any(String) },
    ]);
  });
});

describe("nulFieldErrors / withNulErrors", () => {
  const message = "Contains a NUL character (U+0000), which stored text cannot hold.";

  it("names each string and key holding a NUL, at any depth, and nothing else", () => {
    const input = {
      name: "ok",
      lines: [{ sku: "A\u0000" }, { sku: "B" }, "\u0000"],
      meta: { "k\u0000": "fine", deep: { note: "x\u0000y" } },
      at: new Date(0),
      count: 3,
      none: null,
    };
    expect(nulFieldErrors(input)).toEqual([
      { field: "lines.0.sku", category: "malformed", message },
      { field: "lines.2", category: "malformed", message },
      { field: "meta.k\u0000", category: "malformed", message },
      { field: "meta.deep.note", category: "malformed", message },
    ]);
    expect(nulFieldErrors({ email: "a\u0000@b.c" }, "query")).toEqual([
      { field: "email", category: "malformed", message },
    ]);
    expect(nulFieldErrors("\u0000", "json")).toEqual([{ field: "body", category: "malformed", message }]);
    expect(nulFieldErrors({ text: "\\u0000 is only text" })).toEqual([]);
  });

  it("adds NUL errors only for fields the schema's errors do not name", () => {
    const errors = [{ field: "name", category: "too_long" as const, message: "Too long." }];
    expect(withNulErrors(errors, { name: "\u0000".repeat(9), other: "\u0000" })).toEqual([
      errors[0],
      { field: "other", category: "malformed", message },
    ]);
  });
});

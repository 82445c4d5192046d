import { describe, expect, it } from "vitest";
import {
  type CatalogView,
  checkEmail,
  fieldErrorCategories,
  type LandingIds,
  validateReferences,
  validateSubmission,
} from "../../domain/capture/field-validation.ts";

const receivedAt = new Date("2026-11-22T12:00:00Z");
const submit = (
  fields: Record<string, string>,
  extra: { truncated?: Record<string, number>; bodyError?: string } = {},
) =>
  validateSubmission({
    fields,
    truncatedFields: extra.truncated ?? {},
    bodyError: extra.bodyError ?? null,
    receivedAt,
  }).errors;

describe("the eight categories", () => {
  it("are exactly these", () => {
    expect(fieldErrorCategories).toEqual([
      "missing",
      "malformed",
      "too_short",
      "too_long",
      "out_of_range",
      "not_allowed",
      "disposable",
      "suspicious",
    ]);
  });
});

describe("email", () => {
  it("accepts and normalises a real address", () => {
    const check = checkEmail("  John.Smith+promo@GMail.com ");
    expect(check.error).toBeNull();
    expect(check.email).toEqual({ address: "johnsmith@gmail.com", local: "johnsmith", domain: "gmail.com" });
  });

  it("missing: absent or blank", () => {
    expect(submit({})).toEqual([
      { field: "email", category: "missing", message: "an email address is required" },
    ]);
    expect(submit({ email: "   " })).toEqual([
      { field: "email", category: "missing", message: "an email address is required" },
    ]);
  });

  it("malformed: not an address", () => {
    for (const value of ["john", "john@", "@gmail.com", "john@gmail", "jo hn@gmail.com", "john@@gmail.com"]) {
      expect(submit({ email: value })).toEqual([
        { field: "email", category: "malformed", message: "not an email address" },
      ]);
    }
  });

  it("too_long: over 254 characters, or cut short by the edge", () => {
    const long = `${"a".repeat(60)}@${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.${"e".repeat(10)}.com`;
    expect(long.length).toBeGreaterThan(254);
    expect(submit({ email: long })).toEqual([
      { field: "email", category: "too_long", message: "an email address has at most 254 characters" },
    ]);
    expect(submit({ email: "a".repeat(2048) }, { truncated: { email: 5000 } })).toEqual([
      {
        field: "email",
        category: "too_long",
        message: "the edge cut this field short (5000 characters sent)",
      },
    ]);
  });

  it("disposable: a throw-away provider or its subdomain", () => {
    const expected = [{ field: "email", category: "disposable", message: "a disposable mailbox provider" }];
    expect(submit({ email: "kim@mailinator.com" })).toEqual(expected);
    expect(submit({ email: "kim@eu.yopmail.com" })).toEqual(expected);
    const check = checkEmail("kim@mailinator.com");
    expect(check.email?.address).toBe("kim@mailinator.com");
  });

  it("suspicious: reserved test domains, role mailboxes, placeholders", () => {
    expect(submit({ email: "kim@mail.example" })).toEqual([
      { field: "email", category: "suspicious", message: "a reserved test domain" },
    ]);
    expect(submit({ email: "kim@shop.test" })).toEqual([
      { field: "email", category: "suspicious", message: "a reserved test domain" },
    ]);
    expect(submit({ email: "postmaster@naver.com" })).toEqual([
      { field: "email", category: "suspicious", message: "a role mailbox, not a person" },
    ]);
    expect(submit({ email: "test@daum.net" })).toEqual([
      { field: "email", category: "suspicious", message: "a placeholder address" },
    ]);
  });

  it("accepts the documentation domains demos use", () => {
    expect(submit({ email: "jane.doe@example.com" })).toEqual([]);
  });

  it("reads only the exact field name, as the edge does", () => {
    expect(submit({ Email: "kim@naver.com" })).toEqual([
      { field: "email", category: "missing", message: "an email address is required" },
    ]);
  });
});

describe("names", () => {
  const ok = { email: "kim@naver.com" };
  it("accepts names in any script", () => {
    expect(submit({ ...ok, first_name: "민준", last_name: "O'Brien-Kim", name: "José María" })).toEqual([]);
  });

  it("too_long over 100 characters", () => {
    expect(submit({ ...ok, first_name: "a".repeat(101) })).toEqual([
      { field: "first_name", category: "too_long", message: "a name has at most 100 characters" },
    ]);
    expect(submit({ ...ok, first_name: "가".repeat(100) })).toEqual([]);
  });

  it("malformed with digits, links or an address", () => {
    const expected = (field: string) => [
      { field, category: "malformed", message: "a name has no digits, addresses or links" },
    ];
    expect(submit({ ...ok, last_name: "Kim2" })).toEqual(expected("last_name"));
    expect(submit({ ...ok, last_name: "visit www.spam.kr" })).toEqual(expected("last_name"));
    expect(submit({ ...ok, first_name: "http://x" })).toEqual(expected("first_name"));
    expect(submit({ ...ok, name: "kim@naver" })).toEqual(expected("name"));
  });

  it("suspicious with markup or script", () => {
    const expected = [{ field: "first_name", category: "suspicious", message: "contains markup or script" }];
    expect(submit({ ...ok, first_name: "<script>alert(1)</script>" })).toEqual(expected);
    expect(submit({ ...ok, first_name: "javascript:alert" })).toEqual(expected);
    expect(submit({ ...ok, first_name: "{{constructor}}" })).toEqual(expected);
  });

  it("treats an empty optional field as absent", () => {
    expect(submit({ ...ok, first_name: "", phone: "  " })).toEqual([]);
  });
});

describe("phone", () => {
  const ok = { email: "kim@naver.com" };
  it("accepts E.164 and local formats", () => {
    expect(submit({ ...ok, phone: "+82 10-1234-5678" })).toEqual([]);
    expect(submit({ ...ok, phone: "(02) 123.4567" })).toEqual([]);
  });
  it("malformed with letters", () => {
    expect(submit({ ...ok, phone: "010-CALL-ME" })).toEqual([
      {
        field: "phone",
        category: "malformed",
        message: "a phone number has digits, spaces, dashes, dots or brackets",
      },
    ]);
  });
  it("too_short under 7 digits", () => {
    expect(submit({ ...ok, phone: "123-456" })).toEqual([
      { field: "phone", category: "too_short", message: "a phone number has at least 7 digits" },
    ]);
  });
  it("too_long over 15 digits", () => {
    expect(submit({ ...ok, phone: "+82 10 1234 5678 9012" })).toEqual([
      { field: "phone", category: "too_long", message: "a phone number has at most 15 digits" },
    ]);
  });
});

describe("birth year and age", () => {
  const ok = { email: "kim@naver.com" };
  it("accepts plausible values (ages 14–120 at the capture's date)", () => {
    expect(submit({ ...ok, birth_year: "2012", age: "14" })).toEqual([]);
    expect(submit({ ...ok, birth_year: "1906", age: "120" })).toEqual([]);
  });
  it("out_of_range outside them", () => {
    expect(submit({ ...ok, birth_year: "2013" })).toEqual([
      { field: "birth_year", category: "out_of_range", message: "a birth year lies between 1906 and 2012" },
    ]);
    expect(submit({ ...ok, birth_year: "1905" })[0]?.category).toBe("out_of_range");
    expect(submit({ ...ok, age: "13" })).toEqual([
      { field: "age", category: "out_of_range", message: "an age lies between 14 and 120" },
    ]);
    expect(submit({ ...ok, age: "121" })[0]?.category).toBe("out_of_range");
  });
  it("malformed when not a number", () => {
    expect(submit({ ...ok, birth_year: "19x0" })).toEqual([
      { field: "birth_year", category: "malformed", message: "a birth year has four digits" },
    ]);
    expect(submit({ ...ok, age: "twenty" })).toEqual([
      { field: "age", category: "malformed", message: "an age is a whole number" },
    ]);
  });
});

describe("country", () => {
  const ok = { email: "kim@naver.com" };
  it("accepts ISO 3166-1 alpha-2 codes in any case", () => {
    expect(submit({ ...ok, country: "KR" })).toEqual([]);
    expect(submit({ ...ok, country: "jp" })).toEqual([]);
  });
  it("not_allowed for anything else", () => {
    const expected = [
      { field: "country", category: "not_allowed", message: "not an ISO 3166-1 alpha-2 country code" },
    ];
    expect(submit({ ...ok, country: "XX" })).toEqual(expected);
    expect(submit({ ...ok, country: "Korea" })).toEqual(expected);
    expect(submit({ ...ok, country: "EU" })).toEqual(expected);
  });
});

describe("body and truncated fields", () => {
  const ok = { email: "kim@naver.com" };
  it("too_long when the body was too large, malformed when it could not be read", () => {
    expect(submit(ok, { bodyError: "too_large" })).toEqual([
      { field: "body", category: "too_long", message: "the request body exceeds the size limit" },
    ]);
    expect(submit(ok, { bodyError: "malformed_json" })).toEqual([
      {
        field: "body",
        category: "malformed",
        message: "the request body could not be read (malformed_json)",
      },
    ]);
    expect(submit(ok, { bodyError: "unsupported_media_type" })[0]?.category).toBe("malformed");
  });
  it("too_long for every field the edge cut short, known or not", () => {
    expect(
      submit({ ...ok, utm_content: "x", phone: "1" }, { truncated: { utm_content: 9000, phone: 3000 } }),
    ).toEqual([
      {
        field: "phone",
        category: "too_long",
        message: "the edge cut this field short (3000 characters sent)",
      },
      {
        field: "utm_content",
        category: "too_long",
        message: "the edge cut this field short (9000 characters sent)",
      },
    ]);
  });
  it("reports several fields at once, in a fixed order", () => {
    expect(
      submit({ email: "x", phone: "12", country: "ZZ" }, { bodyError: "malformed_json" }).map((e) => [
        e.field,
        e.category,
      ]),
    ).toEqual([
      ["body", "malformed"],
      ["email", "malformed"],
      ["phone", "too_short"],
      ["country", "not_allowed"],
    ]);
  });
});

describe("landing and hash-id overrides", () => {
  const catalog: CatalogView = {
    landing: (id) => (id === 10 ? { active: true } : id === 11 ? { active: false } : undefined),
    hasBrand: (id) => id === 1 || id === 2,
    hasTheme: (id) => id === 3,
    hasPartner: (id) => id === 4,
    productBrand: (id) => (id === 5 ? 1 : id === 6 ? 2 : undefined),
  };
  const landing: LandingIds = { id: 10, brandId: 1, themeId: 3, partnerId: 4, productId: 5 };

  it("resolves a landing whose ids all exist", () => {
    expect(validateReferences(landing, {}, catalog)).toEqual({ errors: [], resolved: landing });
  });

  it("not_allowed on landing when it did not decode, does not exist or is inactive", () => {
    expect(validateReferences({ ...landing, id: null }, {}, catalog).errors).toEqual([
      { field: "landing", category: "not_allowed", message: "does not decode to a landing" },
    ]);
    const unknown = validateReferences(
      { id: 99, brandId: null, themeId: null, partnerId: null, productId: null },
      {},
      catalog,
    );
    expect(unknown).toEqual({
      errors: [{ field: "landing", category: "not_allowed", message: "refers to no landing" }],
      resolved: { id: null, brandId: null, themeId: null, partnerId: null, productId: null },
    });
    expect(validateReferences({ ...landing, id: 11 }, {}, catalog).errors).toEqual([
      { field: "landing", category: "not_allowed", message: "the landing is inactive" },
    ]);
  });

  it("not_allowed on an override that did not decode", () => {
    const check = validateReferences(landing, { t: { raw: "zzz", valid: false } }, catalog);
    expect(check.errors).toEqual([
      { field: "t", category: "not_allowed", message: "does not decode to an id of this kind" },
    ]);
    expect(check.resolved.themeId).toBe(3);
  });

  it("not_allowed on an override that refers to nothing", () => {
    const check = validateReferences(
      { ...landing, partnerId: 40, brandId: 77 },
      { p: { raw: "abc", valid: true }, b: { raw: "def", valid: true } },
      catalog,
    );
    expect(check.errors).toEqual([
      { field: "b", category: "not_allowed", message: "refers to nothing" },
      { field: "p", category: "not_allowed", message: "refers to nothing" },
    ]);
    expect(check.resolved).toEqual({ id: 10, brandId: null, themeId: 3, partnerId: null, productId: 5 });
  });

  it("not_allowed on pr when the product belongs to another brand", () => {
    const check = validateReferences(
      { ...landing, productId: 6 },
      { pr: { raw: "ghi", valid: true } },
      catalog,
    );
    expect(check.errors).toEqual([
      { field: "pr", category: "not_allowed", message: "the product belongs to another brand" },
    ]);
    expect(check.resolved.productId).toBeNull();
  });
});

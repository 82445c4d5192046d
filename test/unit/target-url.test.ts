import { describe, expect, it } from "vitest";
import {
  type CompiledTargetTemplate,
  maxRenderedLength,
  renderTarget,
  type TargetValues,
  validateTargetTemplate,
} from "../../domain/routing/target-url.ts";

function compile(template: string): CompiledTargetTemplate {
  const validation = validateTargetTemplate(template);
  if (!validation.ok)
    throw new Error(`expected ${template} to be valid: ${JSON.stringify(validation.problems)}`);
  return validation.compiled;
}

const problemCodes = (template: string): string[] => {
  const validation = validateTargetTemplate(template);
  return validation.ok ? [] : validation.problems.map((problem) => problem.code);
};

const render = (template: string, values: TargetValues): string => {
  const rendered = renderTarget(template, values);
  if (!rendered.ok) throw new Error(`render failed: ${rendered.reason}`);
  return rendered.url;
};

describe("validateTargetTemplate", () => {
  it("accepts absolute http and https templates with placeholders after the origin", () => {
    expect(compile("https://offer.test/").origin).toBe("https://offer.test");
    expect(compile("http://offer.test:8080/a?x={click_id}").origin).toBe("http://offer.test:8080");
    expect(compile("HTTPS://Offer.Test/{utm_source}#{capture_id}").origin).toBe("https://offer.test");
    expect(compile("https://offer.test?e={email_hash}").parts).toEqual([
      "https://offer.test?e=",
      { placeholder: "email_hash" },
    ]);
    expect(compile("https://offer.test/{sub1}{sub2}").parts).toEqual([
      "https://offer.test/",
      { placeholder: "sub1" },
      { placeholder: "sub2" },
    ]);
  });

  it("rejects placeholders in the scheme, host or port", () => {
    expect(problemCodes("https://{utm_source}/")).toEqual(["placeholder_in_origin"]);
    expect(problemCodes("https://{utm_source}.offer.test/")).toEqual(["placeholder_in_origin"]);
    expect(problemCodes("https://offer.test{utm_source}/")).toEqual(["placeholder_in_origin"]);
    expect(problemCodes("https://offer.test:{sub1}/")).toEqual(["placeholder_in_origin"]);
    expect(problemCodes("https://offer.test{utm_source}")).toEqual(["placeholder_in_origin"]);
    expect(problemCodes("{utm_source}://offer.test/")).toEqual([
      "not_absolute_http",
      "placeholder_in_origin",
    ]);
    expect(problemCodes("http{sub1}://offer.test/")).toEqual(["not_absolute_http", "placeholder_in_origin"]);
  });

  it("rejects anything that is not an absolute http(s) URL", () => {
    expect(problemCodes("")).toEqual(["empty"]);
    expect(problemCodes("/relative/{click_id}")).toEqual(["not_absolute_http"]);
    expect(problemCodes("//offer.test/")).toEqual(["not_absolute_http"]);
    expect(problemCodes("javascript:alert(1)//")).toEqual(["not_absolute_http"]);
    expect(problemCodes("ftp://offer.test/")).toEqual(["not_absolute_http"]);
    expect(problemCodes("https:offer.test/")).toEqual(["not_absolute_http"]);
    expect(problemCodes("https:///path")).toEqual(["malformed_url"]);
    expect(problemCodes("https://exa mple.test/")).toEqual(["forbidden_character"]);
    expect(problemCodes("https://[::1/")).toEqual(["malformed_url"]);
  });

  it("rejects backslashes, whitespace and control characters", () => {
    expect(problemCodes("https://offer.test\\@evil.test/")).toContain("forbidden_character");
    expect(problemCodes("https:/\\evil.test/")).toContain("forbidden_character");
    expect(problemCodes("https://offer.test/\r\nSet-Cookie:x")).toEqual(["forbidden_character"]);
    expect(problemCodes("https://offer.test/\u0000")).toEqual(["forbidden_character"]);
    expect(problemCodes("https://offer.test/\tx")).toEqual(["forbidden_character"]);
    expect(problemCodes("https://offer.test/\u00a0")).toEqual(["forbidden_character"]);
  });

  it("rejects credentials in the authority", () => {
    expect(problemCodes("https://user:pass@offer.test/")).toEqual(["credentials_in_url"]);
    expect(problemCodes("https://offer.test@evil.test/")).toEqual(["credentials_in_url"]);
  });

  it("rejects unknown placeholders and unbalanced braces", () => {
    expect(problemCodes("https://offer.test/{email}")).toEqual(["unknown_placeholder"]);
    expect(problemCodes("https://offer.test/{}")).toEqual(["unknown_placeholder"]);
    expect(problemCodes("https://offer.test/{click_id")).toEqual(["unbalanced_brace"]);
    expect(problemCodes("https://offer.test/click_id}")).toEqual(["unbalanced_brace"]);
    expect(problemCodes("https://offer.test/{{click_id}}")).toEqual(["unbalanced_brace", "unbalanced_brace"]);
  });

  it("rejects templates over 2048 characters", () => {
    expect(problemCodes(`https://offer.test/${"a".repeat(2048)}`)).toEqual(["too_long"]);
  });

  it("reports every problem at once, with a message", () => {
    const validation = validateTargetTemplate("https://{sub1}@x/{nope} ");
    expect(validation.ok).toBe(false);
    if (validation.ok) return;
    expect(validation.problems.map((problem) => problem.code)).toEqual([
      "forbidden_character",
      "unknown_placeholder",
      "placeholder_in_origin",
      "credentials_in_url",
    ]);
    expect(validation.problems.every((problem) => problem.message.length > 0)).toBe(true);
  });
});

describe("renderTarget", () => {
  it("fills every placeholder, percent-encoded, and leaves missing ones empty", () => {
    const template =
      "https://offer.test/go?e={email_hash}&c={click_id}&t={transaction_id}&id={capture_id}&s={utm_source}&m={utm_medium}&n={utm_campaign}&k={utm_term}&o={utm_content}&g={gclid}&f={fbclid}&tt={ttclid}&ms={msclkid}&s1={sub1}&s2={sub2}&s3={sub3}&s4={sub4}&s5={sub5}";
    expect(
      render(template, {
        email_hash: "ab12",
        click_id: "clk 1",
        transaction_id: "tx/2",
        capture_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        utm_source: "news&letter",
        utm_medium: "e=mail",
        utm_campaign: "spring sale",
        utm_term: "한국어",
        utm_content: "a+b",
        gclid: "G",
        fbclid: "F",
        ttclid: "T",
        msclkid: "M",
        sub1: "1",
        sub2: "#2",
        sub3: "?3",
        sub4: null,
      }),
    ).toBe(
      "https://offer.test/go?e=ab12&c=clk%201&t=tx%2F2&id=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b&s=news%26letter&m=e%3Dmail&n=spring%20sale&k=%ED%95%9C%EA%B5%AD%EC%96%B4&o=a%2Bb&g=G&f=F&tt=T&ms=M&s1=1&s2=%232&s3=%3F3&s4=&s5=",
    );
  });

  it("renders a template without placeholders as the URL itself", () => {
    expect(render("https://offer.test", {})).toBe("https://offer.test/");
  });

  it("accepts a compiled template", () => {
    const rendered = renderTarget(compile("https://offer.test/{sub1}"), { sub1: "x y" });
    expect(rendered).toEqual({ ok: true, url: "https://offer.test/x%20y" });
  });

  it("refuses an invalid string template with its first problem", () => {
    expect(renderTarget("https://{sub1}/", { sub1: "evil.test" })).toEqual({
      ok: false,
      reason: "placeholder_in_origin",
    });
  });

  describe("keeps the configured origin whatever the visitor sends", () => {
    const attacks = [
      "//evil.test",
      "https://evil.test/",
      "@evil.test",
      "user@evil.test",
      "\\\\evil.test",
      "/\\evil.test",
      "\r\nLocation: https://evil.test/",
      "%2F%2Fevil.test",
      "..//..//evil.test",
      "javascript:alert(1)",
      "#@evil.test",
      "?@evil.test",
      ":443@evil.test",
      "\u3002evil.test",
      "\ud800",
      "\u0000evil.test",
    ];
    const templates = [
      "https://offer.test/{utm_source}",
      "https://offer.test/path{utm_source}",
      "https://offer.test?x={utm_source}",
      "https://offer.test/#{utm_source}",
      "https://offer.test/{utm_source}/{utm_medium}",
    ];
    for (const template of templates) {
      for (const attack of attacks) {
        it(`${template} with ${JSON.stringify(attack)}`, () => {
          const rendered = renderTarget(template, { utm_source: attack, utm_medium: attack });
          expect(rendered.ok).toBe(true);
          if (!rendered.ok) return;
          const url = new URL(rendered.url);
          expect(url.origin).toBe("https://offer.test");
          expect(url.username).toBe("");
          expect(rendered.url).not.toMatch(/[\s\\]/);
          expect(rendered.url.startsWith("https://offer.test/")).toBe(true);
        });
      }
    }
  });

  it("encodes the exact open-redirect payloads to inert text", () => {
    expect(render("https://offer.test/{utm_source}", { utm_source: "//evil.test" })).toBe(
      "https://offer.test/%2F%2Fevil.test",
    );
    expect(render("https://offer.test/{utm_source}", { utm_source: "@evil.test" })).toBe(
      "https://offer.test/%40evil.test",
    );
    expect(render("https://offer.test/{utm_source}", { utm_source: "\\evil.test" })).toBe(
      "https://offer.test/%5Cevil.test",
    );
    expect(render("https://offer.test/?a={utm_source}", { utm_source: "x\r\nSet-Cookie: a=b" })).toBe(
      "https://offer.test/?a=x%0D%0ASet-Cookie%3A%20a%3Db",
    );
    expect(render("https://offer.test/?a={utm_source}", { utm_source: "\ud800x" })).toBe(
      "https://offer.test/?a=%EF%BF%BDx",
    );
  });

  it("refuses a rendering longer than the limit", () => {
    const long = "a".repeat(maxRenderedLength);
    expect(renderTarget("https://offer.test/{sub1}", { sub1: long })).toEqual({
      ok: false,
      reason: "too_long",
    });
  });

  it("refuses a hand-built compiled template whose rendering leaves its origin", () => {
    const forged: CompiledTargetTemplate = {
      template: "https://{sub1}/",
      origin: "https://offer.test",
      parts: ["https://", { placeholder: "sub1" }, "/"],
    };
    expect(renderTarget(forged, { sub1: "evil.test" })).toEqual({ ok: false, reason: "origin_changed" });
    expect(renderTarget(forged, { sub1: "" })).toEqual({ ok: false, reason: "malformed_url" });
  });
});

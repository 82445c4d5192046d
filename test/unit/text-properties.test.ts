import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { marketingParams, maxParamLength } from "../../domain/capture/marketing.ts";
import { collectFields, maxFieldValueLength } from "../../domain/capture/request-fields.ts";
import { truncateText, wellFormed } from "../../domain/core/text.ts";
import { compileUrlTemplate, encodeUrlValue, renderUrlTemplate } from "../../domain/core/url-template.ts";
import { buildRelayRequest } from "../../domain/relay/delivery.ts";
import {
  postbackMacros,
  postbackMacroValues,
  postbackValueNames,
  readPostbackValues,
  redirectPostbackMacros,
  renderPostbackUrl,
} from "../../domain/relay/postback-template.ts";
import { redirectPostbackUrl } from "../../domain/relay/redirect-postback.ts";
import { renderTarget, targetPlaceholders } from "../../domain/routing/target-url.ts";
import { fitMessage, recordUrl } from "../../workers/edge/capture-message.ts";

/**
 * Any string a visitor, a partner or a store can send: every plane, lone high and low surrogates, NUL,
 * and the characters that mean something in a URL or a template.
 */
const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0x10ffff }).map((point) => String.fromCodePoint(point)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
  fc.constantFrom("\0", "😀", "%", "{", "}", "/", "@", "#", "?", "&", "=", "\\", ":", " ", "\n"),
);
const anyText = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: anyUnit, minLength: 2000, maxLength: 2100 }),
);

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** `cut` is `original` cut to at most `max` units on a code point boundary (and, when `tight`, no shorter than it must). */
function expectCodePointPrefix(cut: string, original: string, max: number, tight = true): void {
  expect(cut.length).toBeLessThanOrEqual(Math.max(0, max));
  expect(original.startsWith(cut)).toBe(true);
  if (cut.length < original.length) {
    // The cut never falls between the halves of a pair, and drops at most the one unit a pair needs.
    const before = cut.charCodeAt(cut.length - 1);
    expect(cut.length > 0 && isHigh(before) && isLow(original.charCodeAt(cut.length))).toBe(false);
    if (tight) expect(cut.length).toBeGreaterThanOrEqual(Math.min(original.length, Math.max(0, max)) - 1);
  }
}

const postbackTemplate =
  "https://track.network.test:8443/p/{click_id}/{event}?tx={transaction_id}&p={payout}&pm={payout_minor}&c={currency}&id={capture_id}&s={sub1}{sub2}{sub3}{sub4}{sub5}&to={redirect_url}#{click_id}";
const targetTemplate = `https://offers.test/t/{click_id}?${targetPlaceholders.map((name) => `${name}={${name}}`).join("&")}#{sub1}`;

// Hundreds of generated cases per property: a loaded two-core CI machine needs more than the default 5 s.
describe("truncation keeps whole code points", { timeout: 60_000 }, () => {
  it("truncateText: at most N units, a prefix of the input, never half a pair", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: -2, max: 2200 }), (text, max) => {
        expectCodePointPrefix(truncateText(text, max), text, max);
      }),
      { numRuns: 2000 },
    );
  });

  it("the edge's fields and URL, and the marketing parameters, are cut the same way (header values are Latin-1: no pairs)", () => {
    fc.assert(
      fc.property(anyText, anyText, (value, other) => {
        const { fields } = collectFields([["click", value]], [["sub1", other]]);
        expectCodePointPrefix(fields.click ?? "", value, maxFieldValueLength);
        expectCodePointPrefix(fields.sub1 ?? "", other, maxFieldValueLength);
        const marketing = marketingParams(
          { fields: { utm_source: value, click_id: other }, url: "https://e.test/l/x", referrer: value },
          null,
        );
        expectCodePointPrefix(marketing.utmSource ?? "", value.trim(), maxParamLength);
        expectCodePointPrefix(marketing.referrer ?? "", value.trim(), 2048);
        expectCodePointPrefix(recordUrl(value.repeat(9)), value.repeat(9), 16_384);
      }),
      { numRuns: 300 },
    );
  });

  it("a capture message fitted to the queue's budget cuts its body and fields on code point boundaries", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyUnit, minLength: 1, maxLength: 8 }), (seed) => {
        const body = seed.repeat(Math.ceil(60_000 / seed.length));
        const field = `${seed}😀`.repeat(Math.ceil(30_000 / (seed.length + 2)));
        const fitted = fitMessage({
          v: 1,
          captureId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
          receivedAt: "2026-11-22T12:00:00.000Z",
          landingRef: "x",
          landing: { id: null, brandId: null, themeId: null, partnerId: null, productId: null },
          overrides: {},
          request: {
            method: "POST",
            url: "https://e.test/l/x",
            headers: {},
            body,
            bodyBytes: body.length,
            bodyTruncated: false,
            bodyError: null,
            fields: { a: field, b: field },
            truncatedFields: {},
          },
          cf: null,
          edge: {
            emailSha256: null,
            knowledge: "unknown",
            knowledgeSource: "no_email",
            ruleId: null,
            fallbackReason: null,
            response: { status: 302, location: "https://o.test/", headers: {} },
            durationMs: 1,
          },
        });
        const request = fitted.message.request;
        expectCodePointPrefix(request.body ?? "", body, body.length, false);
        expectCodePointPrefix(request.fields.a ?? "", field, field.length, false);
        expectCodePointPrefix(request.fields.b ?? "", field, field.length, false);
        expect(fitted.bytes).toBeLessThanOrEqual(100_000);
      }),
      { numRuns: 40 },
    );
  });
});

describe("rendering a template never throws, whatever the values", { timeout: 60_000 }, () => {
  const values = fc.record(Object.fromEntries(redirectPostbackMacros.map((name) => [name, anyText])));

  it("a value is percent-encoded as its well-formed UTF-8 (a lone surrogate as U+FFFD)", () => {
    fc.assert(
      fc.property(anyText, (value) => {
        const encoded = encodeUrlValue(value);
        expect(encoded).toMatch(/^[A-Za-z0-9\-_.!~*'()%]*$/);
        expect(decodeURIComponent(encoded)).toBe(wellFormed(value));
      }),
      { numRuns: 1000 },
    );
    expect(encodeUrlValue("a\ud800b\udc00")).toBe("a%EF%BF%BDb%EF%BF%BD");
  });

  it("postbacks (server-side and redirect): a valid URL on the template's literal origin", () => {
    fc.assert(
      fc.property(values, (raw) => {
        const macros = {
          ...postbackMacroValues(readPostbackValues(raw)),
          redirect_url: raw.redirect_url ?? "",
        };
        for (const rendered of [
          renderPostbackUrl(postbackTemplate, macros),
          renderPostbackUrl(postbackTemplate, { ...macros, redirect_url: undefined }),
        ]) {
          expect(rendered.ok).toBe(true);
          if (rendered.ok) expect(new URL(rendered.url).origin).toBe("https://track.network.test:8443");
        }
        const redirect = redirectPostbackUrl(
          { urlTemplate: postbackTemplate, events: ["lead_accepted"], payout: 1500, currency: "USD" },
          {
            knowledge: "unknown",
            captureId: raw.capture_id ?? "",
            values: raw,
            target: raw.redirect_url ?? "",
          },
        );
        expect(redirect === null ? null : new URL(redirect).origin).toBe("https://track.network.test:8443");
      }),
      { numRuns: 500 },
    );
  });

  it("the relay consumer's request for a postback and a lead relay made with any values", async () => {
    await fc.assert(
      fc.asyncProperty(
        values,
        fc.constantFrom("get", "post"),
        fc.constantFrom("json", "form"),
        async (raw, method, contentType) => {
          const stored = Object.fromEntries(postbackValueNames.map((name) => [name, raw[name] ?? ""]));
          const recipient = { url: postbackTemplate, method, contentType, headers: {}, signingSecret: "s" };
          const postback = await buildRelayRequest(
            { kind: "postback", event: "sale", values: stored, payload: null },
            recipient,
            new Date(),
          );
          expect(new URL(postback.url).origin).toBe("https://track.network.test:8443");
          const lead = await buildRelayRequest(
            { kind: "lead_relay", event: "lead_accepted", values: raw, payload: null },
            {
              ...recipient,
              url: "https://buyer.test/in",
              fieldMapping: Object.fromEntries(postbackMacros.map((name) => [`f_${name}`, name])),
            },
            new Date(),
          );
          expect(new URL(lead.url).origin).toBe("https://buyer.test");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rule targets: a valid URL on the template's origin, or a refusal for length (never a throw)", () => {
    fc.assert(
      fc.property(fc.record(Object.fromEntries(targetPlaceholders.map((name) => [name, anyText]))), (raw) => {
        const rendered = renderTarget(targetTemplate, raw);
        if (rendered.ok) expect(new URL(rendered.url).origin).toBe("https://offers.test");
        else expect(rendered.reason).toBe("too_long");
      }),
      { numRuns: 500 },
    );
  });

  it("any template string: compiling never throws, and a template it accepts renders only on its own origin", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          anyText.map((text) => `https://h.test${text}`),
          anyText.map((text) => `https://${text}/{click_id}`),
        ),
        fc.record({ click_id: anyText, sub1: anyText }),
        (template, raw) => {
          const compiled = compileUrlTemplate(template, { placeholders: ["click_id", "sub1"] as const });
          if (!compiled.ok) return;
          const rendered = renderUrlTemplate(compiled.compiled, raw);
          if (rendered.ok) expect(new URL(rendered.url).origin).toBe(compiled.compiled.origin);
          expect(new URL(compiled.compiled.origin).protocol).toMatch(/^https?:$/);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../domain/contacts/email.ts";
import type { KnowledgeLevel } from "../../domain/contacts/knowledge.ts";
import type { RuleDoc } from "../../domain/routing/edge-config.ts";
import {
  call,
  codec,
  type EdgeCall,
  errorsDuring,
  freshEmail,
  freshId,
  globalFallback,
  harness,
  landingUrl,
  rule,
  seedKnowledge,
  seedLanding,
} from "./edge-harness.ts";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const form = (fields: Record<string, string>): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("routing by knowledge level", () => {
  const levels: KnowledgeLevel[] = ["unknown", "known", "known_active", "known_active_same_brand"];

  for (const level of levels) {
    it(`redirects a ${level} visitor to that level's rule`, async () => {
      const landing = await seedLanding();
      const brandId = landing.doc.brandId;
      const rules: RuleDoc[] = levels.map((knowledge) =>
        rule({
          brandId,
          knowledge,
          targetUrl: `https://offers.test/${knowledge}?e={email_hash}&c={capture_id}`,
        }),
      );
      const h = await harness({ rules });
      const email = freshEmail();
      const sha256 = sha256Hex(email);
      if (level === "known") await seedKnowledge(email, []);
      if (level === "known_active") await seedKnowledge(email, [freshId()]);
      if (level === "known_active_same_brand") await seedKnowledge(email, [freshId(), brandId]);

      const { response, message } = await call(h, new Request(landingUrl(landing.ref, `email=${email}`)));

      const captureId = response.headers.get("x-capture-id");
      expect(captureId).toMatch(uuidV7);
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe(
        `https://offers.test/${level}?e=${sha256}&c=${captureId}`,
      );
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(message.captureId).toBe(captureId);
      expect(message.edge).toEqual({
        emailSha256: sha256,
        knowledge: level,
        knowledgeSource: "kv",
        ruleId: rules[levels.indexOf(level)]?.id,
        fallbackReason: null,
        response: {
          status: 302,
          location: `https://offers.test/${level}?e=${sha256}&c=${captureId}`,
          headers: {
            location: `https://offers.test/${level}?e=${sha256}&c=${captureId}`,
            "x-capture-id": captureId,
            "cache-control": "no-store",
          },
        },
        durationMs: message.edge.durationMs,
      });
      expect(message.edge.durationMs).toBeGreaterThanOrEqual(0);
    });
  }

  it("reads knowledge against the overridden brand", async () => {
    const landing = await seedLanding();
    const otherBrand = freshId();
    const email = freshEmail();
    await seedKnowledge(email, [otherBrand]);
    const rules = [
      rule({ knowledge: "known_active", targetUrl: "https://offers.test/active" }),
      rule({ knowledge: "known_active_same_brand", targetUrl: "https://offers.test/same" }),
    ];
    const h = await harness({ rules });
    const plain = await call(h, new Request(landingUrl(landing.ref, `email=${email}`)));
    expect(plain.response.headers.get("location")).toBe("https://offers.test/active");
    const overridden = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${email}&b=${codec.encode("brand", otherBrand)}`)),
    );
    expect(overridden.response.headers.get("location")).toBe("https://offers.test/same");
    expect(overridden.message.landing.brandId).toBe(otherBrand);
    expect(overridden.message.edge.knowledge).toBe("known_active_same_brand");
  });
});

describe("a well-formed capture", () => {
  it("answers a form POST with 303 and sends the whole request in one message", async () => {
    const landing = await seedLanding();
    const target =
      "https://offers.test/thanks?e={email_hash}&click={click_id}&tx={transaction_id}&s={utm_source}&id={capture_id}&g={gclid}";
    const matched = rule({ brandId: landing.doc.brandId, themeId: landing.doc.themeId, targetUrl: target });
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/generic" }), matched] });
    const email = freshEmail();
    const request = new Request(landingUrl(landing.ref, "utm_source=query&clickid=from-query&sub1=s1"), {
      ...form({ email: `  ${email.toUpperCase()} `, utm_source: "news letter", txid: "T-9", name: "Ada" }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: "session=secret",
        authorization: "Bearer secret",
        "user-agent": "Mozilla/5.0 (test)",
      },
    });

    const { response, message, raw } = await call(h, request);

    const captureId = response.headers.get("x-capture-id") ?? "";
    const sha256 = sha256Hex(email);
    const location = `https://offers.test/thanks?e=${sha256}&click=from-query&tx=T-9&s=news%20letter&id=${captureId}&g=`;
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(location);
    expect(await response.text()).toBe("");

    const body = `email=++${encodeURIComponent(email.toUpperCase())}+&utm_source=news+letter&txid=T-9&name=Ada`;
    expect(message).toEqual({
      v: 1,
      captureId,
      receivedAt: message.receivedAt,
      landingRef: landing.ref,
      landing: {
        id: landing.doc.id,
        brandId: landing.doc.brandId,
        themeId: landing.doc.themeId,
        partnerId: landing.doc.partnerId,
        productId: landing.doc.productId,
      },
      overrides: {},
      request: {
        method: "POST",
        url: landingUrl(landing.ref, "utm_source=query&clickid=from-query&sub1=s1"),
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie: "[redacted]",
          authorization: "[redacted]",
          "user-agent": "Mozilla/5.0 (test)",
        },
        body,
        bodyBytes: body.length,
        bodyTruncated: false,
        bodyError: null,
        fields: {
          email: `  ${email.toUpperCase()} `,
          utm_source: "news letter",
          txid: "T-9",
          name: "Ada",
          clickid: "from-query",
          sub1: "s1",
        },
        truncatedFields: {},
      },
      cf: message.cf,
      edge: {
        emailSha256: sha256,
        knowledge: "unknown",
        knowledgeSource: "kv",
        ruleId: matched.id,
        fallbackReason: null,
        response: {
          status: 303,
          location,
          headers: { location, "x-capture-id": captureId, "cache-control": "no-store" },
        },
        durationMs: message.edge.durationMs,
      },
    });
    expect(Date.parse(message.receivedAt)).toBeGreaterThan(Date.now() - 60_000);
    // UUIDv7 carries the same millisecond as receivedAt.
    expect(Number.parseInt(captureId.replaceAll("-", "").slice(0, 12), 16)).toBe(
      Date.parse(message.receivedAt),
    );
    expect(JSON.stringify(raw)).not.toContain("secret");
  });

  it("reads a JSON object body, scalars as text and nested values as JSON", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/json?t={utm_term}" })] });
    const email = freshEmail();
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, "utm_term=query&age=1"), {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({
          email,
          utm_term: "from body",
          age: 42,
          consent: true,
          skip: null,
          tags: ["a", "b"],
        }),
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("https://offers.test/json?t=from%20body");
    expect(message.request.fields).toEqual({
      email,
      utm_term: "from body",
      age: "42",
      consent: "true",
      tags: '["a","b"]',
    });
    expect(message.request.bodyError).toBeNull();
  });

  it("reads a multipart form, leaving uploaded files out of the fields", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/multipart" })] });
    const email = freshEmail();
    const data = new FormData();
    data.set("email", email);
    data.set("phone", "+82 10-1234-5678");
    data.set("cv", new File(["file bytes"], "cv.txt", { type: "text/plain" }));
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref), { method: "POST", body: data }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("https://offers.test/multipart");
    expect(message.request.fields).toEqual({ email, phone: "+82 10-1234-5678" });
    expect(message.request.body).toContain("file bytes");
    expect(message.request.bodyError).toBeNull();
  });

  it("puts request.cf into the message", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/cf" })] });
    const cf = {
      country: "KR",
      region: "Seoul",
      regionCode: "11",
      city: "Seoul",
      postalCode: "04524",
      continent: "AS",
      latitude: "37.56",
      longitude: "126.98",
      timezone: "Asia/Seoul",
      asn: 4766,
      asOrganization: "Korea Telecom",
      colo: "ICN",
      clientTcpRtt: 12,
      botManagement: { score: 87, verifiedBot: false, ja3Hash: "abc" },
      tlsClientRandom: "not kept",
    };
    const { message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`), { cf } as RequestInit),
    );
    expect(message.cf).toEqual({
      country: "KR",
      region: "Seoul",
      regionCode: "11",
      city: "Seoul",
      postalCode: "04524",
      continent: "AS",
      latitude: "37.56",
      longitude: "126.98",
      timezone: "Asia/Seoul",
      asn: 4766,
      asOrganization: "Korea Telecom",
      colo: "ICN",
      clientTcpRtt: 12,
      botManagement: { score: 87, verifiedBot: false, ja3Hash: "abc" },
    });
  });

  it("cuts long field values and records their original length", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/long" })] });
    const email = freshEmail();
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref), form({ email, comment: "x".repeat(5000) })),
    );
    expect(response.headers.get("location")).toBe("https://offers.test/long");
    expect(message.request.fields.comment).toBe("x".repeat(2048));
    expect(message.request.truncatedFields).toEqual({ comment: 5000 });
  });

  it("fills the affiliate's click and transaction ids from the landing's own parameter names", async () => {
    const landing = await seedLanding({ clickIdParam: "aff_click", transactionIdParam: "aff_tx" });
    const h = await harness({
      rules: [rule({ targetUrl: "https://offers.test/pb?c={click_id}&t={transaction_id}&s5={sub5}" })],
    });
    const { response } = await call(
      h,
      new Request(
        landingUrl(landing.ref, `email=${freshEmail()}&aff_click=C%2F1&aff_tx=T+2&clickid=no&sub5=five`),
      ),
    );
    expect(response.headers.get("location")).toBe("https://offers.test/pb?c=C%2F1&t=T%202&s5=five");
  });

  it("keeps the target's origin whatever the marketing parameters say", async () => {
    const landing = await seedLanding();
    const h = await harness({
      rules: [rule({ targetUrl: "https://offers.test/{utm_source}?c={utm_campaign}" })],
    });
    const { response } = await call(
      h,
      new Request(
        landingUrl(
          landing.ref,
          `email=${freshEmail()}&utm_source=${encodeURIComponent("//evil.test/x")}&utm_campaign=${encodeURIComponent("@evil.test\r\nSet-Cookie: a")}`,
        ),
      ),
    );
    expect(response.headers.get("location")).toBe(
      "https://offers.test/%2F%2Fevil.test%2Fx?c=%40evil.test%0D%0ASet-Cookie%3A%20a",
    );
  });
});

describe("fallbacks", () => {
  it("sends an unknown hash id to the global fallback", async () => {
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const { response, message } = await call(
      h,
      new Request(landingUrl("not-a-landing", `email=${freshEmail()}`)),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(message.landingRef).toBe("not-a-landing");
    expect(message.landing).toEqual({
      id: null,
      brandId: null,
      themeId: null,
      partnerId: null,
      productId: null,
    });
    expect(message.edge.fallbackReason).toBe("unknown_landing");
    expect(message.edge.ruleId).toBeNull();
  });

  it("sends a hash id of another kind to the global fallback", async () => {
    const landing = await seedLanding();
    const h = await harness();
    const brandRef = codec.encode("brand", landing.doc.id);
    const { response, message } = await call(h, new Request(landingUrl(brandRef, `email=${freshEmail()}`)));
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(message.edge.fallbackReason).toBe("unknown_landing");
  });

  it("sends a landing without a KV document to the global fallback, recording its id", async () => {
    const id = freshId();
    const h = await harness();
    const { response, message } = await call(
      h,
      new Request(landingUrl(codec.encode("landing", id), `email=${freshEmail()}`), form({})),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(message.landing.id).toBe(id);
    expect(message.edge.fallbackReason).toBe("unknown_landing");
  });

  it("sends an inactive landing to its own fallback", async () => {
    const landing = await seedLanding({ active: false });
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("inactive_landing");
    expect(message.edge.ruleId).toBeNull();
  });

  it("sends a visitor without an email to the landing's fallback", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const { response, message } = await call(h, new Request(landingUrl(landing.ref), form({ name: "Ada" })));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge).toMatchObject({
      emailSha256: null,
      knowledge: "unknown",
      knowledgeSource: "no_email",
      ruleId: null,
      fallbackReason: "bad_input",
    });
    expect(message.request.fields).toEqual({ name: "Ada" });
  });

  it("sends a visitor with a garbage email to the landing's fallback", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref), form({ email: "not an email" })),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("bad_input");
    expect(message.edge.knowledgeSource).toBe("no_email");
    expect(message.request.fields.email).toBe("not an email");
  });

  it("sends malformed JSON to the landing's fallback, keeping the query fields", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const email = freshEmail();
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${email}`), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"email": "oops',
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.request).toMatchObject({
      body: '{"email": "oops',
      bodyBytes: 15,
      bodyTruncated: false,
      bodyError: "malformed_json",
      fields: { email },
    });
    // The email itself was fine: its knowledge is still looked up and recorded.
    expect(message.edge).toMatchObject({ fallbackReason: "bad_input", knowledgeSource: "kv" });
  });

  it("treats a JSON array body as malformed", async () => {
    const landing = await seedLanding();
    const h = await harness();
    const { message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[1,2]",
      }),
    );
    expect(message.request.bodyError).toBe("malformed_json");
    expect(message.edge.fallbackReason).toBe("bad_input");
  });

  it("refuses a body over 64 KiB without reading it into fields", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const email = freshEmail();
    const body = `email=${encodeURIComponent(freshEmail())}&blob=${"b".repeat(200 * 1024)}`;
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${email}`), {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": String(body.length),
        },
        body,
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.request.bodyError).toBe("too_large");
    expect(message.request.bodyTruncated).toBe(true);
    expect(message.request.bodyBytes).toBe(body.length);
    expect(message.request.body?.length).toBeLessThanOrEqual(64 * 1024);
    expect(message.request.body?.startsWith("email=")).toBe(true);
    expect(message.request.fields).toEqual({ email });
    expect(message.edge.fallbackReason).toBe("bad_input");
    expect(JSON.stringify(message).length).toBeLessThan(100_000);
  });

  it("refuses a streamed body over 64 KiB that declares no length", async () => {
    const landing = await seedLanding();
    const h = await harness();
    const chunk = new TextEncoder().encode("a".repeat(16 * 1024));
    let sentChunks = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sentChunks += 1;
        if (sentChunks > 64) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: stream,
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.request.bodyError).toBe("too_large");
    expect(message.request.bodyTruncated).toBe(true);
    expect(message.request.body).toBe("a".repeat(64 * 1024));
    // It stopped reading soon after the limit rather than buffering the whole megabyte.
    expect(sentChunks).toBeLessThan(10);
  });

  it("keeps a body of many long fields under the message size limit", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const fields: Record<string, string> = { email: freshEmail() };
    for (let i = 0; i < 30; i += 1) fields[`f${i}`] = "x".repeat(2048);
    const body = new URLSearchParams(fields).toString();
    expect(body.length).toBeLessThan(64 * 1024);
    const { response, message, raw } = await call(h, new Request(landingUrl(landing.ref), form(fields)));
    expect(response.headers.get("location")).toBe("https://offers.test/any");
    expect(message.request.bodyError).toBeNull();
    // Every field is kept whole; the raw body, which repeats them, is what gets cut.
    expect(message.request.fields).toEqual(fields);
    expect(message.request.truncatedFields).toEqual({});
    expect(message.request.bodyTruncated).toBe(true);
    expect(message.request.bodyBytes).toBe(body.length);
    expect(body.startsWith(message.request.body ?? "-")).toBe(true);
    const bytes = new TextEncoder().encode(JSON.stringify(raw)).byteLength;
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(bytes).toBeGreaterThan(99_000);
  });

  it("sends an unsupported content type to the landing's fallback", async () => {
    const landing = await seedLanding();
    const h = await harness();
    const { message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`), {
        method: "POST",
        body: "email=x@y.test",
      }),
    );
    expect(message.request.bodyError).toBe("unsupported_media_type");
    expect(message.request.body).toBe("email=x@y.test");
    expect(message.edge.fallbackReason).toBe("bad_input");
  });

  it("sends an invalid override to the landing's fallback and records it", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const theme = codec.encode("theme", freshId());
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}&b=bogus&t=${theme}&pr=${theme}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.overrides).toEqual({
      b: { raw: "bogus", valid: false },
      t: { raw: theme, valid: true },
      pr: { raw: theme, valid: false },
    });
    expect(message.landing.brandId).toBe(landing.doc.brandId);
    expect(message.landing.themeId).toBe(codec.decode("theme", theme));
    expect(message.landing.productId).toBe(landing.doc.productId);
    expect(message.edge.fallbackReason).toBe("bad_input");
  });

  it("applies valid overrides to the rule match", async () => {
    const landing = await seedLanding();
    const product = freshId();
    const partner = freshId();
    const rules = [
      rule({ targetUrl: "https://offers.test/landing-product", productId: landing.doc.productId }),
      rule({ targetUrl: "https://offers.test/other-product", productId: product, partnerId: partner }),
    ];
    const h = await harness({ rules });
    const query = `email=${freshEmail()}&pr=${codec.encode("product", product)}&p=${codec.encode("partner", partner)}`;
    const { response, message } = await call(h, new Request(landingUrl(landing.ref, query)));
    expect(response.headers.get("location")).toBe("https://offers.test/other-product");
    expect(message.landing).toEqual({
      id: landing.doc.id,
      brandId: landing.doc.brandId,
      themeId: landing.doc.themeId,
      partnerId: partner,
      productId: product,
    });
    expect(message.overrides.pr?.valid).toBe(true);
    expect(message.edge.ruleId).toBe(rules[1]?.id);
  });

  it("sends a visitor no rule matches to the landing's fallback", async () => {
    const landing = await seedLanding();
    const h = await harness({
      rules: [rule({ brandId: freshId(), targetUrl: "https://offers.test/other-brand" })],
    });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("no_match");
    expect(message.edge.ruleId).toBeNull();
  });

  it("treats a missing rules document as no rules", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: null });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("no_match");
    expect(h.configReads).toContain("rules");
    expect(h.configReads).toContain(`landing:${landing.doc.id}`);
  });

  it("sends a matched rule with an invalid target to the landing's fallback", async () => {
    const landing = await seedLanding();
    const bad = rule({ targetUrl: "https://{utm_source}/" });
    const h = await harness({ rules: [bad] });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("config_error");
    expect(message.edge.ruleId).toBe(bad.id);
  });

  it("sends every visitor of a landing to its fallback when the rules document is unreadable", async () => {
    const landing = await seedLanding();
    const h = await harness({ rawRules: JSON.stringify({ v: 1, rules: "nope" }) });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("config_error");
  });
});

/** What the edge records when it could not read an email's knowledge entry: routed as KV being down. */
const knowledgeUnread = (email: string) => ({
  emailSha256: sha256Hex(email),
  knowledge: "unknown",
  knowledgeSource: "kv_error",
  fallbackReason: "kv_error",
  ruleId: null,
});

describe("failures", () => {
  it("redirects to the global fallback when EDGE_CONFIG throws", async () => {
    const landing = await seedLanding();
    const h = await harness({ failConfig: "all" });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(message.edge.fallbackReason).toBe("kv_error");
    expect(message.landing.id).toBe(landing.doc.id);
  });

  it("redirects to the landing's fallback when only the rules cannot be read", async () => {
    const landing = await seedLanding();
    const h = await harness({ failConfig: "rules" });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge.fallbackReason).toBe("kv_error");
  });

  it("redirects to the landing's fallback when KNOWLEDGE throws", async () => {
    const landing = await seedLanding();
    const h = await harness({ failKnowledge: true, rules: [rule({ targetUrl: "https://offers.test/any" })] });
    const email = freshEmail();
    const { response, message } = await call(h, new Request(landingUrl(landing.ref, `email=${email}`)));
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge).toMatchObject(knowledgeUnread(email));
  });

  it("answers a visitor whose knowledge KV has not read within EDGE_KV_DEADLINE_MS as if KV were down", async () => {
    const landing = await seedLanding();
    const h = await harness({
      slowKnowledgeMs: 400,
      vars: { EDGE_KV_DEADLINE_MS: "40" },
      rules: [rule({ targetUrl: "https://offers.test/any" })],
    });
    const email = freshEmail();
    let sent: EdgeCall | undefined;
    const logged = await errorsDuring(async () => {
      sent = await call(h, new Request(landingUrl(landing.ref, `email=${email}`)));
    });
    if (!sent) throw new Error("no call");
    const { response, message } = sent;
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(landing.doc.fallbackUrl);
    expect(message.edge).toMatchObject(knowledgeUnread(email));
    // Answered at the deadline, not when KV finally answered (workerd's clock moves in whole milliseconds).
    expect(message.edge.durationMs).toBeGreaterThanOrEqual(39);
    expect(message.edge.durationMs).toBeLessThan(400);
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      {
        event: "edge.kv_error",
        document: "knowledge",
        captureId: message.captureId,
        error: "DeadlineExceeded",
      },
    ]);
  });

  it("sends a visitor to the global fallback when the landing is not read within the deadline", async () => {
    const landing = await seedLanding();
    const h = await harness({
      slowConfig: { documents: "landing", ms: 400 },
      vars: { EDGE_KV_DEADLINE_MS: "40" },
      rules: [rule({ targetUrl: "https://offers.test/any" })],
    });
    let sent: EdgeCall | undefined;
    const logged = await errorsDuring(async () => {
      sent = await call(h, new Request(landingUrl(landing.ref, `email=${freshEmail()}`)));
    });
    if (!sent) throw new Error("no call");
    const { response, message } = sent;
    expect(logged.map((line) => JSON.parse(line).document)).toEqual(["landing"]);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(message.edge.fallbackReason).toBe("kv_error");
    expect(message.edge.durationMs).toBeLessThan(400);
  });

  it("waits for a slow KV that answers within the deadline, and for any KV with a deadline of 0", async () => {
    const landing = await seedLanding();
    const brandId = landing.doc.brandId;
    const email = freshEmail();
    await seedKnowledge(email, [brandId]);
    const rules = [
      rule({ brandId, knowledge: "known_active_same_brand", targetUrl: "https://offers.test/again" }),
      rule({ targetUrl: "https://offers.test/any" }),
    ];
    for (const deadline of ["1000", "0"]) {
      const h = await harness({
        slowConfig: { documents: "rules", ms: 60 },
        slowKnowledgeMs: 60,
        vars: { EDGE_KV_DEADLINE_MS: deadline },
        rules,
      });
      const { response, message } = await call(h, new Request(landingUrl(landing.ref, `email=${email}`)));
      expect(response.headers.get("location"), deadline).toBe("https://offers.test/again");
      expect(message.edge).toMatchObject({
        knowledge: "known_active_same_brand",
        knowledgeSource: "kv",
        fallbackReason: null,
      });
      // The rules and the knowledge are read one after the other: both waits are in the answer.
      expect(message.edge.durationMs).toBeGreaterThanOrEqual(119);
    }
  });

  it("still redirects when the queue send fails, and logs it without personal data", async () => {
    const landing = await seedLanding();
    const h = await harness({ failSend: true, rules: [rule({ targetUrl: "https://offers.test/sent" })] });
    const email = freshEmail();
    let response: Response | undefined;
    const logged = await errorsDuring(async () => {
      const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
      const { handleEdgeRequest } = await import("../../workers/edge/router.ts");
      const ctx = createExecutionContext();
      response = await handleEdgeRequest(new Request(landingUrl(landing.ref, `email=${email}`)), h.env, ctx);
      await waitOnExecutionContext(ctx);
    });
    expect(response?.status).toBe(302);
    expect(response?.headers.get("location")).toBe("https://offers.test/sent");
    const captureId = response?.headers.get("x-capture-id");
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      { event: "capture.enqueue_failed", captureId, error: "Error" },
    ]);
    expect(logged.join("\n")).not.toContain(email);
    expect(logged.join("\n")).not.toContain(sha256Hex(email));
  });

  it("still redirects when the configuration is broken", async () => {
    const landing = await seedLanding();
    const h = await harness({ vars: { SQIDS_ALPHABET: "short" } });
    const { response, message } = await call(
      h,
      new Request(landingUrl(landing.ref, `email=${freshEmail()}`)),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(message.edge.fallbackReason).toBe("internal_error");
  });

  it("answers 503 when there is no usable fallback at all, and still records the capture", async () => {
    const h = await harness({ vars: { SQIDS_ALPHABET: "short", GLOBAL_FALLBACK_URL: "not a url" } });
    const { response, message } = await call(h, new Request(landingUrl("abc", `email=${freshEmail()}`)));
    expect(response.status).toBe(503);
    expect(response.headers.get("location")).toBeNull();
    expect(message.edge.response).toMatchObject({ status: 503, location: "" });
    expect(message.edge.fallbackReason).toBe("config_error");
  });
});

describe("methods and paths", () => {
  it("answers other methods with 405 and sends nothing", async () => {
    const landing = await seedLanding();
    const h = await harness();
    const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
    const { handleEdgeRequest } = await import("../../workers/edge/router.ts");
    for (const method of ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]) {
      const ctx = createExecutionContext();
      const response = await handleEdgeRequest(new Request(landingUrl(landing.ref), { method }), h.env, ctx);
      await waitOnExecutionContext(ctx);
      expect([method, response.status, response.headers.get("allow")]).toEqual([method, 405, "GET, POST"]);
    }
    const ctx = createExecutionContext();
    const response = await handleEdgeRequest(new Request("https://edge.leadrail.test/l/a/b"), h.env, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(404);
    expect(h.sent).toEqual([]);
  });

  it("sends the message as JSON", async () => {
    const landing = await seedLanding();
    const h = await harness();
    await call(h, new Request(landingUrl(landing.ref, `email=${freshEmail()}`)));
    expect(h.sent[0]?.options).toEqual({ contentType: "json" });
  });
});

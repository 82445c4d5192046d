import { describe, expect, it } from "vitest";
import {
  captureFieldErrors,
  captureGeo,
  captureHttpLogs,
  captureKnowledge,
  captureMarketing,
  captures,
} from "../../db/schema/capture.ts";
import { redirectRules } from "../../db/schema/catalog.ts";
import { contacts, emails } from "../../db/schema/identity.ts";
import { relayJobs } from "../../db/schema/relay.ts";
import { emailHashes } from "../../domain/contacts/email.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import {
  call,
  createTenant,
  expectProblem,
  ids,
  insertApiKey,
  numericIdFields,
  ok,
  rand,
  withDb,
} from "../support/api.ts";

describe("GET /api/v1/captures/:id", () => {
  it("returns exactly what the pipeline stored", async () => {
    const tenant = await createTenant();
    const address = `lead${rand()}@example.com`;
    const hashes = emailHashes(address);
    const captureId = uuidv7();
    const receivedAt = new Date("2026-11-20T10:00:00.123Z");
    const processedAt = new Date("2026-11-20T10:00:01.456Z");
    const { emailId, contactId, ruleId, jobId } = await withDb(async (db) => {
      const [email] = await db
        .insert(emails)
        .values({ address, domain: "example.com", ...hashes })
        .returning({ id: emails.id });
      if (!email) throw new Error("no email");
      const [contact] = await db
        .insert(contacts)
        .values({ emailId: email.id, firstCaptureId: captureId })
        .returning({ id: contacts.id });
      const [rule] = await db
        .insert(redirectRules)
        .values({ brandId: tenant.internal.brand, targetUrl: "https://acme.example/thanks", active: false })
        .returning({ id: redirectRules.id });
      if (!contact || !rule) throw new Error("no contact or rule");
      await db.insert(captures).values({
        id: captureId,
        receivedAt,
        processedAt,
        landingRef: tenant.landing.id,
        landingId: tenant.internal.landing,
        brandId: tenant.internal.brand,
        themeId: tenant.internal.theme,
        partnerId: tenant.internal.partner,
        productId: tenant.internal.product,
        emailId: email.id,
        contactId: contact.id,
        outcome: "new",
        isBot: false,
        fields: { email: address, first_name: "Jane", phone: "12" },
        ruleId: rule.id,
      });
      await db.insert(captureFieldErrors).values([
        { captureId, field: "phone", category: "too_short", message: "too short" },
        { captureId, field: "first_name", category: "suspicious", message: "looks generated" },
      ]);
      await db.insert(captureGeo).values({
        captureId,
        country: "KR",
        region: "Seoul",
        regionCode: "11",
        city: "Seoul",
        postalCode: "04524",
        continent: "AS",
        latitude: 37.5665,
        longitude: 126.978,
        timezone: "Asia/Seoul",
        asn: 4766,
        asOrganization: "Korea Telecom",
        colo: "ICN",
        botScore: 87,
        verifiedBot: false,
      });
      await db.insert(captureMarketing).values({
        captureId,
        utmSource: "newsletter",
        utmMedium: "email",
        utmCampaign: "summer",
        gclid: "G-1",
        clickId: "AFF-42",
        transactionId: "TX-7",
        sub1: "s1",
        referrer: "https://ref.example/",
        extra: { wbraid: "W-1" },
      });
      await db.insert(captureHttpLogs).values({
        captureId,
        method: "POST",
        url: `https://go.example/l/${tenant.landing.id}?aff_click=AFF-42`,
        requestHeaders: { "content-type": "application/x-www-form-urlencoded", "user-agent": "Mozilla/5.0" },
        requestBody: `email=${encodeURIComponent(address)}&first_name=Jane&phone=12`,
        requestBodyBytes: 51,
        requestBodyTruncated: false,
        userAgent: "Mozilla/5.0",
        ip: "203.0.113.9",
        responseStatus: 303,
        responseLocation: "https://acme.example/thanks",
        responseHeaders: { "x-capture-id": captureId },
        edgeDurationMs: 1.25,
        createdAt: processedAt,
      });
      await db.insert(captureKnowledge).values({
        captureId,
        edgeLevel: "unknown",
        edgeSource: "kv",
        edgeKnown: false,
        edgeKnownActive: false,
        edgeKnownActiveSameBrand: false,
        afterLevel: "known_active_same_brand",
        afterKnown: true,
        afterKnownActive: true,
        afterKnownActiveSameBrand: true,
      });
      const [job] = await db
        .insert(relayJobs)
        .values({
          kind: "postback",
          event: "lead_accepted",
          captureId,
          partnerId: tenant.internal.partner,
          payload: { url: "https://postback.example/?c=AFF-42" },
          nextAttemptAt: processedAt,
          createdAt: processedAt,
          updatedAt: processedAt,
        })
        .returning({ id: relayJobs.id });
      if (!job) throw new Error("no job");
      return { emailId: email.id, contactId: contact.id, ruleId: rule.id, jobId: job.id };
    });
    expect(emailId).toBeGreaterThan(0);

    const body = await ok("GET", `/api/v1/captures/${captureId}`);
    expect(body).toEqual({
      id: captureId,
      received_at: "2026-11-20T10:00:00.123Z",
      processed_at: "2026-11-20T10:00:01.456Z",
      landing_ref: tenant.landing.id,
      landing: tenant.landing.id,
      brand: tenant.brand.id,
      theme: tenant.theme.id,
      partner: tenant.partner.id,
      product: tenant.product.id,
      contact: ids.encode("contact", contactId),
      email: hashes,
      outcome: "new",
      is_bot: false,
      bot_reason: null,
      fields: { email: address, first_name: "Jane", phone: "12" },
      field_errors: [
        { field: "first_name", category: "suspicious", message: "looks generated" },
        { field: "phone", category: "too_short", message: "too short" },
      ],
      rule: ids.encode("rule", ruleId),
      fallback_reason: null,
      knowledge: {
        edge: {
          level: "unknown",
          source: "kv",
          known: false,
          known_active: false,
          known_active_same_brand: false,
        },
        after: {
          level: "known_active_same_brand",
          known: true,
          known_active: true,
          known_active_same_brand: true,
        },
      },
      geo: {
        country: "KR",
        region: "Seoul",
        region_code: "11",
        city: "Seoul",
        postal_code: "04524",
        continent: "AS",
        latitude: 37.5665,
        longitude: 126.978,
        timezone: "Asia/Seoul",
        asn: 4766,
        as_organization: "Korea Telecom",
        colo: "ICN",
        bot_score: 87,
        verified_bot: false,
      },
      marketing: {
        utm_source: "newsletter",
        utm_medium: "email",
        utm_campaign: "summer",
        utm_term: null,
        utm_content: null,
        gclid: "G-1",
        fbclid: null,
        ttclid: null,
        msclkid: null,
        click_id: "AFF-42",
        transaction_id: "TX-7",
        sub1: "s1",
        sub2: null,
        sub3: null,
        sub4: null,
        sub5: null,
        referrer: "https://ref.example/",
        extra: { wbraid: "W-1" },
      },
      http: {
        request: {
          method: "POST",
          url: `https://go.example/l/${tenant.landing.id}?aff_click=AFF-42`,
          headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "Mozilla/5.0" },
          body: `email=${encodeURIComponent(address)}&first_name=Jane&phone=12`,
          body_bytes: 51,
          body_truncated: false,
          user_agent: "Mozilla/5.0",
          ip: "203.0.113.9",
        },
        response: {
          status: 303,
          location: "https://acme.example/thanks",
          headers: { "x-capture-id": captureId },
        },
        edge_duration_ms: 1.25,
        logged_at: "2026-11-20T10:00:01.456Z",
        cleared_at: null,
      },
      relay_jobs: [
        {
          id: ids.encode("relayJob", jobId),
          kind: "postback",
          event: "lead_accepted",
          partner: tenant.partner.id,
          relay_target: null,
          status: "pending",
          attempts: 0,
          next_attempt_at: "2026-11-20T10:00:01.456Z",
          last_error: null,
          created_at: "2026-11-20T10:00:01.456Z",
          updated_at: "2026-11-20T10:00:01.456Z",
        },
      ],
      conversions: [],
      conversions_next_cursor: null,
    });
    expect(numericIdFields(body)).toEqual([]);
    // Upper-case spelling of the same UUID finds it too.
    expect((await ok("GET", `/api/v1/captures/${captureId.toUpperCase()}`)).id).toBe(captureId);
  });

  it("returns an invalid capture of an unknown landing with nulls where nothing was stored", async () => {
    const captureId = uuidv7();
    await withDb((db) =>
      db.insert(captures).values({
        id: captureId,
        receivedAt: new Date("2026-11-21T00:00:00.000Z"),
        processedAt: new Date("2026-11-21T00:00:00.500Z"),
        landingRef: "no-such-landing",
        outcome: "invalid",
        fields: {},
        fallbackReason: "unknown_landing",
      }),
    );
    const body = await ok("GET", `/api/v1/captures/${captureId}`);
    expect(body).toMatchObject({
      id: captureId,
      landing_ref: "no-such-landing",
      landing: null,
      brand: null,
      contact: null,
      email: null,
      outcome: "invalid",
      fallback_reason: "unknown_landing",
      field_errors: [],
      knowledge: null,
      geo: null,
      marketing: null,
      http: null,
      relay_jobs: [],
      conversions: [],
      conversions_next_cursor: null,
    });

    // A capture without a brand is visible only to a key for every brand.
    const tenant = await createTenant();
    const scoped = await insertApiKey({ brandIds: [tenant.internal.brand] });
    expectProblem(await call("GET", `/api/v1/captures/${captureId}`, { key: scoped.key }), 403);
  });

  it("is 404 for an unknown capture and 403 for another brand's", async () => {
    expectProblem(await call("GET", `/api/v1/captures/${uuidv7()}`), 404);
    const mine = await createTenant();
    const theirs = await createTenant();
    const captureId = uuidv7();
    await withDb((db) =>
      db.insert(captures).values({
        id: captureId,
        receivedAt: new Date(),
        landingRef: theirs.landing.id,
        landingId: theirs.internal.landing,
        brandId: theirs.internal.brand,
        outcome: "bot",
        isBot: true,
        botReason: "user_agent",
      }),
    );
    const scoped = await insertApiKey({ brandIds: [mine.internal.brand] });
    expectProblem(await call("GET", `/api/v1/captures/${captureId}`, { key: scoped.key }), 403);
    const allowed = await insertApiKey({ brandIds: [theirs.internal.brand] });
    expect(await ok("GET", `/api/v1/captures/${captureId}`, { key: allowed.key })).toMatchObject({
      outcome: "bot",
      is_bot: true,
      bot_reason: "user_agent",
    });
  });
});

import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contactBrands, contactEvents, contacts, emails } from "../../db/schema/identity.ts";
import { emailHashes } from "../../domain/contacts/email.ts";
import type { KnowledgeEntry } from "../../domain/contacts/knowledge.ts";
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
  type Tenant,
  withDb,
} from "../support/api.ts";

interface Person {
  contactId: number;
  emailId: number;
  /** Normalised address. */
  address: string;
  /** The same mailbox as a visitor might type it. */
  spelling: string;
  hashes: { sha256: string; md5: string };
  firstCaptureId: string;
}

/**
 * A Gmail contact with an active relationship to `active` brands (2 captures, 1 duplicate each)
 * and an unsubscribed one to `unsubscribed` brands, plus their events.
 */
async function insertPerson(active: Tenant[], unsubscribed: Tenant[] = []): Promise<Person> {
  const local = `jane.doe.${rand()}`;
  const address = `${local.replaceAll(".", "")}@gmail.com`;
  const spelling = `  ${local.toUpperCase()}+promo@GoogleMail.com `;
  const hashes = emailHashes(address);
  const firstCaptureId = uuidv7();
  return withDb(async (db) => {
    const [email] = await db
      .insert(emails)
      .values({ address, domain: "gmail.com", ...hashes })
      .returning();
    if (!email) throw new Error("no email");
    const [contact] = await db
      .insert(contacts)
      .values({ emailId: email.id, firstCaptureId, createdAt: new Date("2026-11-01T08:00:00.000Z") })
      .returning();
    if (!contact) throw new Error("no contact");
    for (const tenant of active) {
      await db.insert(contactBrands).values({
        contactId: contact.id,
        brandId: tenant.internal.brand,
        state: "active",
        firstCaptureId,
        lastCaptureId: firstCaptureId,
        captureCount: 2,
        duplicateCount: 1,
        createdAt: new Date("2026-11-01T08:00:00.000Z"),
        updatedAt: new Date("2026-11-02T08:00:00.000Z"),
      });
      await db.insert(contactEvents).values([
        {
          contactId: contact.id,
          brandId: tenant.internal.brand,
          type: "captured",
          captureId: firstCaptureId,
          source: "capture",
          // What the capture consumer records: internal ids, which the API must not show.
          detail: { outcome: "new", landingId: tenant.internal.landing, partnerId: tenant.internal.partner },
          occurredAt: new Date("2026-11-01T08:00:00.000Z"),
        },
        {
          contactId: contact.id,
          brandId: tenant.internal.brand,
          type: "duplicate",
          captureId: firstCaptureId,
          source: "capture",
          occurredAt: new Date("2026-11-02T08:00:00.000Z"),
        },
      ]);
    }
    for (const tenant of unsubscribed) {
      await db.insert(contactBrands).values({
        contactId: contact.id,
        brandId: tenant.internal.brand,
        state: "unsubscribed",
        captureCount: 1,
        unsubscribedAt: new Date("2026-11-03T08:00:00.000Z"),
        unsubscribeSource: "email_event",
        deletedAt: new Date("2026-11-03T08:00:00.000Z"),
      });
      await db.insert(contactEvents).values({
        contactId: contact.id,
        brandId: tenant.internal.brand,
        type: "unsubscribed",
        source: "email_event",
        occurredAt: new Date("2026-11-03T08:00:00.000Z"),
      });
    }
    return { contactId: contact.id, emailId: email.id, address, spelling, hashes, firstCaptureId };
  });
}

const lookup = (email: string, key?: string) =>
  call("GET", `/api/v1/contacts?email=${encodeURIComponent(email)}`, key === undefined ? {} : { key });

describe("GET /api/v1/contacts?email=", () => {
  it("finds a contact by any spelling of its address, with relationships and history", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const person = await insertPerson([a], [b]);
    const response = await lookup(person.spelling);
    expect(response.status).toBe(200);
    const [first, second] = [a, b].sort((x, y) => x.internal.brand - y.internal.brand);
    expect(first && second).toBeTruthy();
    const relationship = (tenant: Tenant) =>
      tenant === a
        ? {
            contact: ids.encode("contact", person.contactId),
            brand: a.brand.id,
            state: "active",
            capture_count: 2,
            duplicate_count: 1,
            first_capture_id: person.firstCaptureId,
            last_capture_id: person.firstCaptureId,
            unsubscribed_at: null,
            unsubscribe_source: null,
            restored_at: null,
            restore_count: 0,
            deleted_at: null,
            created_at: "2026-11-01T08:00:00.000Z",
            updated_at: "2026-11-02T08:00:00.000Z",
          }
        : {
            contact: ids.encode("contact", person.contactId),
            brand: b.brand.id,
            state: "unsubscribed",
            capture_count: 1,
            duplicate_count: 0,
            first_capture_id: null,
            last_capture_id: null,
            unsubscribed_at: "2026-11-03T08:00:00.000Z",
            unsubscribe_source: "email_event",
            restored_at: null,
            restore_count: 0,
            deleted_at: "2026-11-03T08:00:00.000Z",
            created_at: expect.any(String),
            updated_at: expect.any(String),
          };
    expect(response.body).toEqual({
      id: ids.encode("contact", person.contactId),
      email: { address: person.address, domain: "gmail.com", ...person.hashes, hard_bounced_at: null },
      first_capture_id: person.firstCaptureId,
      created_at: "2026-11-01T08:00:00.000Z",
      updated_at: expect.any(String),
      brands: [relationship(first as Tenant), relationship(second as Tenant)],
      events: [
        {
          type: "unsubscribed",
          brand: b.brand.id,
          capture_id: null,
          source: "email_event",
          detail: {},
          occurred_at: "2026-11-03T08:00:00.000Z",
        },
        {
          type: "duplicate",
          brand: a.brand.id,
          capture_id: person.firstCaptureId,
          source: "capture",
          detail: {},
          occurred_at: "2026-11-02T08:00:00.000Z",
        },
        {
          type: "captured",
          brand: a.brand.id,
          capture_id: person.firstCaptureId,
          source: "capture",
          detail: { outcome: "new", landing: a.landing.id, partner: a.partner.id },
          occurred_at: "2026-11-01T08:00:00.000Z",
        },
      ],
    });
    expect(numericIdFields(response.body)).toEqual([]);
    // The plain normalised spelling finds the same contact.
    expect((await ok("GET", `/api/v1/contacts?email=${person.address}`)).id).toBe(
      ids.encode("contact", person.contactId),
    );
  });

  it("shows a brand-scoped key only its brands, and nothing when it has none", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const c = await createTenant();
    const person = await insertPerson([a, b]);
    const scoped = await insertApiKey({ brandIds: [a.internal.brand] });
    const body = (await lookup(person.spelling, scoped.key)).body;
    expect(body.brands.map((relationship: { brand: string }) => relationship.brand)).toEqual([a.brand.id]);
    expect(new Set(body.events.map((event: { brand: string }) => event.brand))).toEqual(
      new Set([a.brand.id]),
    );
    const outsider = await insertApiKey({ brandIds: [c.internal.brand] });
    expectProblem(await lookup(person.spelling, outsider.key), 404);
  });

  it("is 404 for an unknown address and 422 for a malformed or missing one", async () => {
    expectProblem(await lookup(`nobody-${rand()}@example.com`), 404);
    expectProblem(await lookup("not an email"), 422, [{ field: "email", category: "malformed" }]);
    expectProblem(await lookup(`${"a".repeat(250)}@example.com`), 422, [
      { field: "email", category: "too_long" },
    ]);
    expectProblem(await lookup("   "), 422, [{ field: "email", category: "missing" }]);
    expectProblem(await call("GET", "/api/v1/contacts"), 422, [{ field: "email", category: "missing" }]);
  });
});

describe("POST /api/v1/contacts/:id/unsubscribe", () => {
  it("soft-deletes the relationship, records the event, updates the knowledge index; a repeat changes nothing", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const person = await insertPerson([a, b]);
    const contact = ids.encode("contact", person.contactId);
    const kvKey = `k:${person.hashes.sha256}`;
    await env.KNOWLEDGE.delete(kvKey);

    const before = Date.now();
    const first = await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, {
      body: { brand: a.brand.id, reason: "asked by phone" },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      contact,
      brand: a.brand.id,
      state: "unsubscribed",
      capture_count: 2,
      duplicate_count: 1,
      first_capture_id: person.firstCaptureId,
      last_capture_id: person.firstCaptureId,
      unsubscribed_at: expect.any(String),
      unsubscribe_source: "api",
      restored_at: null,
      restore_count: 0,
      deleted_at: first.body.unsubscribed_at,
      created_at: "2026-11-01T08:00:00.000Z",
      updated_at: expect.any(String),
    });
    expect(Date.parse(first.body.unsubscribed_at)).toBeGreaterThanOrEqual(before - 1000);

    const rows = () =>
      withDb(async (db) => ({
        relationship: await db
          .select()
          .from(contactBrands)
          .where(
            and(eq(contactBrands.contactId, person.contactId), eq(contactBrands.brandId, a.internal.brand)),
          ),
        events: await db
          .select({ type: contactEvents.type, source: contactEvents.source, detail: contactEvents.detail })
          .from(contactEvents)
          .where(
            and(
              eq(contactEvents.contactId, person.contactId),
              eq(contactEvents.brandId, a.internal.brand),
              eq(contactEvents.type, "unsubscribed"),
            ),
          ),
        other: await db
          .select({ state: contactBrands.state, deletedAt: contactBrands.deletedAt })
          .from(contactBrands)
          .where(
            and(eq(contactBrands.contactId, person.contactId), eq(contactBrands.brandId, b.internal.brand)),
          ),
      }));
    const after = await rows();
    expect(after.relationship).toMatchObject([
      { state: "unsubscribed", unsubscribeSource: "api", deletedAt: new Date(first.body.deleted_at) },
    ]);
    expect(after.events).toEqual([
      { type: "unsubscribed", source: "api", detail: { reason: "asked by phone" } },
    ]);
    expect(after.other).toEqual([{ state: "active", deletedAt: null }]);

    const entry = await env.KNOWLEDGE.get<KnowledgeEntry>(kvKey, "json");
    expect(entry).toEqual({ v: 1, activeBrands: [b.internal.brand], at: expect.any(String) });

    const second = await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, {
      body: { brand: a.brand.id, reason: "again" },
    });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await rows()).toEqual(after);

    // The other brand too: the knowledge index then lists no active brand.
    await ok("POST", `/api/v1/contacts/${contact}/unsubscribe`, { body: { brand: b.brand.id } });
    expect(await env.KNOWLEDGE.get<KnowledgeEntry>(kvKey, "json")).toEqual({
      v: 1,
      activeBrands: [],
      at: expect.any(String),
    });
    // History is kept: the lookup still shows both relationships, unsubscribed.
    const found = await ok("GET", `/api/v1/contacts?email=${encodeURIComponent(person.spelling)}`);
    expect(found.brands.map((relationship: { state: string }) => relationship.state)).toEqual([
      "unsubscribed",
      "unsubscribed",
    ]);
  });

  it("refuses unknown contacts, missing relationships, bad brands and other brands", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const person = await insertPerson([a]);
    const contact = ids.encode("contact", person.contactId);
    expectProblem(
      await call("POST", `/api/v1/contacts/${ids.encode("contact", 2 ** 40)}/unsubscribe`, {
        body: { brand: a.brand.id },
      }),
      404,
    );
    expectProblem(
      await call("POST", "/api/v1/contacts/garbage/unsubscribe", { body: { brand: a.brand.id } }),
      404,
    );
    const none = expectProblem(
      await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, { body: { brand: b.brand.id } }),
      404,
    );
    expect(none.detail).toBe("This contact has no relationship with that brand.");
    expectProblem(
      await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, { body: { brand: "zz" } }),
      422,
      [{ field: "brand", category: "malformed" }],
    );
    expectProblem(
      await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, {
        body: { brand: ids.encode("brand", 2 ** 40) },
      }),
      422,
      [{ field: "brand", category: "not_found" }],
    );
    expectProblem(
      await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, { body: { reason: "" } }),
      422,
      [
        { field: "brand", category: "missing" },
        { field: "reason", category: "too_short" },
      ],
    );
    const scoped = await insertApiKey({ brandIds: [b.internal.brand] });
    expectProblem(
      await call("POST", `/api/v1/contacts/${contact}/unsubscribe`, {
        key: scoped.key,
        body: { brand: a.brand.id },
      }),
      403,
    );
    const [relationship] = await withDb((db) =>
      db
        .select({ state: contactBrands.state })
        .from(contactBrands)
        .where(eq(contactBrands.contactId, person.contactId)),
    );
    expect(relationship).toEqual({ state: "active" });
  });
});

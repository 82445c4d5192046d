import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { unsubscribeRelationships } from "../../domain/contacts/contacts.ts";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { type KnowledgeEntry, knowledgeKey } from "../../domain/contacts/knowledge.ts";
import { applyStoredEvents } from "../../queues/events/commerce.ts";
import joinedText from "../fixtures/commerce/member-joined.json?raw";
import updatedText from "../fixtures/commerce/member-updated.json?raw";
import withdrawnText from "../fixtures/commerce/member-withdrawn.json?raw";
import { ids, rand, withDb } from "../support/api.ts";
import { applyCommerce, type CommerceShop, commerceShop, sendCommerce } from "../support/commerce.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";

type Json = Record<string, unknown>;
const fixture = (text: string, overrides: Json = {}, data: Json = {}): Json => {
  const event = JSON.parse(text) as Json;
  return { ...event, ...overrides, data: { ...(event.data as Json), ...data } };
};
const iso = (value: unknown): string | null =>
  value === null ? null : new Date(value instanceof Date ? value : String(value)).toISOString();

type Row<K extends string> = Record<K, unknown> & Json;

/** The store's member with its contact's email hash, name and phone. */
async function member(store: CommerceShop, memberId = "minji88") {
  const result = await withDb((db) =>
    db.execute<Row<"state" | "email_sha256" | "phone" | "joined_at" | "updated_at" | "withdrawn_at">>(sql`
      SELECT m.state::text AS state, e.sha256 AS email_sha256, p.first_name, p.last_name, p.phone,
             m.member_group, m.joined_at, m.updated_at, m.withdrawn_at
        FROM members m
        LEFT JOIN contacts c ON c.id = m.contact_id LEFT JOIN emails e ON e.id = c.email_id
        LEFT JOIN personal_info p ON p.id = m.personal_info_id
       WHERE m.store_id = ${store.storeId} AND m.external_id = ${memberId}`),
  );
  return result.rows.map((r) => ({
    ...r,
    joined_at: iso(r.joined_at),
    updated_at: iso(r.updated_at),
    withdrawn_at: iso(r.withdrawn_at),
  }));
}

/** The member's history, oldest first. */
async function history(store: CommerceShop, memberId = "minji88") {
  const result = await withDb((db) =>
    db.execute<Row<"kind" | "occurred_at" | "changed" | "platform_event_id">>(sql`
      SELECT h.kind::text AS kind, h.occurred_at, h.changed, e.sha256 AS email_sha256, ce.platform_event_id
        FROM member_history h JOIN members m ON m.id = h.member_id
        JOIN commerce_events ce ON ce.id = h.event_id
        LEFT JOIN contacts c ON c.id = h.contact_id LEFT JOIN emails e ON e.id = c.email_id
       WHERE m.store_id = ${store.storeId} AND m.external_id = ${memberId}
       ORDER BY h.occurred_at, h.id`),
  );
  return result.rows.map((r) => ({ ...r, occurred_at: iso(r.occurred_at) }));
}

/** The brand relationship of the contact of `email`, and the contact's brand events. */
async function relationship(store: CommerceShop, email: string) {
  const result = await withDb((db) =>
    db.execute<
      Row<
        | "state"
        | "capture_count"
        | "unsubscribed_at"
        | "unsubscribe_source"
        | "deleted_at"
        | "restored_at"
        | "restore_count"
        | "events"
      >
    >(sql`
      SELECT cb.state::text AS state, cb.capture_count, cb.first_capture_id, cb.unsubscribed_at,
             cb.unsubscribe_source, cb.deleted_at, cb.restored_at, cb.restore_count,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('type', ev.type, 'source', ev.source,
                 'detail', ev.detail) ORDER BY ev.occurred_at, ev.id), '[]'::jsonb)
                FROM contact_events ev WHERE ev.contact_id = c.id AND ev.brand_id = cb.brand_id) AS events
        FROM emails e JOIN contacts c ON c.email_id = e.id
        JOIN contact_brands cb ON cb.contact_id = c.id AND cb.brand_id = ${store.brand.internal}
       WHERE e.sha256 = ${sha256Hex(email)}`),
  );
  return result.rows.map((r) => ({
    ...r,
    unsubscribed_at: iso(r.unsubscribed_at),
    deleted_at: iso(r.deleted_at),
    restored_at: iso(r.restored_at),
  }));
}

async function statuses(store: CommerceShop) {
  const result = await withDb((db) =>
    db.execute<{ platform_event_id: string; status: string; error: string | null }>(sql`
      SELECT platform_event_id, status::text AS status, error FROM commerce_events
       WHERE store_id = ${store.storeId} ORDER BY id`),
  );
  return result.rows.map((r) => `${r.platform_event_id}:${r.status}${r.error ? `:${r.error}` : ""}`);
}

const knowledgeOf = (email: string) =>
  env.KNOWLEDGE.get<KnowledgeEntry>(knowledgeKey(sha256Hex(email)), "json");

const joined = (email: string, at = "2026-12-04T00:58:21Z", id = "join-1", data: Json = {}) =>
  fixture(joinedText, { id, occurred_at: at }, { email, ...data });
const updated = (at: string, id: string, data: Json = {}) =>
  fixture(updatedText, { id, occurred_at: at }, data);
const withdrawn = (at = "2026-12-09T11:00:00Z", id = "withdraw-1", data: Json = {}) =>
  fixture(withdrawnText, { id, occurred_at: at }, data);

describe("member events", () => {
  it("member.joined: the member, its contact by email hash, an active relationship counting no capture, and history", async () => {
    const store = await commerceShop("cafe24");
    const email = `Minji.${rand()}@Example.com`;
    const counts = await applyCommerce(store, [joined(email)]);
    expect(counts).toMatchObject({ stored: 1, applied: 1, knowledgeRefreshed: 1 });
    expect(await member(store)).toEqual([
      {
        state: "active",
        email_sha256: sha256Hex(email.toLowerCase()),
        first_name: "민지",
        last_name: "김",
        phone: "01012345678",
        member_group: "1",
        joined_at: "2026-12-04T00:58:21.000Z",
        updated_at: "2026-12-04T00:58:21.000Z",
        withdrawn_at: null,
      },
    ]);
    expect(await history(store)).toEqual([
      {
        kind: "joined",
        occurred_at: "2026-12-04T00:58:21.000Z",
        changed: ["email", "first_name", "last_name", "phone", "group"],
        email_sha256: sha256Hex(email.toLowerCase()),
        platform_event_id: "join-1",
      },
    ]);
    expect(await relationship(store, email.toLowerCase())).toEqual([
      {
        state: "active",
        capture_count: 0,
        first_capture_id: null,
        unsubscribed_at: null,
        unsubscribe_source: null,
        deleted_at: null,
        restored_at: null,
        restore_count: 0,
        events: [],
      },
    ]);
    // The edge now knows the email as the brand's.
    expect((await knowledgeOf(email.toLowerCase()))?.activeBrands).toEqual([store.brand.internal]);
    // What is stored of the event keeps no personal data.
    const payload = await withDb((db) =>
      db.execute<{ payload: Json }>(
        sql`SELECT payload FROM commerce_events WHERE store_id = ${store.storeId}`,
      ),
    );
    expect(payload.rows[0]?.payload).toEqual({
      member_id: "minji88",
      group: "1",
      email_sha256: sha256Hex(email.toLowerCase()),
    });
  });

  it("the same event twice (in one batch, and redelivered) is one member, one history row, one relationship", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    const messages = await sendCommerce(store, [joined(email), joined(email)]);
    await consumeEventsBatch(messages);
    const again = await applyCommerce(store, [joined(email)]);
    expect(again).toMatchObject({ stored: 0, duplicates: 1, applied: 0 });
    expect((await member(store)).length).toBe(1);
    expect((await history(store)).map((h) => h.platform_event_id)).toEqual(["join-1"]);
    expect((await relationship(store, email)).map((r) => [r.state, r.capture_count])).toEqual([
      ["active", 0],
    ]);
    expect(await statuses(store)).toEqual(["join-1:applied"]);
  });

  it("member.updated records history and moves the member to the new email's contact; the old relationship stays", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    const work = `minji.work.${rand()}@example.com`;
    await applyCommerce(store, [joined(email)]);
    await applyCommerce(store, [updated("2026-12-06T03:10:00Z", "update-1", { email: work })]);
    expect(await member(store)).toEqual([
      {
        state: "active",
        email_sha256: sha256Hex(work),
        first_name: "민지",
        last_name: "김",
        phone: "01098765432",
        member_group: "1",
        joined_at: "2026-12-04T00:58:21.000Z",
        updated_at: "2026-12-06T03:10:00.000Z",
        withdrawn_at: null,
      },
    ]);
    expect(await history(store)).toEqual([
      {
        kind: "joined",
        occurred_at: "2026-12-04T00:58:21.000Z",
        changed: ["email", "first_name", "last_name", "phone", "group"],
        email_sha256: sha256Hex(email),
        platform_event_id: "join-1",
      },
      {
        kind: "updated",
        occurred_at: "2026-12-06T03:10:00.000Z",
        changed: ["email", "cellphone"],
        email_sha256: sha256Hex(work),
        platform_event_id: "update-1",
      },
    ]);
    expect((await relationship(store, email)).map((r) => r.state)).toEqual(["active"]);
    expect((await relationship(store, work)).map((r) => [r.state, r.capture_count])).toEqual([["active", 0]]);
    // An update without an email keeps the contact; an older one delivered late changes no current field.
    await applyCommerce(store, [
      updated("2026-12-07T00:00:00Z", "update-2", {
        email: undefined,
        first_name: undefined,
        last_name: undefined,
        phone: undefined,
        changed: ["nick_name"],
      }),
      updated("2026-12-05T00:00:00Z", "update-0", { email, phone: "010-0000-0000", changed: ["email"] }),
    ]);
    expect((await member(store)).map((m) => [m.email_sha256, m.phone, m.updated_at])).toEqual([
      [sha256Hex(work), "01098765432", "2026-12-07T00:00:00.000Z"],
    ]);
    expect((await history(store)).map((h) => `${h.platform_event_id}:${h.changed}`)).toEqual([
      "join-1:email,first_name,last_name,phone,group",
      "update-0:email",
      "update-1:email,cellphone",
      "update-2:nick_name",
    ]);
  });

  it("member.withdrawn is a soft delete: the member withdrawn with its history, the relationship unsubscribed", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    await applyCommerce(store, [joined(email)]);
    const counts = await applyCommerce(store, [withdrawn()]);
    expect(counts).toMatchObject({ applied: 1, knowledgeRefreshed: 1 });
    expect((await member(store)).map((m) => [m.state, m.email_sha256, m.joined_at, m.withdrawn_at])).toEqual([
      ["withdrawn", sha256Hex(email), "2026-12-04T00:58:21.000Z", "2026-12-09T11:00:00.000Z"],
    ]);
    expect((await history(store)).map((h) => `${h.kind}:${h.occurred_at}`)).toEqual([
      "joined:2026-12-04T00:58:21.000Z",
      "withdrawn:2026-12-09T11:00:00.000Z",
    ]);
    expect(await relationship(store, email)).toEqual([
      {
        state: "unsubscribed",
        capture_count: 0,
        first_capture_id: null,
        unsubscribed_at: "2026-12-09T11:00:00.000Z",
        unsubscribe_source: "cafe24:member_withdrawn",
        deleted_at: "2026-12-09T11:00:00.000Z",
        restored_at: null,
        restore_count: 0,
        events: [
          { type: "unsubscribed", source: "cafe24:member_withdrawn", detail: { reason: "member.withdrawn" } },
        ],
      },
    ]);
    expect((await knowledgeOf(email))?.activeBrands).toEqual([]);
    // Redelivered, or withdrawn again later: nothing more changes in the relationship.
    await applyCommerce(store, [withdrawn(), withdrawn("2026-12-10T00:00:00Z", "withdraw-2")]);
    expect((await member(store)).map((m) => m.withdrawn_at)).toEqual(["2026-12-10T00:00:00.000Z"]);
    expect(
      (await relationship(store, email)).map((r) => [r.unsubscribed_at, (r.events as Json[]).length]),
    ).toEqual([["2026-12-09T11:00:00.000Z", 1]]);
  });

  it("a withdrawal older than the member's join is history only", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    await applyCommerce(store, [joined(email)]);
    await applyCommerce(store, [withdrawn("2026-12-01T00:00:00Z", "withdraw-stale")]);
    expect((await member(store)).map((m) => [m.state, m.withdrawn_at, m.updated_at])).toEqual([
      ["active", null, "2026-12-04T00:58:21.000Z"],
    ]);
    expect((await history(store)).map((h) => h.kind)).toEqual(["withdrawn", "joined"]);
    expect((await relationship(store, email)).map((r) => r.state)).toEqual(["active"]);
    expect(await statuses(store)).toEqual(["join-1:applied", "withdraw-stale:applied"]);
  });

  it("out of order: a withdrawal and an update before the join keep a member row from the member id, and end as in order", async () => {
    const inOrder = await commerceShop("cafe24");
    const late = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    const events = [
      joined(email),
      updated("2026-12-06T03:10:00Z", "update-1", { email: undefined }),
      withdrawn(),
    ];
    for (const event of events) await applyCommerce(inOrder, [event]);
    await applyCommerce(late, [events[2]]);
    // Nothing is known of the member but its id: no contact, not joined, withdrawn.
    expect(await member(late)).toEqual([
      {
        state: "withdrawn",
        email_sha256: null,
        first_name: null,
        last_name: null,
        phone: null,
        member_group: null,
        joined_at: null,
        updated_at: "2026-12-09T11:00:00.000Z",
        withdrawn_at: "2026-12-09T11:00:00.000Z",
      },
    ]);
    await applyCommerce(late, [events[1]]);
    await applyCommerce(late, [events[0]]);
    expect(await statuses(late)).toEqual(["withdraw-1:applied", "update-1:applied", "join-1:applied"]);
    expect(await member(late)).toEqual(await member(inOrder));
    expect(await member(late)).toEqual([
      {
        state: "withdrawn",
        email_sha256: sha256Hex(email),
        first_name: "민지",
        last_name: "김",
        phone: "01098765432",
        member_group: "1",
        joined_at: "2026-12-04T00:58:21.000Z",
        updated_at: "2026-12-09T11:00:00.000Z",
        withdrawn_at: "2026-12-09T11:00:00.000Z",
      },
    ]);
    expect(await history(late)).toEqual(await history(inOrder));
    // The join created the relationship, and the withdrawal it came after soft-deleted it.
    const [relation] = await relationship(late, email);
    expect([relation?.state, relation?.unsubscribed_at, relation?.unsubscribe_source]).toEqual([
      "unsubscribed",
      "2026-12-09T11:00:00.000Z",
      "cafe24:member_withdrawn",
    ]);
  });

  it("joining again restores what the withdrawal ended, never an unsubscribe of the person's own", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    await applyCommerce(store, [joined(email), withdrawn()]);
    await applyCommerce(store, [joined(email, "2026-12-20T00:00:00Z", "join-2", { member_id: "minji88_2" })]);
    expect((await relationship(store, email)).map((r) => [r.state, r.restore_count, r.restored_at])).toEqual([
      ["restored", 1, "2026-12-20T00:00:00.000Z"],
    ]);
    expect((await member(store, "minji88_2")).map((m) => m.state)).toEqual(["active"]);
    expect((await knowledgeOf(email))?.activeBrands).toEqual([store.brand.internal]);

    const other = await commerceShop("cafe24");
    const selfUnsubscribed = `jisoo.${rand()}@example.com`;
    await applyCommerce(other, [
      joined(selfUnsubscribed, "2026-12-04T00:58:21Z", "join-1", { member_id: "jisoo_p" }),
    ]);
    const contact = await withDb((db) =>
      db.execute<{ id: number }>(sql`
        SELECT c.id FROM contacts c JOIN emails e ON e.id = c.email_id WHERE e.sha256 = ${sha256Hex(selfUnsubscribed)}`),
    );
    await withDb((db) =>
      unsubscribeRelationships(db, "api", [
        {
          contactId: Number(contact.rows[0]?.id),
          brandId: other.brand.internal,
          at: new Date("2026-12-05T00:00:00Z"),
        },
      ]),
    );
    await applyCommerce(other, [
      joined(selfUnsubscribed, "2026-12-20T00:00:00Z", "join-2", { member_id: "jisoo_2" }),
    ]);
    expect((await relationship(other, selfUnsubscribed)).map((r) => [r.state, r.unsubscribe_source])).toEqual(
      [["unsubscribed", "api"]],
    );
  });

  it("an email that does not normalise fails the event, naming it; nothing is written for it", async () => {
    const store = await commerceShop("cafe24");
    const counts = await applyCommerce(store, [
      joined("not-an-address"),
      withdrawn("2026-12-09T11:00:00Z", "w-2", { member_id: "other" }),
    ]);
    expect(counts).toMatchObject({ applied: 1, failed: 1 });
    expect(await statuses(store)).toEqual([
      "join-1:failed:email: not a usable address (malformed).",
      "w-2:applied",
    ]);
    expect(await member(store)).toEqual([]);
    expect((await member(store, "other")).map((m) => m.state)).toEqual(["withdrawn"]);
  });

  it("events stored before there was an applier are applied from their stored payload, the email by its hash", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    await applyCommerce(store, [joined(email)]);
    await withDb((db) =>
      db.execute(sql`
        INSERT INTO commerce_events (store_id, brand_id, platform, platform_event_id, type, occurred_at, payload,
                                     status, error)
        VALUES (${store.storeId}, ${store.brand.internal}, 'cafe24', 'legacy-1', 'member.joined',
                '2026-11-01T00:00:00Z', ${JSON.stringify({ member_id: "minji_old", email_sha256: sha256Hex(email) })}::jsonb,
                'unapplied', 'No applier for this type yet.'),
               (${store.storeId}, ${store.brand.internal}, 'cafe24', 'legacy-2', 'member.joined',
                '2026-11-02T00:00:00Z', ${JSON.stringify({ member_id: "stranger", email_sha256: sha256Hex(`x.${rand()}@example.com`) })}::jsonb,
                'unapplied', 'No applier for this type yet.')`),
    );
    const rerun = await withDb((db) =>
      db.transaction((tx) => applyStoredEvents(tx, ids, { storeId: store.storeId, statuses: ["unapplied"] })),
    );
    expect(rerun).toMatchObject({ considered: 2, applied: 2, failed: 0 });
    expect((await member(store, "minji_old")).map((m) => [m.state, m.email_sha256, m.joined_at])).toEqual([
      ["active", sha256Hex(email), "2026-11-01T00:00:00.000Z"],
    ]);
    expect((await history(store, "minji_old")).map((h) => h.changed)).toEqual([["email"]]);
    expect((await member(store, "stranger")).map((m) => [m.state, m.email_sha256])).toEqual([
      ["active", null],
    ]);
    expect(await statuses(store)).toEqual(["join-1:applied", "legacy-1:applied", "legacy-2:applied"]);
  });
});

import { env } from "cloudflare:workers";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { leadrailSignature } from "../../api/adapters/email-signatures.ts";
import { brands } from "../../db/schema/catalog.ts";
import { emailEvents } from "../../db/schema/events.ts";
import { contactBrands, contactEvents, contacts, emails } from "../../db/schema/identity.ts";
import { failedEvents } from "../../db/schema/ops.ts";
import { unsubscribeRelationships } from "../../domain/contacts/contacts.ts";
import { emailHashes, sha256Hex } from "../../domain/contacts/email.ts";
import type { EmailEvent, EmailEventsMessage } from "../../domain/contacts/email-event-message.ts";
import { type KnowledgeEntry, knowledgeKey } from "../../domain/contacts/knowledge.ts";
import type { Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import type { RuleDoc } from "../../domain/routing/edge-config.ts";
import { call, expectProblem, ids, rand, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
import { seededRandom } from "../support/random.ts";
import { type SendGridEvent, sendGridBatch } from "../support/sendgrid.ts";
import { call as edgeCall, harness, landingUrl, rule, seedLanding } from "./edge-harness.ts";

// ── signing, as SendGrid and a normalised sender do ──

const keyPair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
  "sign",
  "verify",
])) as CryptoKeyPair;
const otherPair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
  "sign",
  "verify",
])) as CryptoKeyPair;
const base64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const publicKey = base64(
  new Uint8Array((await crypto.subtle.exportKey("spki", keyPair.publicKey)) as ArrayBuffer),
);

/** WebCrypto's r ‖ s as the DER SEQUENCE SendGrid sends (minimal INTEGERs, a zero pad before a high bit). */
function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (part: Uint8Array): number[] => {
    let start = 0;
    while (start < part.length - 1 && part[start] === 0) start += 1;
    const body = [...part.subarray(start)];
    if ((body[0] ?? 0) >= 0x80) body.unshift(0);
    return [0x02, body.length, ...body];
  };
  const content = [...integer(raw.subarray(0, 32)), ...integer(raw.subarray(32))];
  return Uint8Array.from([0x30, content.length, ...content]);
}

async function sendGridHeaders(body: string, key = keyPair.privateKey): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      new TextEncoder().encode(timestamp + body),
    ),
  );
  return {
    "x-twilio-email-event-webhook-signature": base64(rawToDer(raw)),
    "x-twilio-email-event-webhook-timestamp": timestamp,
    "user-agent": "SendGrid Event API",
  };
}

const emailSecret = `whsec_${rand()}${rand()}`;

// ── a recording events queue ──

interface Recorder {
  queue: Queue;
  calls: EmailEventsMessage[][];
  options: unknown[];
}

function recorder(fail = false): Recorder {
  const calls: EmailEventsMessage[][] = [];
  const options: unknown[] = [];
  const queue = {
    async send() {
      throw new Error("the webhooks send with sendBatch");
    },
    async sendBatch(messages: Iterable<MessageSendRequest<EmailEventsMessage>>) {
      if (fail) throw new Error("queue unavailable");
      const list = [...messages];
      calls.push(list.map(({ body }) => JSON.parse(JSON.stringify(body))));
      options.push(...list.map(({ body: _body, ...rest }) => rest));
    },
  } as unknown as Queue;
  return { queue, calls, options };
}

function postSendGrid(
  body: string,
  headers: Record<string, string>,
  queue: Recorder,
  key: string = publicKey,
) {
  return call("POST", "/webhooks/email/sendgrid", {
    key: null,
    rawBody: body,
    headers,
    env: { SENDGRID_WEBHOOK_PUBLIC_KEY: key, EVENTS_QUEUE: queue.queue } as Partial<Env>,
  });
}

async function postNormalised(body: string, queue: Recorder, signature?: string | null) {
  const headers: Record<string, string> = {};
  const value =
    signature === undefined
      ? await leadrailSignature(Uint8Array.from(new TextEncoder().encode(body)), emailSecret)
      : signature;
  if (value !== null) headers["x-leadrail-signature"] = value;
  return call("POST", "/webhooks/email", {
    key: null,
    rawBody: body,
    headers,
    env: { EMAIL_WEBHOOK_SECRET: emailSecret, EVENTS_QUEUE: queue.queue } as Partial<Env>,
  });
}

// ── the consumer ──

const consume = consumeEventsBatch;

/** A queue message of one normalised email event, as the webhook would have queued it. */
function oneEventMessage(
  event: Pick<EmailEvent, "id" | "type" | "email" | "occurredAt">,
): EmailEventsMessage {
  return {
    v: 1,
    type: "email",
    platform: "normalised",
    events: [
      {
        ...event,
        brandId: null,
        messageId: null,
        bounceType: null,
        url: null,
        reason: null,
        groupId: null,
        raw: {},
      },
    ],
  };
}

// ── people and brands ──

async function insertBrand(): Promise<{ id: number; ref: string }> {
  const tag = rand();
  const [row] = await withDb((db) =>
    db
      .insert(brands)
      .values({ name: `Brand ${tag}`, slug: `brand-${tag}` })
      .returning({ id: brands.id }),
  );
  if (!row) throw new Error("no brand");
  return { id: row.id, ref: ids.encode("brand", row.id) };
}

interface Person {
  address: string;
  emailId: number;
  contactId: number;
  sha256: string;
}

/** An email (and, with brands, a contact with an active relationship to each), its KV entry as the capture consumer leaves it. */
async function insertPerson(address: string, brandIds: number[]): Promise<Person> {
  const hashes = emailHashes(address);
  const person = await withDb(async (db) => {
    const [email] = await db
      .insert(emails)
      .values({ address, domain: address.split("@")[1] ?? "", ...hashes })
      .returning({ id: emails.id });
    if (!email) throw new Error("no email");
    const [contact] = await db.insert(contacts).values({ emailId: email.id }).returning({ id: contacts.id });
    if (!contact) throw new Error("no contact");
    for (const brandId of brandIds) await db.insert(contactBrands).values({ contactId: contact.id, brandId });
    return { address, emailId: email.id, contactId: contact.id, sha256: hashes.sha256 };
  });
  const entry: KnowledgeEntry = {
    v: 1,
    activeBrands: [...brandIds].sort((a, b) => a - b),
    at: new Date().toISOString(),
  };
  await env.KNOWLEDGE.put(knowledgeKey(person.sha256), JSON.stringify(entry));
  return person;
}

const knowledgeOf = (sha256: string) => env.KNOWLEDGE.get<KnowledgeEntry>(knowledgeKey(sha256), "json");

async function relationships(contactId: number) {
  return withDb((db) =>
    db
      .select({
        brandId: contactBrands.brandId,
        state: contactBrands.state,
        deletedAt: contactBrands.deletedAt,
        unsubscribedAt: contactBrands.unsubscribedAt,
        unsubscribeSource: contactBrands.unsubscribeSource,
        restoredAt: contactBrands.restoredAt,
        restoreCount: contactBrands.restoreCount,
      })
      .from(contactBrands)
      .where(eq(contactBrands.contactId, contactId))
      .orderBy(asc(contactBrands.brandId)),
  );
}

async function history(contactId: number) {
  return withDb((db) =>
    db
      .select({
        brandId: contactEvents.brandId,
        type: contactEvents.type,
        source: contactEvents.source,
        detail: contactEvents.detail,
        occurredAt: contactEvents.occurredAt,
      })
      .from(contactEvents)
      .where(eq(contactEvents.contactId, contactId))
      .orderBy(asc(contactEvents.brandId), asc(contactEvents.id)),
  );
}

async function storedEvents(platform: string, eventIds: string[]) {
  return withDb((db) =>
    db
      .select()
      .from(emailEvents)
      .where(and(eq(emailEvents.platform, platform), inArray(emailEvents.eventId, eventIds)))
      .orderBy(asc(emailEvents.occurredAt), asc(emailEvents.eventId)),
  );
}

async function bouncedAt(emailId: number): Promise<Date | null> {
  const [row] = await withDb((db) =>
    db.select({ at: emails.hardBouncedAt }).from(emails).where(eq(emails.id, emailId)),
  );
  return row?.at ?? null;
}

/** How the edge routes `address` on a landing of `brandId`: the level of the rule whose URL it redirects to. */
async function edgeLevel(address: string, brandId: number): Promise<string> {
  const landing = await seedLanding({ brandId });
  const levels = ["unknown", "known", "known_active", "known_active_same_brand"] as const;
  const rules: RuleDoc[] = levels.map((knowledge) =>
    rule({ brandId, knowledge, targetUrl: `https://offers.test/${knowledge}` }),
  );
  const h = await harness({ rules });
  const { response, message } = await edgeCall(
    h,
    new Request(landingUrl(landing.ref, `email=${encodeURIComponent(address)}`)),
  );
  expect(message.edge.emailSha256).toBe(sha256Hex(address));
  return (response.headers.get("location") ?? "").replace("https://offers.test/", "");
}

const timestamp = 1_763_820_000;

describe("POST /webhooks/email/sendgrid", () => {
  it("queues a signed batch of every event type and answers 202 at once; bad signatures queue nothing", async () => {
    const events = sendGridBatch({
      email: `ana.${rand()}@leadrail-mail.net`,
      bouncedEmail: `gone.${rand()}@leadrail-mail.net`,
      blockedEmail: `busy.${rand()}@leadrail-mail.net`,
      brand: "Xk3G7QAe",
      timestamp,
      tag: rand(),
    });
    const body = JSON.stringify(events);
    const queue = recorder();
    const response = await postSendGrid(body, await sendGridHeaders(body), queue);
    expect(response.status, response.text).toBe(202);
    expect(response.body).toEqual({ received: 12, enqueued: 12, skipped: {}, messages: 1 });
    expect(queue.calls).toHaveLength(1);
    expect(queue.options).toEqual([{ contentType: "json" }]);
    const [message] = queue.calls[0] ?? [];
    expect(message).toMatchObject({ v: 1, type: "email", platform: "sendgrid" });
    expect(message?.events.map((event) => event.id)).toEqual(events.map((event) => event.sg_event_id));

    const refused = recorder();
    const cases: Record<string, string>[] = [
      await sendGridHeaders(body, otherPair.privateKey),
      await sendGridHeaders(`${body} `),
      { ...(await sendGridHeaders(body)), "x-twilio-email-event-webhook-timestamp": "1" },
      { "x-twilio-email-event-webhook-timestamp": String(timestamp) },
      {},
    ];
    for (const headers of cases) {
      const answer = await postSendGrid(body, headers, refused);
      const problem = expectProblem(answer, 401);
      expect(problem.detail).toContain("X-Twilio-Email-Event-Webhook-Signature");
    }
    expect(refused.calls).toEqual([]);
    // Not configured: 503, nothing queued.
    expectProblem(await postSendGrid(body, await sendGridHeaders(body), refused, ""), 503);
    expect(refused.calls).toEqual([]);
  });

  it("skips what it cannot use, refuses a signed body that is not an array, and answers 503 when the queue fails", async () => {
    const queue = recorder();
    const mixed = JSON.stringify([
      { email: `x.${rand()}@leadrail-mail.net`, timestamp, event: "delivered", sg_event_id: `ok-${rand()}` },
      { email: "y@leadrail-mail.net", timestamp, event: "machine_opened", sg_event_id: `no-${rand()}` },
      { timestamp, event: "open", sg_event_id: `no-${rand()}` },
    ]);
    const answer = await postSendGrid(mixed, await sendGridHeaders(mixed), queue);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      received: 3,
      enqueued: 1,
      skipped: { unknown_event: 1, no_email: 1 },
      messages: 1,
    });
    const object = JSON.stringify({ event: "open" });
    expectProblem(await postSendGrid(object, await sendGridHeaders(object), queue), 422, [
      { field: "body", category: "malformed" },
    ]);
    const garbage = "[{";
    expectProblem(await postSendGrid(garbage, await sendGridHeaders(garbage), queue), 400);
    expect(queue.calls).toHaveLength(1);
    const failing = recorder(true);
    expectProblem(await postSendGrid(mixed, await sendGridHeaders(mixed), failing), 503);
  });

  it("splits a large batch into messages under 128 KB, at most 100 per sendBatch", async () => {
    const tag = rand();
    const events: SendGridEvent[] = Array.from({ length: 1500 }, (_, n) => ({
      email: `reader.${n}.${tag}@leadrail-mail.net`,
      timestamp: timestamp + n,
      event: "open",
      sg_event_id: `${tag}-${n}`,
      sg_message_id: `msg-${tag}-${n}`,
      useragent:
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0",
      ip: "198.51.100.4",
      category: ["newsletter", "autumn-2026"],
      padding: "p".repeat(300),
    }));
    const body = JSON.stringify(events);
    const queue = recorder();
    const answer = await postSendGrid(body, await sendGridHeaders(body), queue);
    expect(answer.status).toBe(202);
    const messages = queue.calls.flat();
    expect(answer.body).toEqual({ received: 1500, enqueued: 1500, skipped: {}, messages: messages.length });
    expect(messages.length).toBeGreaterThan(5);
    for (const message of messages) expect(JSON.stringify(message).length).toBeLessThan(128_000);
    for (const batch of queue.calls) expect(batch.length).toBeLessThanOrEqual(100);
    expect(messages.flatMap((message) => message.events.map((event) => event.id))).toEqual(
      events.map((event) => event.sg_event_id),
    );
  });
});

describe("POST /webhooks/email (normalised)", () => {
  const event = (fields: Record<string, unknown> = {}) => ({
    id: `n-${rand()}`,
    type: "delivered",
    email: `ana.${rand()}@leadrail-mail.net`,
    occurred_at: "2026-11-22T09:30:00.000Z",
    ...fields,
  });

  it("queues signed events; a bad or missing signature is a 401 and queues nothing", async () => {
    const brand = await insertBrand();
    const body = JSON.stringify({
      events: [
        event({ brand: brand.ref, message_id: "m-1" }),
        event({ type: "bounce", bounce_type: "hard" }),
      ],
    });
    const queue = recorder();
    const response = await postNormalised(body, queue);
    expect(response.status, response.text).toBe(202);
    expect(response.body).toEqual({ received: 2, enqueued: 2, skipped: {}, messages: 1 });
    const [message] = queue.calls[0] ?? [];
    expect(message?.platform).toBe("normalised");
    expect(message?.events.map((e) => [e.type, e.brandId, e.bounceType, e.messageId])).toEqual([
      ["delivered", brand.id, null, "m-1"],
      ["bounce", null, "hard", null],
    ]);
    expect(JSON.stringify(message?.events.map((e) => e.raw))).not.toContain("@leadrail-mail.net");

    const refused = recorder();
    const wrong = await leadrailSignature(Uint8Array.from(new TextEncoder().encode(body)), `${emailSecret}x`);
    for (const signature of [wrong, null, "sha256=00", "garbage"]) {
      const problem = expectProblem(await postNormalised(body, refused, signature), 401);
      expect(problem.detail).toContain("X-Leadrail-Signature");
    }
    expect(refused.calls).toEqual([]);
  });

  it("is documented with its body schema and no API key", async () => {
    const doc = (await call("GET", "/openapi.json", { key: null })).body;
    expect(Object.keys(doc.components.schemas.NormalisedEmailEvent.properties)).toEqual([
      "id",
      "type",
      "email",
      "occurred_at",
      "brand",
      "message_id",
      "bounce_type",
      "url",
      "reason",
      "group_id",
    ]);
    expect(doc.components.schemas.NormalisedEmailEvents.required).toEqual(["events"]);
    for (const path of ["/webhooks/email", "/webhooks/email/sendgrid"]) {
      expect(doc.paths[path].post.security).toBeUndefined();
      expect(Object.keys(doc.paths[path].post.responses)).toEqual(["202", "400", "401", "413", "422", "503"]);
    }
  });

  it("validates the whole body (422 naming each bad field) and queues nothing", async () => {
    const queue = recorder();
    const body = JSON.stringify({
      events: [
        event(),
        event({ type: "opened", brand: "!!" }),
        { ...event(), id: "", extra: 1 },
        event({ occurred_at: "yesterday" }),
        // Postgres has no year 0: refused here rather than failing the consumer's batch later.
        event({ occurred_at: "0000-01-01T00:00:00Z" }),
      ],
    });
    expectProblem(await postNormalised(body, queue), 422, [
      { field: "events.1.type", category: "not_allowed" },
      { field: "events.2.id", category: "too_short" },
      { field: "events.2.extra", category: "not_allowed" },
      { field: "events.3.occurred_at", category: "malformed" },
      { field: "events.4.occurred_at", category: "out_of_range" },
    ]);
    const badBrand = JSON.stringify({ events: [event({ brand: "zz" })] });
    expectProblem(await postNormalised(badBrand, queue), 422, [
      { field: "events.0.brand", category: "malformed" },
    ]);
    expectProblem(await postNormalised(JSON.stringify({ events: [] }), queue), 422, [
      { field: "events", category: "too_short" },
    ]);
    expect(queue.calls).toEqual([]);
  });
});

describe("events consumer: email events", () => {
  it("stores every event of a SendGrid batch once, flags the hard bounce, unsubscribes the brand, and the edge follows", async () => {
    const brand = await insertBrand();
    const otherBrand = await insertBrand();
    const ana = await insertPerson(`ana.${rand()}@leadrail-mail.net`, [brand.id]);
    const gone = await insertPerson(`gone.${rand()}@leadrail-mail.net`, [brand.id, otherBrand.id]);
    const busy = await insertPerson(`busy.${rand()}@leadrail-mail.net`, [brand.id]);
    expect(await edgeLevel(ana.address, brand.id)).toBe("known_active_same_brand");

    const events = sendGridBatch({
      // As the platform may spell it: the consumer normalises before hashing.
      email: `  ${ana.address.toUpperCase()} `,
      bouncedEmail: gone.address,
      blockedEmail: busy.address,
      brand: brand.ref,
      timestamp,
      tag: rand(),
    });
    const body = JSON.stringify(events);
    const queue = recorder();
    expect((await postSendGrid(body, await sendGridHeaders(body), queue)).status).toBe(202);
    const bodies = queue.calls.flat();

    const first = await consume(bodies);
    expect(first.acked).toEqual(first.ids);
    expect(first.retried).toEqual([]);
    expect(first.report.parts.email).toEqual({
      received: 12,
      stored: 12,
      duplicates: 0,
      linked: 12,
      hardBounced: 1,
      // Left, came back, left again.
      unsubscribed: 2,
      restored: 1,
      knowledgeRefreshed: 1,
    });
    // BEGIN, the store, the two of moveRelationships, COMMIT, the knowledge read.
    expect(first.report.statements).toBe(6);

    const eventIds = events.map((event) => String(event.sg_event_id));
    const rows = await storedEvents("sendgrid", eventIds);
    const contactOf = new Map([ana, gone, busy].map((person) => [person.emailId, person.contactId]));
    expect(
      rows.map((row) => ({
        type: row.type,
        eventId: row.eventId,
        emailSha256: row.emailSha256,
        contact: row.contactId === contactOf.get(row.emailId ?? 0),
        brandId: row.brandId,
        bounceType: row.bounceType,
        groupId: row.groupId,
        occurredAt: row.occurredAt.toISOString(),
      })),
    ).toEqual(
      events.map((event, offset) => ({
        type:
          (
            {
              spamreport: "spam_report",
            } as Record<string, string>
          )[String(event.event)] ?? event.event,
        eventId: event.sg_event_id,
        emailSha256: [ana, ana, ana, ana, ana, ana, ana, ana, ana, gone, gone, busy][offset]?.sha256,
        contact: true,
        brandId: brand.id,
        bounceType: offset === 9 ? "hard" : offset === 11 ? "soft" : null,
        groupId: offset === 5 || offset === 6 ? "42" : null,
        occurredAt: new Date((timestamp + offset) * 1000).toISOString(),
      })),
    );
    const click = rows.find((row) => row.type === "click");
    expect(click?.url).toBe("https://shop.example/autumn?utm_source=sendgrid");
    expect(click?.messageId).toBe(events[4]?.sg_message_id);
    const { email: _address, ...clickRaw } = events[4] ?? {};
    expect(click?.raw).toEqual(clickRaw);
    expect(JSON.stringify(rows.map((row) => row.raw))).not.toContain("@leadrail-mail.net");
    expect(rows.find((row) => row.type === "deferred")?.reason).toBe("400 try again later");

    // The hard bounce flags its email; the blocked (soft) one does not.
    expect(await bouncedAt(gone.emailId)).toEqual(new Date((timestamp + 9) * 1000));
    expect(await bouncedAt(busy.emailId)).toBeNull();
    expect(await bouncedAt(ana.emailId)).toBeNull();

    // In event order: the group unsubscribe soft-deleted the brand relationship, the group resubscribe
    // restored it, the spam report ended it again (the unsubscribe after it found it ended); history kept.
    const at = (offset: number) => new Date((timestamp + offset) * 1000);
    expect(await relationships(ana.contactId)).toEqual([
      {
        brandId: brand.id,
        state: "unsubscribed",
        deletedAt: at(7),
        unsubscribedAt: at(7),
        unsubscribeSource: "email_event",
        restoredAt: at(6),
        restoreCount: 1,
      },
    ]);
    expect(await history(ana.contactId)).toEqual([
      {
        brandId: brand.id,
        type: "unsubscribed",
        source: "email_event",
        detail: { reason: "group_unsubscribe" },
        occurredAt: at(5),
      },
      {
        brandId: brand.id,
        type: "restored",
        source: "email_event",
        detail: { reason: "group_resubscribe", restoreCount: 1 },
        occurredAt: at(6),
      },
      {
        brandId: brand.id,
        type: "unsubscribed",
        source: "email_event",
        detail: { reason: "spam_report" },
        occurredAt: at(7),
      },
    ]);
    // Bounces do not end relationships.
    expect((await relationships(gone.contactId)).map((r) => r.state)).toEqual(["active", "active"]);
    expect(await knowledgeOf(ana.sha256)).toEqual({ v: 1, activeBrands: [], at: expect.any(String) });
    expect(await edgeLevel(ana.address, brand.id)).toBe("known");

    // The same batch delivered again changes nothing.
    const snapshot = async () => ({
      rows: await storedEvents("sendgrid", eventIds),
      relationships: await Promise.all([ana, gone, busy].map((p) => relationships(p.contactId))),
      history: await Promise.all([ana, gone, busy].map((p) => history(p.contactId))),
      bounced: await Promise.all([ana, gone, busy].map((p) => bouncedAt(p.emailId))),
    });
    const before = await snapshot();
    const again = await consume(bodies);
    expect(again.acked).toEqual(again.ids);
    expect(again.report.parts.email).toEqual({
      received: 12,
      stored: 0,
      duplicates: 12,
      linked: 0,
      hardBounced: 0,
      unsubscribed: 0,
      restored: 0,
      knowledgeRefreshed: 1,
    });
    expect(await snapshot()).toEqual(before);
    expect(await edgeLevel(ana.address, brand.id)).toBe("known");
  });

  it("without a brand, a spam report ends every relationship; with one, only that brand's", async () => {
    const a = await insertBrand();
    const b = await insertBrand();
    const all = await insertPerson(`all.${rand()}@leadrail-mail.net`, [a.id, b.id]);
    const one = await insertPerson(`one.${rand()}@leadrail-mail.net`, [a.id, b.id]);
    const queue = recorder();
    const body = JSON.stringify({
      events: [
        {
          id: `n-${rand()}`,
          type: "spam_report",
          email: all.address,
          occurred_at: "2026-11-22T09:30:00.000Z",
        },
        {
          id: `n-${rand()}`,
          type: "unsubscribe",
          email: one.address,
          occurred_at: "2026-11-22T09:31:00.000Z",
          brand: b.ref,
        },
        // A brand id of no stored brand: the event is kept, without a brand.
        {
          id: `n-${rand()}`,
          type: "open",
          email: one.address,
          occurred_at: "2026-11-22T09:32:00.000Z",
          brand: ids.encode("brand", 2 ** 40),
        },
      ],
    });
    expect((await postNormalised(body, queue)).status).toBe(202);
    const result = await consume(queue.calls.flat());
    expect(result.report.parts.email).toMatchObject({ stored: 3, unsubscribed: 3, knowledgeRefreshed: 2 });
    expect((await relationships(all.contactId)).map((r) => r.state)).toEqual([
      "unsubscribed",
      "unsubscribed",
    ]);
    expect((await history(all.contactId)).map((e) => [e.brandId, e.detail])).toEqual([
      [a.id, { reason: "spam_report" }],
      [b.id, { reason: "spam_report" }],
    ]);
    expect((await relationships(one.contactId)).map((r) => [r.brandId, r.state])).toEqual([
      [a.id, "active"],
      [b.id, "unsubscribed"],
    ]);
    expect(await knowledgeOf(all.sha256)).toEqual({ v: 1, activeBrands: [], at: expect.any(String) });
    expect(await knowledgeOf(one.sha256)).toEqual({ v: 1, activeBrands: [a.id], at: expect.any(String) });
    expect(await edgeLevel(one.address, b.id)).toBe("known_active");
    const open = (
      await withDb((db) =>
        db
          .select({ brandId: emailEvents.brandId, type: emailEvents.type })
          .from(emailEvents)
          .where(and(eq(emailEvents.platform, "normalised"), eq(emailEvents.emailSha256, one.sha256))),
      )
    ).find((row) => row.type === "open");
    expect(open).toEqual({ brandId: null, type: "open" });
  });

  it("a group resubscribe restores what the platform ended, never an API unsubscribe; stale reports change nothing", async () => {
    const a = await insertBrand();
    const b = await insertBrand();
    const person = await insertPerson(`back.${rand()}@leadrail-mail.net`, [a.id, b.id]);
    await withDb((db) =>
      unsubscribeRelationships(db, "api", [
        { contactId: person.contactId, brandId: b.id, at: new Date("2026-11-22T08:00:00Z"), reason: null },
      ]),
    );
    const send = async (events: { type: string; at: string; brand?: string }[]) => {
      const queue = recorder();
      const body = JSON.stringify({
        events: events.map((event) => ({
          id: `n-${rand()}`,
          type: event.type,
          email: person.address,
          occurred_at: event.at,
          ...(event.brand ? { brand: event.brand } : {}),
        })),
      });
      expect((await postNormalised(body, queue)).status).toBe(202);
      const result = await consume(queue.calls.flat());
      expect(result.acked).toEqual(result.ids);
      return result.report.parts.email;
    };
    const standing = () => relationships(person.contactId);
    const endedByApi = {
      brandId: b.id,
      state: "unsubscribed",
      deletedAt: new Date("2026-11-22T08:00:00Z"),
      unsubscribedAt: new Date("2026-11-22T08:00:00Z"),
      unsubscribeSource: "api",
      restoredAt: null,
      restoreCount: 0,
    };

    expect(await send([{ type: "unsubscribe", at: "2026-11-22T09:00:00Z", brand: a.ref }])).toMatchObject({
      unsubscribed: 1,
      restored: 0,
    });
    expect(await knowledgeOf(person.sha256)).toEqual({ v: 1, activeBrands: [], at: expect.any(String) });

    // Without a brand: every relationship the platform ended comes back, the one ended through the API does not.
    expect(await send([{ type: "group_resubscribe", at: "2026-11-22T09:10:00Z" }])).toMatchObject({
      unsubscribed: 0,
      restored: 1,
    });
    const restored = {
      brandId: a.id,
      state: "restored",
      deletedAt: null,
      unsubscribedAt: new Date("2026-11-22T09:00:00Z"),
      unsubscribeSource: "email_event",
      restoredAt: new Date("2026-11-22T09:10:00Z"),
      restoreCount: 1,
    };
    expect(await standing()).toEqual([restored, endedByApi]);
    expect(await knowledgeOf(person.sha256)).toEqual({ v: 1, activeBrands: [a.id], at: expect.any(String) });
    expect(await edgeLevel(person.address, a.id)).toBe("known_active_same_brand");
    expect(await edgeLevel(person.address, b.id)).toBe("known_active");

    // An unsubscribe that happened before that comeback reaches us late: stored, and it changes nothing.
    expect(await send([{ type: "spam_report", at: "2026-11-22T09:05:00Z", brand: a.ref }])).toMatchObject({
      stored: 1,
      unsubscribed: 0,
      restored: 0,
    });
    expect(await standing()).toEqual([restored, endedByApi]);

    // Crossed reports in one batch: a resubscribe older than the unsubscribe it follows restores nothing.
    expect(
      await send([
        { type: "unsubscribe", at: "2026-11-22T09:20:00Z", brand: a.ref },
        { type: "group_resubscribe", at: "2026-11-22T09:15:00Z", brand: a.ref },
      ]),
    ).toMatchObject({ unsubscribed: 1, restored: 0 });
    expect(await standing()).toEqual([
      {
        ...restored,
        state: "unsubscribed",
        deletedAt: new Date("2026-11-22T09:20:00Z"),
        unsubscribedAt: new Date("2026-11-22T09:20:00Z"),
      },
      endedByApi,
    ]);
    expect(
      (await history(person.contactId)).map((event) => [
        event.brandId === a.id ? "a" : "b",
        event.type,
        event.source,
        event.detail,
        event.occurredAt.toISOString(),
      ]),
    ).toEqual([
      ["a", "unsubscribed", "email_event", { reason: "unsubscribe" }, "2026-11-22T09:00:00.000Z"],
      [
        "a",
        "restored",
        "email_event",
        { reason: "group_resubscribe", restoreCount: 1 },
        "2026-11-22T09:10:00.000Z",
      ],
      ["a", "unsubscribed", "email_event", { reason: "unsubscribe" }, "2026-11-22T09:20:00.000Z"],
      ["b", "unsubscribed", "api", {}, "2026-11-22T08:00:00.000Z"],
    ]);
    expect(await knowledgeOf(person.sha256)).toEqual({ v: 1, activeBrands: [], at: expect.any(String) });
  });

  it("random batches of leaving, returning and other events, out of order and repeated, keep every relationship in step with its history and the edge's index", async () => {
    const a = await insertBrand();
    const b = await insertBrand();
    const people = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        insertPerson(`mover${n}.${rand()}@leadrail-mail.net`, [a.id, b.id]),
      ),
    );
    // Two of them left brand b through the API: no platform event may bring that back.
    for (const person of people.slice(0, 2))
      await withDb((db) =>
        unsubscribeRelationships(db, "api", [
          { contactId: person.contactId, brandId: b.id, at: new Date((timestamp - 60) * 1000) },
        ]),
      );
    const next = seededRandom(20261123);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const sent: SendGridEvent[] = [];
    for (let round = 0; round < 8; round += 1) {
      const events: SendGridEvent[] = [];
      for (let n = 0; n < 15; n += 1) {
        if (sent.length > 0 && next() < 0.1) {
          events.push(pick(sent));
          continue;
        }
        const brand = pick([a.ref, b.ref, null]);
        const event: SendGridEvent = {
          email: pick(people).address,
          // Within an hour, in any order across batches.
          timestamp: timestamp + Math.floor(next() * 3600),
          event: pick([
            "unsubscribe",
            "group_unsubscribe",
            "group_resubscribe",
            "group_resubscribe",
            "spamreport",
            "open",
            "delivered",
          ]),
          sg_event_id: `mv-${rand()}`,
          sg_message_id: `msg-${rand()}`,
          ...(brand ? { leadrail_brand: brand } : {}),
        };
        events.push(event);
        sent.push(event);
      }
      const body = JSON.stringify(events);
      const queue = recorder();
      expect((await postSendGrid(body, await sendGridHeaders(body), queue)).status).toBe(202);
      const result = await consume(queue.calls.flat());
      expect({ acked: result.acked, retried: result.retried, fallback: result.report.fallback }).toEqual({
        acked: result.ids,
        retried: [],
        fallback: false,
      });
    }

    let transitions = 0;
    for (const person of people) {
      const events = await history(person.contactId);
      const active: number[] = [];
      for (const relationship of await relationships(person.contactId)) {
        const own = events.filter((event) => event.brandId === relationship.brandId);
        transitions += own.length;
        // Changes alternate, each a restore of the platform's own unsubscribe or an unsubscribe.
        own.forEach((event, index) => {
          const before = own[index - 1];
          expect(event.type).toBe(index % 2 === 0 ? "unsubscribed" : "restored");
          if (event.type === "restored") expect(before?.source).toBe("email_event");
        });
        const lastLeave = own.filter((event) => event.type === "unsubscribed").at(-1);
        const lastReturn = own.filter((event) => event.type === "restored").at(-1);
        expect(relationship).toEqual({
          brandId: relationship.brandId,
          state: own.length === 0 ? "active" : own.at(-1)?.type,
          deletedAt: own.at(-1)?.type === "unsubscribed" ? (lastLeave?.occurredAt ?? null) : null,
          unsubscribedAt: lastLeave?.occurredAt ?? null,
          unsubscribeSource: lastLeave?.source ?? null,
          restoredAt: lastReturn?.occurredAt ?? null,
          restoreCount: own.filter((event) => event.type === "restored").length,
        });
        if (relationship.state !== "unsubscribed") active.push(relationship.brandId);
      }
      expect((await knowledgeOf(person.sha256))?.activeBrands).toEqual(active.sort((x, y) => x - y));
    }
    // The batches did move relationships both ways.
    expect(transitions).toBeGreaterThan(people.length * 2);
  });

  it("stores events of unknown addresses unlinked, keeps unusable messages in failed_events, and acks both", async () => {
    const address = `stranger.${rand()}@leadrail-mail.net`;
    const id = `n-${rand()}`;
    const good = oneEventMessage({
      id,
      type: "delivered",
      email: address,
      occurredAt: "2026-11-22T09:30:00.000Z",
    });
    const result = await consume([
      good,
      { v: 1, type: "email", platform: "mailchimp", events: [] },
      { type: "carrier-pigeon" },
      "text",
    ]);
    expect(result.acked).toEqual(result.ids);
    expect(result.report.poison).toBe(3);
    expect(await storedEvents("normalised", [id])).toMatchObject([
      { emailSha256: sha256Hex(address), emailId: null, contactId: null, type: "delivered" },
    ]);
    const kept = await withDb((db) =>
      db
        .select({ error: failedEvents.error, queue: failedEvents.queue })
        .from(failedEvents)
        .where(inArray(failedEvents.messageId, result.ids)),
    );
    expect(kept).toEqual([
      { error: "invalid_message", queue: queueNames.events },
      { error: "invalid_message", queue: queueNames.events },
      { error: "invalid_message", queue: queueNames.events },
    ]);
  });

  it("a message the database refuses cannot hold its batch: the others are stored one by one, it is retried", async () => {
    const message = (occurredAt: string) =>
      oneEventMessage({
        id: `n-${rand()}`,
        type: "open",
        email: `reader.${rand()}@leadrail-mail.net`,
        occurredAt,
      });
    const first = message("2026-11-22T09:30:00.000Z");
    // Year 0 passes the message schema (the webhooks refuse it today; a message queued before that did not)
    // but not Postgres.
    const refused = message("0000-01-01T00:00:00.000Z");
    const last = message("2026-11-22T09:31:00.000Z");
    const result = await consume([first, refused, last], { CAPTURE_RETRY_BASE_SECONDS: "3" }, 2);
    expect(result.report).toMatchObject({ fallback: true, acked: 2, retried: 1, poison: 0 });
    expect(result.report.parts.email).toMatchObject({ received: 2, stored: 2 });
    const [firstId, refusedId, lastId] = result.inOrder;
    expect(result.acked).toEqual([firstId, lastId].sort());
    expect(result.retried).toEqual([refusedId]);
    expect(result.delays).toEqual([6]);
    const stored = await storedEvents(
      "normalised",
      [first, refused, last].map((m) => m.events[0]?.id ?? ""),
    );
    expect(stored.map((row) => row.eventId)).toEqual([first.events[0]?.id, last.events[0]?.id]);
  });

  it("retries every message with back-off when the database cannot be reached", async () => {
    const queue = recorder();
    const body = JSON.stringify({
      events: [
        {
          id: `n-${rand()}`,
          type: "open",
          email: "a@leadrail-mail.net",
          occurred_at: "2026-11-22T09:30:00.000Z",
        },
      ],
    });
    expect((await postNormalised(body, queue)).status).toBe(202);
    const unreachable = {
      DB_WS_PROXY: "127.0.0.1:9",
      DATABASE_URL: "postgres://postgres@127.0.0.1:9/none",
      CAPTURE_RETRY_BASE_SECONDS: "3",
    } as Partial<Env>;
    const result = await consume(queue.calls.flat(), unreachable);
    expect(result.acked).toEqual([]);
    expect(result.retried).toEqual(result.ids);
    expect(result.report.retried).toBe(1);
    // Exponential back-off: base · 2^(attempts − 1), capped at 300 s.
    expect(result.delays).toEqual([3]);
    expect((await consume(queue.calls.flat(), unreachable, 3)).delays).toEqual([12]);
    expect((await consume(queue.calls.flat(), unreachable, 9)).delays).toEqual([300]);
    const [{ n } = { n: -1 }] = (
      await withDb((db) =>
        db.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM email_events WHERE event_id = ${JSON.parse(body).events[0].id}`,
        ),
      )
    ).rows;
    expect(n).toBe(0);
  });
});

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbHandle, openDb } from "../../db/client.ts";
import {
  captureFieldErrors,
  captureGeo,
  captureHttpLogs,
  captureKnowledge,
  captureMarketing,
  captures,
} from "../../db/schema/capture.ts";
import { contactBrands, contactEvents, contacts, emails } from "../../db/schema/identity.ts";
import { failedEvents } from "../../db/schema/ops.ts";
import { inboundConversions, relayJobs } from "../../db/schema/relay.ts";
import { emailHashes, normaliseEmail } from "../../domain/contacts/email.ts";
import { type KnowledgeEntry, knowledgeKey } from "../../domain/contacts/knowledge.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { type CaptureBatchReport, processCaptureBatch } from "../../queues/capture/handler.ts";
import { storeConversions } from "../../queues/events/conversion.ts";
import {
  captureMessage,
  freshEmail,
  queueMessages,
  seedTenant,
  type Tenant,
} from "../support/capture-message.ts";

let handle: DbHandle;
beforeAll(() => {
  handle = openDb(dbConfig(env), 2);
});
afterAll(async () => {
  await handle.close();
});
const db = () => handle.db;

interface Recorder {
  env: Env;
  relaySends: number[];
}

/** The real env, with relay-queue sends recorded (the relay consumer is a later piece of work). */
function recorder(overrides: Partial<Env> = {}): Recorder {
  const relaySends: number[] = [];
  const relays = {
    async send(body: { jobId: number }) {
      relaySends.push(body.jobId);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<{ jobId: number }>>) {
      for (const message of messages) relaySends.push(message.body.jobId);
    },
  } as unknown as Queue;
  return { env: { ...env, RELAYS_QUEUE: relays, ...overrides }, relaySends };
}

/**
 * The test batch records that a message was retried but not the delay it asked for, so the
 * messages are wrapped to record `retry({ delaySeconds })` on the way to the real batch.
 */
function observeRetries(batch: MessageBatch<unknown>) {
  const delays = new Map<string, number | undefined>();
  const messages = batch.messages.map(
    (message): Message<unknown> => ({
      id: message.id,
      timestamp: message.timestamp,
      body: message.body,
      attempts: message.attempts,
      ack: () => message.ack(),
      retry: (options?: QueueRetryOptions) => {
        delays.set(message.id, options?.delaySeconds);
        message.retry(options);
      },
    }),
  );
  const observed: MessageBatch<unknown> = {
    queue: batch.queue,
    messages,
    metadata: batch.metadata,
    ackAll: () => batch.ackAll(),
    retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
  };
  return { observed, delays };
}

interface Run {
  report: CaptureBatchReport;
  /** Message ids in the order the bodies were given. */
  ids: string[];
  acked: string[];
  retried: { msgId: string; delaySeconds?: number }[];
  messageIds: string[];
}

async function run(
  bodies: unknown[],
  options: { env?: Env; attempts?: number; ids?: string[] } = {},
): Promise<Run> {
  const messages = queueMessages(bodies, options.attempts ?? 1).map((message, index) => ({
    ...message,
    id: options.ids?.[index] ?? message.id,
  }));
  const batch = createMessageBatch(queueNames.captures, messages);
  const ctx = createExecutionContext();
  const { observed, delays } = observeRetries(batch);
  const report = await processCaptureBatch(observed, options.env ?? recorder().env);
  const result = await getQueueResult(batch, ctx);
  return {
    report,
    ids: messages.map((m) => m.id),
    acked: [...result.explicitAcks].sort(),
    retried: result.retryMessages.map((r) => ({ msgId: r.msgId, delaySeconds: delays.get(r.msgId) })),
    messageIds: messages.map((m) => m.id).sort(),
  };
}

async function captureRow(id: string) {
  const [row] = await db().select().from(captures).where(eq(captures.id, id));
  return row;
}

async function relationship(email: string, brandId: number) {
  const normalised = normaliseEmail(email);
  if (typeof normalised === "string") throw new Error("bad test email");
  const [row] = await db()
    .select({ rel: contactBrands })
    .from(contactBrands)
    .innerJoin(contacts, eq(contacts.id, contactBrands.contactId))
    .innerJoin(emails, eq(emails.id, contacts.emailId))
    .where(and(eq(emails.address, normalised.address), eq(contactBrands.brandId, brandId)));
  return row?.rel;
}

async function knowledgeEntry(email: string): Promise<KnowledgeEntry | null> {
  const normalised = normaliseEmail(email);
  if (typeof normalised === "string") throw new Error("bad test email");
  return env.KNOWLEDGE.get<KnowledgeEntry>(knowledgeKey(emailHashes(normalised.address).sha256), "json");
}

describe("a new capture", () => {
  it("writes every row of the ten stages with exact values, publishes knowledge and enqueues relay jobs", async () => {
    const tenant = await seedTenant(db(), {
      partner: {
        clickIdParam: "aff_click_id",
        transactionIdParam: "tid",
        postbackUrl: "https://net.leadrail.test/pb?click={click_id}&tx={transaction_id}&e={event}",
        postbackEvents: ["lead_accepted", "lead_restored"],
      },
      relayTargets: [{ mail: "email", given: "first_name", source: "utm_source", click: "click_id" }],
    });
    const local = `kim${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const address = `${local.slice(0, 3).toUpperCase()}.${local.slice(3)}+promo@GMail.com`;
    const message = captureMessage(tenant, {
      email: address,
      fields: { first_name: "민준", phone: "+82 10-1234-5678", country: "KR" },
      query: "utm_source=naver&utm_medium=cpc&gclid=G-123&wbraid=W-9&aff_click_id=CLK-1&tid=TX-1&sub1=s-one",
      receivedAt: "2026-11-22T10:00:00.000Z",
    });
    // The edge merges the query into the fields.
    Object.assign(message.request.fields, {
      utm_source: "naver",
      utm_medium: "cpc",
      gclid: "G-123",
      wbraid: "W-9",
      aff_click_id: "CLK-1",
      tid: "TX-1",
      sub1: "s-one",
    });
    const rec = recorder();
    const { report, acked, retried, messageIds } = await run([message], { env: rec.env });
    expect(acked).toEqual(messageIds);
    expect(retried).toEqual([]);
    expect(report).toMatchObject({
      stored: 1,
      redelivered: 0,
      poison: 0,
      acked: 1,
      retried: 0,
      fallback: false,
    });
    expect(report.outcomes).toEqual({ new: 1, duplicate: 0, restored: 0, invalid: 0, bot: 0 });

    const normalised = normaliseEmail(address);
    if (typeof normalised === "string") throw new Error("unexpected");
    // Gmail: lower-cased, dots and the +tag dropped.
    expect(normalised.address).toBe(`${local}@gmail.com`);
    const hashes = emailHashes(normalised.address);

    const [email] = await db().select().from(emails).where(eq(emails.sha256, hashes.sha256));
    expect(email).toMatchObject({
      address: normalised.address,
      domain: "gmail.com",
      sha256: hashes.sha256,
      md5: hashes.md5,
    });
    if (!email) throw new Error("no email row");
    const [contact] = await db().select().from(contacts).where(eq(contacts.emailId, email.id));
    expect(contact).toMatchObject({ emailId: email.id, firstCaptureId: message.captureId });
    if (!contact) throw new Error("no contact");

    expect(await captureRow(message.captureId)).toMatchObject({
      id: message.captureId,
      receivedAt: new Date("2026-11-22T10:00:00.000Z"),
      landingRef: tenant.landingRef,
      landingId: tenant.landingId,
      brandId: tenant.brandId,
      themeId: tenant.themeId,
      partnerId: tenant.partnerId,
      productId: tenant.productId,
      emailId: email.id,
      contactId: contact.id,
      outcome: "new",
      isBot: false,
      botReason: null,
      fields: message.request.fields,
      ruleId: null,
      fallbackReason: "no_match",
    });
    expect(
      await db().select().from(captureFieldErrors).where(eq(captureFieldErrors.captureId, message.captureId)),
    ).toEqual([]);

    const [rel] = await db().select().from(contactBrands).where(eq(contactBrands.contactId, contact.id));
    expect(rel).toMatchObject({
      brandId: tenant.brandId,
      state: "active",
      firstCaptureId: message.captureId,
      lastCaptureId: message.captureId,
      captureCount: 1,
      duplicateCount: 0,
      restoreCount: 0,
      restoredAt: null,
      deletedAt: null,
      unsubscribedAt: null,
    });
    const events = await db()
      .select({
        type: contactEvents.type,
        brandId: contactEvents.brandId,
        captureId: contactEvents.captureId,
        source: contactEvents.source,
        detail: contactEvents.detail,
        occurredAt: contactEvents.occurredAt,
      })
      .from(contactEvents)
      .where(eq(contactEvents.contactId, contact.id))
      .orderBy(asc(contactEvents.id));
    const detail = { outcome: "new", landingId: tenant.landingId, partnerId: tenant.partnerId };
    const base = {
      brandId: tenant.brandId,
      captureId: message.captureId,
      source: "capture",
      detail,
      occurredAt: new Date("2026-11-22T10:00:00.000Z"),
    };
    expect(events).toEqual([
      { type: "created", ...base },
      { type: "captured", ...base },
    ]);

    const [geo] = await db().select().from(captureGeo).where(eq(captureGeo.captureId, message.captureId));
    expect(geo).toEqual({
      captureId: message.captureId,
      country: "KR",
      region: "Seoul",
      regionCode: "11",
      city: "Seoul",
      postalCode: "04524",
      continent: "AS",
      latitude: 37.5661,
      longitude: 126.9784,
      timezone: "Asia/Seoul",
      asn: 4766,
      asOrganization: "Korea Telecom",
      colo: "ICN",
      botScore: 87,
      verifiedBot: false,
    });

    const [marketing] = await db()
      .select()
      .from(captureMarketing)
      .where(eq(captureMarketing.captureId, message.captureId));
    expect(marketing).toEqual({
      captureId: message.captureId,
      utmSource: "naver",
      utmMedium: "cpc",
      utmCampaign: null,
      utmTerm: null,
      utmContent: null,
      gclid: "G-123",
      fbclid: null,
      ttclid: null,
      msclkid: null,
      clickId: "CLK-1",
      transactionId: "TX-1",
      sub1: "s-one",
      sub2: null,
      sub3: null,
      sub4: null,
      sub5: null,
      referrer: "https://m.search.naver.com/search.naver?query=shoes",
      extra: { wbraid: "W-9" },
    });

    const [log] = await db()
      .select()
      .from(captureHttpLogs)
      .where(eq(captureHttpLogs.captureId, message.captureId));
    expect(log).toMatchObject({
      method: "POST",
      url: message.request.url,
      requestHeaders: message.request.headers,
      requestBody: message.request.body,
      requestBodyBytes: message.request.bodyBytes,
      requestBodyTruncated: false,
      userAgent: message.request.headers["user-agent"],
      ip: "211.234.10.20",
      responseStatus: 303,
      responseLocation: tenant.fallbackUrl,
      responseHeaders: { "x-capture-id": message.captureId },
      edgeDurationMs: 1.25,
    });

    const [knowledge] = await db()
      .select()
      .from(captureKnowledge)
      .where(eq(captureKnowledge.captureId, message.captureId));
    expect(knowledge).toEqual({
      captureId: message.captureId,
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

    const jobs = await db()
      .select()
      .from(relayJobs)
      .where(eq(relayJobs.captureId, message.captureId))
      .orderBy(asc(relayJobs.id));
    expect(
      jobs.map((job) => ({
        kind: job.kind,
        event: job.event,
        status: job.status,
        attempts: job.attempts,
        partnerId: job.partnerId,
        payload: job.payload,
        values: job.jobValues,
      })),
    ).toEqual([
      {
        kind: "postback",
        event: "lead_accepted",
        status: "pending",
        attempts: 0,
        partnerId: tenant.partnerId,
        // The values it is made with; the partner's URL is read when it is sent.
        payload: null,
        values: {
          click_id: "CLK-1",
          transaction_id: "TX-1",
          payout_minor: "",
          currency: "",
          event: "lead_accepted",
          capture_id: message.captureId,
          sub1: "s-one",
          sub2: "",
          sub3: "",
          sub4: "",
          sub5: "",
        },
      },
      {
        kind: "lead_relay",
        event: "lead_accepted",
        status: "pending",
        attempts: 0,
        partnerId: null,
        payload: null,
        // Every lead value a buyer's mapping may name; the mapping applies when it is sent.
        values: expect.objectContaining({
          email: address,
          first_name: "민준",
          utm_source: "naver",
          click_id: "CLK-1",
          capture_id: message.captureId,
        }),
      },
    ]);
    expect(rec.relaySends).toEqual(jobs.map((job) => job.id));
    expect(report.relayJobsEnqueued).toBe(2);

    const entry = await knowledgeEntry(address);
    expect(entry).toMatchObject({ v: 1, activeBrands: [tenant.brandId] });
  });
});

describe("conversions that arrive before their capture", () => {
  it("are attached when the capture is stored: by click id first, else transaction id, same partner, captured before", async () => {
    const partner = { clickIdParam: "aff_click_id", transactionIdParam: "tid" };
    const tenant = await seedTenant(db(), { partner });
    const other = await seedTenant(db(), { partner });
    const tag = crypto.randomUUID().slice(0, 8);
    const conversion = (fields: { partnerId?: number; clickId?: string; transactionId?: string }) => ({
      v: 1 as const,
      type: "conversion" as const,
      receiptId: crypto.randomUUID(),
      receivedAt: "2026-11-22T10:00:00.000Z",
      partnerId: fields.partnerId ?? tenant.partnerId,
      clickId: fields.clickId ?? null,
      transactionId: fields.transactionId ?? null,
      event: "lead",
      amount: null,
      currency: null,
      params: {},
    });
    const conversions = {
      byClick: conversion({ clickId: `CLK-${tag}`, transactionId: `TX-A-${tag}` }),
      byTransaction: conversion({ transactionId: `TX-B-${tag}` }),
      otherPartner: conversion({ partnerId: other.partnerId, clickId: `CLK-${tag}` }),
      capturedAfter: conversion({ clickId: `CLK-LATE-${tag}` }),
    };
    const stored = await storeConversions(db(), Object.values(conversions));
    expect(stored).toMatchObject({ stored: 4, attached: 0 });

    const capture = (query: string, receivedAt: string) => {
      const message = captureMessage(tenant, { query, receivedAt });
      for (const [key, value] of new URLSearchParams(query)) message.request.fields[key] = value;
      return message;
    };
    // A's click id and B's transaction id; B also carries A's transaction id, which loses to A's click id.
    const a = capture(`aff_click_id=CLK-${tag}`, "2026-11-22T09:59:50.000Z");
    const b = capture(`tid=TX-B-${tag}`, "2026-11-22T09:59:55.000Z");
    const b2 = capture(`tid=TX-A-${tag}`, "2026-11-22T09:59:58.000Z");
    // Received two minutes after the conversion: not the click it reported.
    const late = capture(`aff_click_id=CLK-LATE-${tag}`, "2026-11-22T10:02:00.000Z");
    const { report } = await run([a, b, b2, late]);
    expect(report).toMatchObject({ stored: 4 });

    const attachedTo = async (message: ReturnType<typeof conversion>) => {
      const key = message.transactionId ?? `click:${message.clickId}:${message.event}`;
      const [row] = await db()
        .select({ captureId: inboundConversions.captureId })
        .from(inboundConversions)
        .where(
          and(eq(inboundConversions.partnerId, message.partnerId), eq(inboundConversions.transactionId, key)),
        );
      return row?.captureId;
    };
    expect({
      byClick: await attachedTo(conversions.byClick),
      byTransaction: await attachedTo(conversions.byTransaction),
      otherPartner: await attachedTo(conversions.otherPartner),
      capturedAfter: await attachedTo(conversions.capturedAfter),
    }).toEqual({
      byClick: a.captureId,
      byTransaction: b.captureId,
      otherPartner: null,
      capturedAfter: null,
    });
  });
});

describe("duplicates", () => {
  it("a second capture of the same email for the brand is a duplicate; a new relay job is not made", async () => {
    const tenant = await seedTenant(db(), {
      partner: { postbackUrl: "https://net.leadrail.test/pb?c={click_id}" },
    });
    const address = freshEmail();
    const first = captureMessage(tenant, { email: address });
    await run([first]);
    const second = captureMessage(tenant, {
      email: address.toUpperCase(),
      knowledge: "known_active_same_brand",
    });
    const rec = recorder();
    const { report } = await run([second], { env: rec.env });
    expect(report.outcomes).toEqual({ new: 0, duplicate: 1, restored: 0, invalid: 0, bot: 0 });
    expect((await captureRow(second.captureId))?.outcome).toBe("duplicate");
    expect(await relationship(address, tenant.brandId)).toMatchObject({
      state: "active",
      captureCount: 2,
      duplicateCount: 1,
      firstCaptureId: first.captureId,
      lastCaptureId: second.captureId,
    });
    expect(await db().select().from(relayJobs).where(eq(relayJobs.captureId, second.captureId))).toEqual([]);
    expect(rec.relaySends).toEqual([]);
    const [knowledge] = await db()
      .select()
      .from(captureKnowledge)
      .where(eq(captureKnowledge.captureId, second.captureId));
    expect(knowledge).toMatchObject({
      edgeLevel: "known_active_same_brand",
      afterLevel: "known_active_same_brand",
    });
  });

  it("leaves a KV entry the edge read correctly alone, and rewrites one it read wrong", async () => {
    const tenant = await seedTenant(db());
    const address = freshEmail();
    await run([captureMessage(tenant, { email: address })]);
    const key = knowledgeKey(emailHashes(address).sha256);
    const marker = JSON.stringify({ v: 1, activeBrands: [tenant.brandId], at: "2000-01-01T00:00:00.000Z" });
    await env.KNOWLEDGE.put(key, marker);
    const { report } = await run([
      captureMessage(tenant, { email: address, knowledge: "known_active_same_brand" }),
    ]);
    expect(report.outcomes.duplicate).toBe(1);
    expect(report.knowledgePublished).toBe(0);
    expect(await env.KNOWLEDGE.get(key)).toBe(marker);
    // The edge saw the email as unknown (say KV failed): the entry is rewritten with the truth.
    const stale = await run([captureMessage(tenant, { email: address, knowledge: "unknown" })]);
    expect(stale.report.knowledgePublished).toBe(1);
    expect((await knowledgeEntry(address))?.at).not.toBe("2000-01-01T00:00:00.000Z");
    expect((await knowledgeEntry(address))?.activeBrands).toEqual([tenant.brandId]);
  });

  it("the second capture of one email and brand inside one batch is a duplicate too", async () => {
    const tenant = await seedTenant(db());
    const address = freshEmail();
    const a = captureMessage(tenant, { email: address, receivedAt: "2026-11-22T10:00:00.000Z" });
    const b = captureMessage(tenant, { email: address, receivedAt: "2026-11-22T10:00:01.000Z" });
    // Delivered out of order: capture order, not delivery order, decides which one is new.
    const { report } = await run([b, a]);
    expect(report.outcomes).toEqual({ new: 1, duplicate: 1, restored: 0, invalid: 0, bot: 0 });
    expect((await captureRow(a.captureId))?.outcome).toBe("new");
    expect((await captureRow(b.captureId))?.outcome).toBe("duplicate");
    expect(await relationship(address, tenant.brandId)).toMatchObject({
      captureCount: 2,
      duplicateCount: 1,
      lastCaptureId: b.captureId,
    });
  });

  it("the same email under another brand is new there and known_active elsewhere", async () => {
    const one = await seedTenant(db());
    const two = await seedTenant(db());
    const address = freshEmail();
    await run([captureMessage(one, { email: address })]);
    const other = captureMessage(two, { email: address, knowledge: "known_active" });
    const { report } = await run([other]);
    expect(report.outcomes.new).toBe(1);
    const [knowledge] = await db()
      .select()
      .from(captureKnowledge)
      .where(eq(captureKnowledge.captureId, other.captureId));
    expect(knowledge).toMatchObject({ edgeLevel: "known_active", afterLevel: "known_active_same_brand" });
    expect((await knowledgeEntry(address))?.activeBrands).toEqual(
      [one.brandId, two.brandId].sort((x, y) => x - y),
    );
  });
});

describe("unsubscribe, then capture again", () => {
  it("restores the relationship: restore_count 1, deleted_at cleared, lead_restored relayed", async () => {
    const tenant = await seedTenant(db(), {
      partner: {
        postbackUrl: "https://net.leadrail.test/pb?e={event}",
        postbackEvents: ["lead_accepted", "lead_restored"],
      },
    });
    const address = freshEmail();
    await run([captureMessage(tenant, { email: address })]);
    const before = await relationship(address, tenant.brandId);
    if (!before) throw new Error("no relationship");
    const unsubscribedAt = new Date("2026-11-22T11:00:00.000Z");
    await db()
      .update(contactBrands)
      .set({ state: "unsubscribed", unsubscribedAt, unsubscribeSource: "api", deletedAt: unsubscribedAt })
      .where(eq(contactBrands.id, before.id));
    await env.KNOWLEDGE.put(
      knowledgeKey(emailHashes(address).sha256),
      JSON.stringify({ v: 1, activeBrands: [], at: unsubscribedAt.toISOString() }),
    );

    const back = captureMessage(tenant, {
      email: address,
      knowledge: "known",
      receivedAt: "2026-11-22T12:00:00.000Z",
    });
    const back2 = captureMessage(tenant, {
      email: address,
      knowledge: "known",
      receivedAt: "2026-11-22T12:00:05.000Z",
    });
    const { report } = await run([back, back2]);
    expect(report.outcomes).toEqual({ new: 0, duplicate: 1, restored: 1, invalid: 0, bot: 0 });
    expect((await captureRow(back.captureId))?.outcome).toBe("restored");
    expect(await relationship(address, tenant.brandId)).toMatchObject({
      id: before.id,
      state: "restored",
      restoreCount: 1,
      restoredAt: new Date("2026-11-22T12:00:00.000Z"),
      deletedAt: null,
      unsubscribedAt,
      unsubscribeSource: "api",
      captureCount: 3,
      duplicateCount: 1,
      lastCaptureId: back2.captureId,
    });
    const [event] = await db()
      .select({ type: contactEvents.type, detail: contactEvents.detail })
      .from(contactEvents)
      .where(eq(contactEvents.captureId, back.captureId));
    expect(event).toEqual({
      type: "restored",
      detail: {
        outcome: "restored",
        landingId: tenant.landingId,
        partnerId: tenant.partnerId,
        restoreCount: 1,
      },
    });
    const jobs = await db()
      .select({ kind: relayJobs.kind, event: relayJobs.event })
      .from(relayJobs)
      .where(eq(relayJobs.captureId, back.captureId));
    expect(jobs).toEqual([{ kind: "postback", event: "lead_restored" }]);
    const [knowledge] = await db()
      .select()
      .from(captureKnowledge)
      .where(eq(captureKnowledge.captureId, back.captureId));
    expect(knowledge).toMatchObject({ edgeLevel: "known", afterLevel: "known_active_same_brand" });
    expect((await knowledgeEntry(address))?.activeBrands).toEqual([tenant.brandId]);
  });
});

async function snapshot(captureIds: string[], email: string) {
  const normalised = normaliseEmail(email);
  if (typeof normalised === "string") throw new Error("bad email");
  const count = async (table: string, column: string) => {
    const result = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE ${sql.identifier(column)} = ANY(${`{${captureIds.join(",")}}`}::uuid[])`,
    );
    return result.rows[0]?.n;
  };
  const [emailRow] = await db().select().from(emails).where(eq(emails.address, normalised.address));
  const contactRows = emailRow
    ? await db().select().from(contacts).where(eq(contacts.emailId, emailRow.id))
    : [];
  const contactIds = contactRows.map((c) => c.id);
  return {
    email: emailRow,
    contacts: contactRows,
    relationships: contactIds.length
      ? await db().select().from(contactBrands).where(inArray(contactBrands.contactId, contactIds))
      : [],
    events: contactIds.length
      ? await db()
          .select()
          .from(contactEvents)
          .where(inArray(contactEvents.contactId, contactIds))
          .orderBy(asc(contactEvents.id))
      : [],
    captures: await db()
      .select()
      .from(captures)
      .where(inArray(captures.id, captureIds))
      .orderBy(asc(captures.id)),
    counts: {
      errors: await count("capture_field_errors", "capture_id"),
      geo: await count("capture_geo", "capture_id"),
      marketing: await count("capture_marketing", "capture_id"),
      logs: await count("capture_http_logs", "capture_id"),
      knowledge: await count("capture_knowledge", "capture_id"),
    },
    jobs: await db()
      .select()
      .from(relayJobs)
      .where(inArray(relayJobs.captureId, captureIds))
      .orderBy(asc(relayJobs.id)),
  };
}

describe("at-least-once delivery", () => {
  it("the same message delivered twice changes nothing, both acked; knowledge republished and pending jobs re-enqueued", async () => {
    const tenant = await seedTenant(db(), { relayTargets: [{ e: "email" }] });
    const address = freshEmail();
    const message = captureMessage(tenant, { email: address, fields: { phone: "12" } });
    const valid = captureMessage(tenant, { email: freshEmail() });
    const first = await run([message, valid]);
    expect(first.acked).toEqual(first.messageIds);
    const before = await snapshot([message.captureId, valid.captureId], address);
    expect(before.captures.map((c) => c.outcome).sort()).toEqual(["invalid", "new"]);
    expect(before.counts).toEqual({ errors: 1, geo: 2, marketing: 2, logs: 2, knowledge: 2 });

    await env.KNOWLEDGE.delete(knowledgeKey(emailHashes(normaliseEmailAddress(valid)).sha256));
    const rec = recorder();
    const again = await run([message, valid], { env: rec.env });
    expect(again.acked).toEqual(again.messageIds);
    expect(again.retried).toEqual([]);
    expect(again.report).toMatchObject({ stored: 0, redelivered: 2, acked: 2 });
    expect(await snapshot([message.captureId, valid.captureId], address)).toEqual(before);
    expect(rec.relaySends).toEqual(before.jobs.map((job) => job.id));
    expect(before.jobs).toHaveLength(1);
    expect((await knowledgeEntry(normaliseEmailAddress(valid)))?.activeBrands).toEqual([tenant.brandId]);
  });

  it("when the knowledge index cannot be written after COMMIT, the messages are retried and the redelivery only republishes", async () => {
    const tenant = await seedTenant(db());
    const address = freshEmail();
    const message = captureMessage(tenant, { email: address });
    const failingKv = {
      get: env.KNOWLEDGE.get.bind(env.KNOWLEDGE),
      put: () => Promise.reject(new Error("KV unavailable")),
    } as unknown as KVNamespace;
    const failed = await run([message], {
      env: recorder({ KNOWLEDGE: failingKv } as Partial<Env>).env,
      attempts: 1,
    });
    expect(failed.acked).toEqual([]);
    expect(failed.retried).toEqual([{ msgId: failed.ids[0], delaySeconds: 2 }]);
    expect((await captureRow(message.captureId))?.outcome).toBe("new");
    expect(await knowledgeEntry(address)).toBeNull();
    const before = await snapshot([message.captureId], address);
    const again = await run([message], { attempts: 2 });
    expect(again.acked).toEqual(again.messageIds);
    expect(again.report).toMatchObject({ stored: 0, redelivered: 1, knowledgePublished: 1 });
    expect(await snapshot([message.captureId], address)).toEqual(before);
    expect((await knowledgeEntry(address))?.activeBrands).toEqual([tenant.brandId]);
  });

  it("a knowledge write KV refuses once (its one write per second per key) is written again within the batch: acked, not retried", async () => {
    const tenant = await seedTenant(db());
    const address = freshEmail();
    const message = captureMessage(tenant, { email: address });
    const refused = new Set<string>();
    const puts: string[] = [];
    const busyKv = {
      get: env.KNOWLEDGE.get.bind(env.KNOWLEDGE),
      put: (key: string, value: string) => {
        puts.push(key);
        if (refused.has(key)) return env.KNOWLEDGE.put(key, value);
        refused.add(key);
        return Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"));
      },
    } as unknown as KVNamespace;
    const first = await run([message], { env: recorder({ KNOWLEDGE: busyKv } as Partial<Env>).env });
    expect(first.acked).toEqual(first.messageIds);
    expect(first.retried).toEqual([]);
    expect(first.report).toMatchObject({ stored: 1, knowledgePublished: 1 });
    const key = knowledgeKey(emailHashes(address).sha256);
    expect(puts).toEqual([key, key]);
    expect((await knowledgeEntry(address))?.activeBrands).toEqual([tenant.brandId]);
  });

  it("two deliveries of one capture in the same batch store it once and ack both", async () => {
    const tenant = await seedTenant(db());
    const message = captureMessage(tenant);
    const { acked, messageIds, report } = await run([message, message]);
    expect(acked).toEqual(messageIds);
    expect(report).toMatchObject({ stored: 1, acked: 2 });
    expect(report.outcomes.new).toBe(1);
  });
});

function normaliseEmailAddress(message: { request: { fields: Record<string, string> } }): string {
  const normalised = normaliseEmail(message.request.fields.email);
  if (typeof normalised === "string") throw new Error("bad email");
  return normalised.address;
}

describe("bad input", () => {
  it("a message that fails schema parsing goes to failed_events; the others of its batch are stored", async () => {
    const tenant = await seedTenant(db());
    const a = captureMessage(tenant);
    const b = captureMessage(tenant);
    const poison = { v: 1, captureId: "not-a-uuid", email: "secret@leadrail-mail.net" };
    const { acked, messageIds, retried, report, ids } = await run([a, poison, b]);
    expect(acked).toEqual(messageIds);
    expect(retried).toEqual([]);
    expect(report).toMatchObject({ stored: 2, poison: 1, fallback: false });
    expect((await captureRow(a.captureId))?.outcome).toBe("new");
    expect((await captureRow(b.captureId))?.outcome).toBe("new");
    const poisonId = ids[1] ?? "";
    const [row] = await db()
      .select()
      .from(failedEvents)
      .where(and(eq(failedEvents.queue, queueNames.captures), eq(failedEvents.messageId, poisonId)));
    expect(row).toMatchObject({
      queue: "leadrail-captures",
      body: poison,
      attempts: 1,
      error: "invalid_message",
      replayCount: 0,
      replayedAt: null,
    });
    expect(row?.meta).toMatchObject({
      issues: expect.arrayContaining([{ path: "captureId", code: "invalid_format" }]),
    });
  });

  it("NUL bytes and lone surrogates anywhere in a submission are stored as U+FFFD, not refused by Postgres", async () => {
    const tenant = await seedTenant(db());
    const message = captureMessage(tenant, {
      fields: { "note\u0000": "a\u0000b\uD800c", comment: "\\u0000 stays text" },
      headers: { "x-odd": "\uDC00\u0000" },
    });
    const { report, acked, messageIds } = await run([message]);
    expect(report.stored).toBe(1);
    expect(acked).toEqual(messageIds);
    const row = await captureRow(message.captureId);
    expect(row?.fields).toMatchObject({ "note\uFFFD": "a\uFFFDb\uFFFDc", comment: "\\u0000 stays text" });
    const [log] = await db()
      .select()
      .from(captureHttpLogs)
      .where(eq(captureHttpLogs.captureId, message.captureId));
    expect(log?.requestHeaders).toMatchObject({ "x-odd": "\uFFFD\uFFFD" });
    expect(log?.requestBody).toBe(message.request.body);
  });

  it("a bot is stored as bot and creates no contact", async () => {
    const tenant = await seedTenant(db());
    const address = freshEmail();
    const crawler = captureMessage(tenant, {
      email: address,
      headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" },
    });
    const scored = captureMessage(tenant, {
      email: address,
      cf: { asn: 4766, botManagement: { score: 3, verifiedBot: false } },
    });
    const cloud = captureMessage(tenant, { email: address, cf: { asn: 16509 } });
    const { report } = await run([crawler, scored, cloud]);
    expect(report.outcomes).toEqual({ new: 0, duplicate: 0, restored: 0, invalid: 0, bot: 3 });
    const rows = await db()
      .select()
      .from(captures)
      .where(inArray(captures.id, [crawler.captureId, scored.captureId, cloud.captureId]));
    expect(
      Object.fromEntries(rows.map((r) => [r.id, [r.outcome, r.isBot, r.botReason, r.contactId]])),
    ).toEqual({
      [crawler.captureId]: ["bot", true, "user_agent", null],
      [scored.captureId]: ["bot", true, "bot_score", null],
      [cloud.captureId]: ["bot", true, "asn", null],
    });
    expect(rows.every((r) => r.emailId !== null)).toBe(true);
    expect(await relationship(address, tenant.brandId)).toBeUndefined();
    const [emailRow] = await db().select().from(emails).where(eq(emails.address, address));
    expect(
      await db()
        .select()
        .from(contacts)
        .where(eq(contacts.emailId, emailRow?.id ?? -1)),
    ).toEqual([]);
    expect(await knowledgeEntry(address)).toBeNull();
  });

  it("every invalid case is stored as invalid with its per-field categories", async () => {
    const tenant = await seedTenant(db());
    const inactive = await seedTenant(db(), { landingActive: false });
    const cases: [string, ReturnType<typeof captureMessage>, [string, string][]][] = [
      ["missing email", captureMessage(tenant, { email: null }), [["email", "missing"]]],
      ["garbage email", captureMessage(tenant, { email: "not an email" }), [["email", "malformed"]]],
      ["disposable", captureMessage(tenant, { email: "kim@mailinator.com" }), [["email", "disposable"]]],
      [
        "role mailbox",
        captureMessage(tenant, { email: "postmaster@leadrail-mail.net" }),
        [["email", "suspicious"]],
      ],
      [
        "huge field",
        captureMessage(tenant, {
          fields: { first_name: "a".repeat(2048) },
          truncatedFields: { first_name: 90000 },
        }),
        [["first_name", "too_long"]],
      ],
      [
        "names",
        captureMessage(tenant, { fields: { first_name: "<b>x</b>", last_name: "Kim2" } }),
        [
          ["first_name", "suspicious"],
          ["last_name", "malformed"],
        ],
      ],
      ["phone", captureMessage(tenant, { fields: { phone: "123" } }), [["phone", "too_short"]]],
      [
        "birth year",
        captureMessage(tenant, { fields: { birth_year: "1800" } }),
        [["birth_year", "out_of_range"]],
      ],
      ["country", captureMessage(tenant, { fields: { country: "XX" } }), [["country", "not_allowed"]]],
      ["malformed body", captureMessage(tenant, { bodyError: "malformed_json" }), [["body", "malformed"]]],
      ["huge body", captureMessage(tenant, { bodyError: "too_large" }), [["body", "too_long"]]],
      [
        "unknown landing",
        captureMessage(tenant, {
          landingRef: "zzzzzzzz",
          landing: { id: null, brandId: null, themeId: null, partnerId: null, productId: null },
        }),
        [["landing", "not_allowed"]],
      ],
      [
        "landing that refers to nothing",
        captureMessage(tenant, {
          landing: { id: 2_000_000_000, brandId: null, themeId: null, partnerId: null, productId: null },
        }),
        [["landing", "not_allowed"]],
      ],
      ["inactive landing", captureMessage(inactive), [["landing", "not_allowed"]]],
      [
        "bad hash id",
        captureMessage(tenant, { overrides: { p: { raw: "!!", valid: false } } }),
        [["p", "not_allowed"]],
      ],
      [
        "hash id of nothing",
        captureMessage(tenant, {
          overrides: { b: { raw: "x", valid: true } },
          landing: { brandId: 2_000_000_000 },
        }),
        [["b", "not_allowed"]],
      ],
    ];
    const { report, acked, messageIds } = await run(cases.map(([, message]) => message));
    expect(acked).toEqual(messageIds);
    expect(report.outcomes.invalid).toBe(cases.length);
    for (const [name, message, expected] of cases) {
      const row = await captureRow(message.captureId);
      expect([name, row?.outcome, row?.contactId]).toEqual([name, "invalid", null]);
      const errors = await db()
        .select({ field: captureFieldErrors.field, category: captureFieldErrors.category })
        .from(captureFieldErrors)
        .where(eq(captureFieldErrors.captureId, message.captureId));
      expect([name, errors.map((e) => [e.field, e.category]).sort()]).toEqual([name, [...expected].sort()]);
    }
    // An invalid capture with a usable address still links its email row, but makes no contact.
    const disposable = cases[2]?.[1];
    expect((await captureRow(disposable?.captureId ?? ""))?.emailId).not.toBeNull();
    const unknownLanding = await captureRow(cases[11]?.[1].captureId ?? "");
    expect([unknownLanding?.landingId, unknownLanding?.brandId]).toEqual([null, null]);
  });
});

describe("isolation", () => {
  it("a message the database refuses cannot hold its batch: the others are stored one by one, it is retried", async () => {
    const tenant = await seedTenant(db());
    const a = captureMessage(tenant);
    const b = captureMessage(tenant);
    const refused = captureMessage(tenant);
    // Passes the message schema but not the integer column it lands in.
    refused.request.bodyBytes = 3_000_000_000;
    const { report, acked, retried, ids } = await run([a, refused, b], { attempts: 2 });
    expect(report).toMatchObject({ fallback: true, stored: 2, acked: 2, retried: 1 });
    expect(acked).toEqual([ids[0], ids[2]].sort());
    expect(retried).toEqual([{ msgId: ids[1], delaySeconds: 4 }]);
    expect((await captureRow(a.captureId))?.outcome).toBe("new");
    expect((await captureRow(b.captureId))?.outcome).toBe("new");
    expect(await captureRow(refused.captureId)).toBeUndefined();
  });

  it("concurrent batches capturing one email for one brand stay exact: one new, one duplicate", async () => {
    const tenant = await seedTenant(db());
    const address = freshEmail();
    const x = captureMessage(tenant, { email: address });
    const y = captureMessage(tenant, { email: address });
    const [rx, ry] = await Promise.all([run([x]), run([y])]);
    const outcomes = [rx, ry].map((r) =>
      r.report.outcomes.new === 1 ? "new" : r.report.outcomes.duplicate === 1 ? "duplicate" : "other",
    );
    expect(outcomes.sort()).toEqual(["duplicate", "new"]);
    expect(await relationship(address, tenant.brandId)).toMatchObject({
      state: "active",
      captureCount: 2,
      duplicateCount: 1,
    });
    const normalised = normaliseEmailAddress(x);
    const contactRows = await db()
      .select({ id: contacts.id })
      .from(contacts)
      .innerJoin(emails, eq(emails.id, contacts.emailId))
      .where(eq(emails.address, normalised));
    expect(contactRows).toHaveLength(1);
  });
});

describe("database down", () => {
  it("retries every message with the exact back-off delay and writes nothing", async () => {
    const tenant = await seedTenant(db());
    const messages = [captureMessage(tenant), captureMessage(tenant), { garbage: true }];
    const down = recorder({
      DB_WS_PROXY: "127.0.0.1:9",
      DATABASE_URL: "postgres://postgres@127.0.0.1:9/none",
      CAPTURE_RETRY_BASE_SECONDS: "3",
    } as Partial<Env>);
    const third = await run(messages, { env: down.env, attempts: 3 });
    expect(third.acked).toEqual([]);
    expect(third.retried.map((r) => r.delaySeconds)).toEqual([12, 12, 12]);
    expect(third.retried.map((r) => r.msgId).sort()).toEqual(third.messageIds);
    const first = await run(messages, { env: down.env, attempts: 1 });
    expect(first.retried.map((r) => r.delaySeconds)).toEqual([3, 3, 3]);
    const late = await run(messages.slice(0, 1), { env: down.env, attempts: 9 });
    expect(late.retried.map((r) => r.delaySeconds)).toEqual([300]);
    const defaults = recorder({ DB_WS_PROXY: "127.0.0.1:9" } as Partial<Env>);
    const fifth = await run(messages.slice(0, 1), { env: defaults.env, attempts: 5 });
    expect(fifth.retried.map((r) => r.delaySeconds)).toEqual([32]);
    expect(await captureRow((messages[0] as { captureId: string }).captureId)).toBeUndefined();
  });
});

describe("round trips", () => {
  async function statementsFor(size: number, tenant: Tenant): Promise<number> {
    const messages = Array.from({ length: size }, (_, i) =>
      captureMessage(tenant, {
        email: i % 5 === 4 ? "bad" : freshEmail(),
        headers: i % 7 === 6 ? { "user-agent": "curl/8" } : {},
      }),
    );
    const { report } = await run(messages);
    expect(report.stored).toBe(size);
    return report.statements;
  }

  it("a batch costs the same number of statements whatever its size", async () => {
    const tenant = await seedTenant(db(), {
      relayTargets: [{ e: "email" }],
      partner: { postbackUrl: "https://n.leadrail.test/p" },
    });
    const one = await statementsFor(1, tenant);
    const fifty = await statementsFor(50, tenant);
    const hundred = await statementsFor(100, tenant);
    expect(one).toBe(5);
    expect([fifty, hundred]).toEqual([one, one]);
  });
});

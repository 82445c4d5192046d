import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { leadrailSignature } from "../../api/adapters/email-signatures.ts";
import { messageOptOuts } from "../../db/schema/messaging.ts";
import { encodeLinkToken } from "../../domain/messaging/links.ts";
import { SendPacer } from "../../domain/messaging/pacer.ts";
import { type Env, edgeConfig } from "../../domain/platform/env.ts";
import { call, ids, withDb } from "../support/api.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";
import {
  addRecipient,
  adText,
  bodyRecorder,
  consumeSends,
  createCampaign,
  createMessagingTenant,
  createTemplate,
  deliverReports,
  historyRows,
  mobile,
  queueSends,
  reconfirmText,
  sendRows,
  simulatorMessages,
} from "../support/messaging.ts";

/*
 * The sends consumer on real batches against the message simulator (test/global-setup.ts): the gate's
 * outcomes, the provider's, the history, holds back on the queue, caps across batches, pacing, redelivery,
 * and the delivery reports and opt-outs that come back through the webhooks and the events queue.
 */

const now = new Date("2026-06-01T03:00:00.000Z"); // 12:00 in Seoul, 23:00 in New York
const clock = () => now;
const fresh = "2025-09-01T00:00:00.000Z";
const alphabet = edgeConfig(env).SQIDS_ALPHABET;
const hash = (id: number) => ids.encode("messageSend", id);

describe("the sends consumer", () => {
  it("decides a batch with one send per outcome, writes each status once with its history", async () => {
    const tenant = await createMessagingTenant();
    const template = await createTemplate(tenant, {
      status: "in_review",
      class: "informational",
      text: "#{name}님, 주문하신 상품이 발송되었습니다.",
    });
    const campaign = await createCampaign(tenant, [
      { channel: "lms", class: "advertising", text: adText, subject: "여름 세일" },
      {
        channel: "lms",
        class: "advertising",
        text: "아크미 여름 세일 02-930-2266\n무료수신거부 080-123-4567",
      },
      { channel: "alimtalk", class: "informational", templateId: template, variables: { name: "{name}" } },
      { channel: "lms", class: "advertising", text: `${adText} 😀` },
    ]);
    const sms = [{ channel: "sms" as const, at: fresh }];
    const accepted = await addRecipient(tenant, {
      phone: "+82 10-2345-6789",
      firstName: "서연",
      consents: sms,
    });
    const night = await addRecipient(tenant, { timeZone: "America/New_York", consents: sms });
    const reconfirm = await addRecipient(tenant, {
      consents: [{ channel: "sms", at: "2024-05-01T00:00:00.000Z" }],
    });
    const noConsent = await addRecipient(tenant);
    const optedOutPhone = mobile();
    const optedOut = await addRecipient(tenant, { phone: optedOutPhone, consents: sms });
    const noPhone = await addRecipient(tenant, { phone: null, consents: sms });
    const badZone = await addRecipient(tenant, { timeZone: "Mars/Olympus", consents: sms });
    const rejected = await addRecipient(tenant, { phone: mobile("0000"), consents: sms });
    const failing = await addRecipient(tenant, { phone: mobile("9999"), consents: sms });
    const noPrefix = await addRecipient(tenant, { consents: sms });
    const template2 = await addRecipient(tenant);
    const emoji = await addRecipient(tenant, { consents: sms });
    await withDb((db) =>
      db.insert(messageOptOuts).values({
        brandId: tenant.brandId,
        phone: optedOutPhone.replaceAll("-", ""),
        via: "080",
        at: new Date("2026-05-20T00:00:00.000Z"),
        sourceId: `test-${optedOutPhone}`,
      }),
    );
    const sendIds = await queueSends(tenant, campaign, [
      { recipient: accepted },
      { recipient: night },
      { recipient: reconfirm },
      { recipient: noConsent },
      { recipient: optedOut },
      { recipient: noPhone },
      { recipient: badZone },
      { recipient: rejected },
      { recipient: failing },
      { recipient: noPrefix, arm: 1 },
      { recipient: template2, arm: 2 },
      { recipient: emoji, arm: 3 },
    ]);
    const [
      sAccepted,
      sNight,
      sReconfirm,
      sNoConsent,
      sOptOut,
      sNoPhone,
      sZone,
      sRejected,
      sFailing,
      sPrefix,
      sTemplate,
      sEmoji,
    ] = sendIds as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];

    const run = await consumeSends([sendIds.slice(0, 6), sendIds.slice(6)], { now: clock });
    expect(run.report).toMatchObject({
      messages: 2,
      loaded: 12,
      accepted: 2,
      reconfirm: 1,
      rejected: 1,
      refused: 7,
      held: 1,
      inDoubt: 0,
      requeued: 1,
      providerCalls: 1,
      acked: 2,
      retried: 0,
    });
    // load, claim, write: three statements whatever the batch holds.
    expect(run.report.statements).toBe(3);
    expect(run.acked).toEqual([...run.ids].sort());
    expect(run.requeued).toEqual([{ body: { type: "sends", sendIds: [sNight] }, delaySeconds: 32_400 }]);

    const rows = new Map((await sendRows(sendIds)).map((row) => [row.id, row]));
    const link = `http://127.0.0.1:8787/m/${encodeLinkToken(alphabet, { sendId: sAccepted, messageCampaignId: campaign, arm: 0 })}`;
    expect(rows.get(sAccepted)).toMatchObject({
      status: "accepted",
      provider: "solapi",
      providerCode: "2000",
      toNumber: "01023456789",
      text: `(광고)아크미 서연님 여름 세일 ${link} 문의 02-930-2266\n무료수신거부 080-123-4567`,
      attempts: 1,
      sentAt: now,
      rule: null,
    });
    expect(rows.get(sAccepted)?.providerMessageId).toMatch(/^M4V/);
    expect(rows.get(sNight)).toMatchObject({
      status: "held",
      rule: "night.hold",
      heldUntil: new Date("2026-06-01T12:00:00.000Z"),
      attempts: 0,
      provider: null,
    });
    expect(rows.get(sReconfirm)).toMatchObject({
      status: "reconfirm",
      rule: "consent.reconfirm",
      providerCode: "2000",
      text: reconfirmText,
      sentAt: now,
    });
    expect(rows.get(sReconfirm)?.providerMessageId).toMatch(/^M4V/);
    const refused = (id: number) => ({ status: rows.get(id)?.status, rule: rows.get(id)?.rule });
    expect(refused(sNoConsent)).toEqual({ status: "refused", rule: "consent.missing" });
    expect(refused(sOptOut)).toEqual({ status: "refused", rule: "optout" });
    expect(refused(sNoPhone)).toEqual({ status: "refused", rule: "recipient.number" });
    expect(refused(sZone)).toEqual({ status: "refused", rule: "time_zone.invalid" });
    expect(refused(sPrefix)).toEqual({ status: "refused", rule: "ad.prefix" });
    expect(refused(sTemplate)).toEqual({ status: "refused", rule: "alimtalk.template" });
    expect(refused(sEmoji)).toEqual({ status: "refused", rule: "encoding.euc_kr" });
    expect(rows.get(sOptOut)?.detail).toBe(
      "The recipient opted out of the brand's advertising by 080 at 2026-05-20T00:00:00.000Z",
    );
    expect(rows.get(sRejected)).toMatchObject({
      status: "rejected",
      rule: "1060",
      providerCode: "1060",
      finalAt: now,
    });
    expect(rows.get(sFailing)).toMatchObject({ status: "accepted", providerCode: "2000" });

    const history = await historyRows(sendIds);
    expect(history.filter((h) => h.status !== "queued").map((h) => [h.sendId, h.status, h.rule])).toEqual([
      [sAccepted, "accepted", null],
      [sNight, "held", "night.hold"],
      [sReconfirm, "reconfirm", "consent.reconfirm"],
      [sNoConsent, "refused", "consent.missing"],
      [sOptOut, "refused", "optout"],
      [sNoPhone, "refused", "recipient.number"],
      [sZone, "refused", "time_zone.invalid"],
      [sRejected, "rejected", "1060"],
      [sFailing, "accepted", null],
      [sPrefix, "refused", "ad.prefix"],
      [sTemplate, "refused", "alimtalk.template"],
      [sEmoji, "refused", "encoding.euc_kr"],
    ]);
    expect(history.filter((h) => h.status === "queued")).toHaveLength(12);

    // The simulator got exactly the three messages it was handed, the notice as an SMS of its own.
    const sent = await simulatorMessages(sendIds.map(hash));
    expect(sent.map((m) => [m.customFields.leadrailId, m.type, m.to]).sort()).toEqual(
      [
        [hash(sAccepted), "LMS", "01023456789"],
        [hash(sReconfirm), "SMS", rows.get(sReconfirm)?.toNumber],
        [hash(sRejected), "LMS", rows.get(sRejected)?.toNumber],
        [hash(sFailing), "LMS", rows.get(sFailing)?.toNumber],
      ].sort(),
    );

    // Redelivered: nothing is sent again, nothing written.
    const again = await consumeSends([sendIds], { now: clock });
    expect(again.report).toMatchObject({
      accepted: 0,
      reconfirm: 0,
      refused: 0,
      skipped: 11,
      providerCalls: 0,
      requeued: 1,
    });
    expect(await simulatorMessages(sendIds.map(hash))).toHaveLength(4);
    expect(await historyRows(sendIds)).toHaveLength(history.length);

    // The delivery reports come back through the webhook and the events queue.
    const accepted1 = rows.get(sAccepted)?.providerMessageId ?? "";
    const failing1 = rows.get(sFailing)?.providerMessageId ?? "";
    const notice = rows.get(sReconfirm)?.providerMessageId ?? "";
    const applied = await deliverReports([accepted1, failing1, notice]);
    expect(applied.report.parts["message.receipt"]).toMatchObject({ applied: 2, notices: 1, unknown: 0 });
    const after = new Map((await sendRows(sendIds)).map((row) => [row.id, row]));
    expect(after.get(sAccepted)).toMatchObject({ status: "delivered", providerCode: "4000", rule: null });
    expect(after.get(sFailing)).toMatchObject({ status: "failed", providerCode: "3043", rule: "3043" });
    expect(after.get(sFailing)?.finalAt).not.toBeNull();
    expect(after.get(sReconfirm)).toMatchObject({ status: "reconfirm", providerCode: "4000" });
    const finalHistory = (await historyRows([sAccepted, sFailing, sReconfirm])).map((h) => [
      h.sendId,
      h.status,
      h.providerCode,
    ]);
    expect(finalHistory).toEqual([
      [sAccepted, "queued", null],
      [sAccepted, "accepted", "2000"],
      [sAccepted, "delivered", "4000"],
      [sReconfirm, "queued", null],
      [sReconfirm, "reconfirm", "2000"],
      [sReconfirm, "reconfirm", "4000"],
      [sFailing, "queued", null],
      [sFailing, "accepted", "2000"],
      [sFailing, "failed", "3043"],
    ]);

    // A final status is not overwritten by a later report; an unknown message is counted.
    const late = await consumeEventsBatch([
      {
        type: "message.receipt",
        v: 1,
        provider: "solapi",
        receipts: [
          {
            providerMessageId: accepted1,
            sendId: sAccepted,
            status: "failed",
            providerCode: "3043",
            providerMessage: null,
            at: "2026-06-01T04:00:00.000Z",
          },
          {
            providerMessageId: "M4VUNKNOWN",
            sendId: null,
            status: "delivered",
            providerCode: "4000",
            providerMessage: null,
            at: "2026-06-01T04:00:00.000Z",
          },
        ],
      },
    ]);
    expect(late.report.parts["message.receipt"]).toEqual({
      received: 2,
      applied: 0,
      notices: 0,
      final: 1,
      unknown: 1,
    });
    expect((await sendRows([sAccepted]))[0]?.status).toBe("delivered");
  });

  it("releases a held send at its hour and puts an early one back for the time left", async () => {
    const tenant = await createMessagingTenant();
    const campaign = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const person = await addRecipient(tenant, {
      timeZone: "America/New_York",
      consents: [{ channel: "sms", at: fresh }],
    });
    const [id = 0] = await queueSends(tenant, campaign, [{ recipient: person }]);
    await consumeSends([[id]], { now: clock });
    const early = await consumeSends([[id]], { now: () => new Date("2026-06-01T11:00:00.000Z") });
    expect(early.requeued).toEqual([{ body: { type: "sends", sendIds: [id] }, delaySeconds: 3600 }]);
    expect((await sendRows([id]))[0]?.status).toBe("held");
    const due = await consumeSends([[id]], { now: () => new Date("2026-06-01T12:00:00.000Z") });
    expect(due.report).toMatchObject({ accepted: 1, requeued: 0 });
    expect((await historyRows([id])).map((h) => h.status)).toEqual(["queued", "held", "accepted"]);
  });

  it("caps advertising per channel across batches, and leaves a paused campaign's sends queued", async () => {
    const tenant = await createMessagingTenant({ caps: { lms: { max: 1, windowMs: 24 * 3_600_000 } } });
    const first = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const second = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const paused = await createCampaign(
      tenant,
      [{ channel: "lms", class: "advertising", text: adText }],
      "paused",
    );
    const person = await addRecipient(tenant, { consents: [{ channel: "sms", at: fresh }] });
    const [a = 0] = await queueSends(tenant, first, [{ recipient: person }]);
    const [b = 0] = await queueSends(tenant, second, [{ recipient: person }]);
    const [p = 0] = await queueSends(tenant, paused, [{ recipient: person }]);
    expect((await consumeSends([[a]], { now: clock })).report.accepted).toBe(1);
    const later = await consumeSends([[b, p]], { now: () => new Date(now.getTime() + 3_600_000) });
    expect(later.report).toMatchObject({ accepted: 0, refused: 1, skipped: 1, acked: 1 });
    const [rowB, rowP] = await sendRows([b, p]);
    expect(rowB).toMatchObject({
      status: "refused",
      rule: "frequency.cap",
      detail: "1 advertising LMS sends in the last 1 d, at most 1",
    });
    expect(rowP).toMatchObject({ status: "queued", attempts: 0 });
    // A day after the first, it has left the window.
    const [c = 0] = await queueSends(
      tenant,
      await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]),
      [{ recipient: person }],
    );
    expect(
      (await consumeSends([[c]], { now: () => new Date(now.getTime() + 24 * 3_600_000) })).report.accepted,
    ).toBe(1);
  });

  it("paces provider requests to the rate", async () => {
    const tenant = await createMessagingTenant();
    const campaign = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const people = await Promise.all(
      [1, 2, 3, 4, 5].map(() => addRecipient(tenant, { consents: [{ channel: "sms", at: fresh }] })),
    );
    const sendIds = await queueSends(
      tenant,
      campaign,
      people.map((recipient) => ({ recipient })),
    );
    let at = 0;
    const sleeps: number[] = [];
    const pacer = new SendPacer(2, {
      now: () => at,
      sleep: async (ms) => {
        sleeps.push(ms);
        at += ms;
      },
    });
    const run = await consumeSends([sendIds], { now: clock, pacer });
    expect(run.report).toMatchObject({ accepted: 5, providerCalls: 3, pacedMs: 2000 });
    expect(sleeps).toEqual([1000, 1000]);
  });

  it("never sends twice a send whose provider answer was lost; its report still applies by our id", async () => {
    const tenant = await createMessagingTenant();
    const campaign = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const person = await addRecipient(tenant, { consents: [{ channel: "sms", at: fresh }] });
    const [id = 0] = await queueSends(tenant, campaign, [{ recipient: person }]);
    // A consumer claimed it, called the provider and died before writing.
    await withDb((db) =>
      db.execute(sql`UPDATE message_sends SET attempts = 1, provider = 'solapi' WHERE id = ${id}`),
    );
    const run = await consumeSends([[id]], { now: clock });
    expect(run.report).toMatchObject({ inDoubt: 1, providerCalls: 0, acked: 1 });
    expect((await sendRows([id]))[0]).toMatchObject({
      status: "failed",
      rule: "provider.in_doubt",
      attempts: 1,
    });
    expect(await simulatorMessages([hash(id)])).toEqual([]);
    const report = await consumeEventsBatch([
      {
        type: "message.receipt",
        v: 1,
        provider: "solapi",
        receipts: [
          {
            providerMessageId: "M4VLOST0001",
            sendId: id,
            status: "delivered",
            providerCode: "4000",
            providerMessage: "수신 완료",
            at: "2026-06-01T03:00:05.000Z",
          },
        ],
      },
    ]);
    expect(report.report, JSON.stringify(report.report)).toMatchObject({ acked: 1 });
    expect(report.report.parts["message.receipt"]).toMatchObject({ applied: 1 });
    expect((await sendRows([id]))[0]).toMatchObject({
      status: "delivered",
      providerMessageId: "M4VLOST0001",
      finalAt: new Date("2026-06-01T03:00:05.000Z"),
      sentAt: new Date("2026-06-01T03:00:05.000Z"),
      rule: null,
    });
  });

  it("retries after a 503 without sending, and rejects on bad credentials naming the error", async () => {
    const tenant = await createMessagingTenant();
    const campaign = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const people = await Promise.all(
      [1, 2].map(() => addRecipient(tenant, { consents: [{ channel: "sms", at: fresh }] })),
    );
    const [first = 0, second = 0] = await queueSends(
      tenant,
      campaign,
      people.map((recipient) => ({ recipient })),
    );
    const unavailable = {
      name: "solapi",
      send: async () => {
        throw new Error("unused");
      },
      sendMany: async () => {
        const { ProviderError } = await import("../../domain/messaging/provider.ts");
        throw new ProviderError("http", "Solapi refused (503)", { httpStatus: 503 });
      },
      status: async () => {
        throw new Error("unused");
      },
      parseReceipt: () => [],
    };
    const retried = await consumeSends([[first]], { now: clock, provider: unavailable });
    expect(retried.report).toMatchObject({ released: 1, acked: 0, retried: 1 });
    expect((await sendRows([first]))[0]).toMatchObject({ status: "queued", attempts: 1, provider: null });
    const sent = await consumeSends([[first]], { now: clock });
    expect(sent.report.accepted).toBe(1);
    expect((await sendRows([first]))[0]).toMatchObject({ status: "accepted", attempts: 2 });

    const refused = await consumeSends([[second]], {
      now: clock,
      env: { MESSAGING_PROVIDER_API_SECRET: "wrong" },
    });
    expect(refused.report).toMatchObject({ rejected: 1, acked: 1 });
    expect((await sendRows([second]))[0]).toMatchObject({
      status: "rejected",
      rule: "provider.auth",
      providerCode: "SignatureDoesNotMatch",
    });
  });

  it("applies an opt-out to the next batch, from the operators' API and from the signed webhook", async () => {
    const tenant = await createMessagingTenant();
    const brand = ids.encode("brand", tenant.brandId);
    const campaign = await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]);
    const phone = mobile();
    const byApi = await addRecipient(tenant, { phone, consents: [{ channel: "sms", at: fresh }] });
    const recorded = await call("POST", `/api/v1/brands/${brand}/opt-outs`, {
      key: tenant.key,
      body: { phone, via: "080", at: "2026-06-01T02:00:00.000Z", id: "call-1" },
    });
    expect(recorded.status, recorded.text).toBe(201);
    expect(recorded.body).toMatchObject({
      brand,
      phone: phone.replaceAll("-", ""),
      contact: ids.encode("contact", byApi.contactId),
      via: "080",
      at: "2026-06-01T02:00:00.000Z",
      source_id: "call-1",
    });
    const repeat = await call("POST", `/api/v1/brands/${brand}/opt-outs`, {
      key: tenant.key,
      body: { phone, via: "080", id: "call-1" },
    });
    expect(repeat.status).toBe(200);
    expect(repeat.body.id).toBe(recorded.body.id);
    const [a = 0] = await queueSends(tenant, campaign, [{ recipient: byApi }]);
    expect((await consumeSends([[a]], { now: clock })).report.refused).toBe(1);
    expect((await sendRows([a]))[0]?.rule).toBe("optout");

    const replyPhone = mobile();
    const byReply = await addRecipient(tenant, {
      phone: `+82${replyPhone.slice(1)}`,
      consents: [{ channel: "sms", at: fresh }],
    });
    const secret = "optout_secret_for_tests";
    const events = bodyRecorder();
    const body = JSON.stringify({
      brand,
      phone: replyPhone,
      via: "reply",
      at: "2026-06-01T02:30:00+09:00",
      id: `reply-${replyPhone}`,
    });
    const post = (signature: string) =>
      call("POST", "/webhooks/messaging/opt-outs", {
        key: null,
        rawBody: body,
        headers: { "x-leadrail-signature": signature },
        env: { MESSAGING_OPTOUT_WEBHOOK_SECRET: secret, EVENTS_QUEUE: events.queue } as Partial<Env>,
      });
    expect((await post("sha256=00")).status).toBe(401);
    const accepted = await post(
      await leadrailSignature(Uint8Array.from(new TextEncoder().encode(body)), secret),
    );
    expect(accepted.status, accepted.text).toBe(202);
    expect(events.bodies).toEqual([
      {
        type: "message.optout",
        v: 1,
        brandId: tenant.brandId,
        phone: replyPhone.replaceAll("-", ""),
        via: "reply",
        at: "2026-05-31T17:30:00.000Z",
        sourceId: `reply-${replyPhone}`,
      },
    ]);
    const stored = await consumeEventsBatch([...events.bodies, ...events.bodies]);
    expect(stored.report.parts["message.optout"]).toEqual({
      received: 2,
      stored: 1,
      duplicates: 1,
      unknownBrands: 0,
    });
    const [row] = await withDb((db) =>
      db.execute<{ contact_id: string }>(
        sql`SELECT contact_id FROM message_opt_outs WHERE source_id = ${`reply-${replyPhone}`}`,
      ),
    ).then((r) => r.rows);
    expect(Number(row?.contact_id)).toBe(byReply.contactId);
    const [b = 0] = await queueSends(
      tenant,
      await createCampaign(tenant, [{ channel: "lms", class: "advertising", text: adText }]),
      [{ recipient: byReply }],
    );
    await consumeSends([[b]], { now: clock });
    expect((await sendRows([b]))[0]?.rule).toBe("optout");
  });
});

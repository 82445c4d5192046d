import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { encodeLinkToken } from "../../domain/messaging/links.ts";
import { edgeConfig } from "../../domain/platform/env.ts";
import { ids, withDb } from "../support/api.ts";
import {
  addRecipient,
  adText,
  consumeSends,
  createCampaign,
  createMessagingTenant,
  createTemplate,
  deliverReports,
  historyRows,
  kakaoSenderKey,
  queueSends,
  sendRows,
  simulatorMessages,
} from "../support/messaging.ts";

/*
 * The two Kakao channels through the real sends consumer, the Solapi adapter and the message simulator
 * (test/global-setup.ts): what goes on the wire for an AlimTalk and a brand message, the statuses written,
 * the delivery reports that come back, and the refusals that keep a Kakao message off the wire.
 */

const now = new Date("2026-06-01T03:00:00.000Z"); // 12:00 in Seoul
const clock = () => now;
const fresh = "2025-09-01T00:00:00.000Z";
const alphabet = edgeConfig(env).SQIDS_ALPHABET;
const hash = (id: number) => ids.encode("messageSend", id);
const shippedText = "#{name}님, 주문하신 #{item} 상품이 발송되었습니다.";

/** The wire fields the simulator kept for a send, in the order of `ids`. */
async function wire(sendIds: readonly number[]) {
  const byCustomId = new Map(
    (await simulatorMessages(sendIds.map(hash))).map((m) => [m.customFields.leadrailId, m]),
  );
  return sendIds.map((id) => {
    const message = byCustomId.get(hash(id));
    return message
      ? {
          to: message.to,
          from: message.from,
          type: message.type,
          text: message.text,
          subject: message.subject,
          kakaoOptions: message.kakaoOptions,
          customFields: message.customFields,
        }
      : null;
  });
}

describe("Kakao sends through the simulator", () => {
  it("sends an AlimTalk on its approved template and a brand message under kakao consent, and refuses what Kakao would not take", async () => {
    const tenant = await createMessagingTenant();
    const shipped = await createTemplate(tenant, {
      status: "approved",
      class: "informational",
      text: shippedText,
      variables: ["name", "item"],
    });
    const reviewing = await createTemplate(tenant, {
      status: "in_review",
      class: "informational",
      text: "#{name}님, 회원 등급이 변경되었습니다.",
      variables: ["name"],
    });
    const campaign = await createCampaign(tenant, [
      {
        channel: "alimtalk",
        class: "informational",
        templateId: shipped,
        variables: { name: "{name}", item: "여름 원피스" },
      },
      { channel: "brand_message", class: "advertising", text: adText },
      // Advertising cannot go as AlimTalk, whatever its template.
      {
        channel: "alimtalk",
        class: "advertising",
        templateId: shipped,
        variables: { name: "{name}", item: "x" },
      },
      { channel: "alimtalk", class: "informational", templateId: reviewing, variables: { name: "{name}" } },
    ]);
    const kakao = [{ channel: "kakao" as const, at: fresh }];
    // An informational AlimTalk needs no consent at all.
    const notified = await addRecipient(tenant, { phone: "+82 10-4567-8901", firstName: "하은" });
    const advertised = await addRecipient(tenant, {
      phone: "010-5678-9012",
      firstName: "도윤",
      consents: kakao,
    });
    // Consent to SMS is not consent to Kakao.
    const smsOnly = await addRecipient(tenant, { consents: [{ channel: "sms", at: fresh }] });
    const adAlimtalk = await addRecipient(tenant, { consents: kakao });
    const inReview = await addRecipient(tenant, { consents: kakao });
    const sendIds = await queueSends(tenant, campaign, [
      { recipient: notified, arm: 0 },
      { recipient: advertised, arm: 1 },
      { recipient: smsOnly, arm: 1 },
      { recipient: adAlimtalk, arm: 2 },
      { recipient: inReview, arm: 3 },
    ]);
    const [sAlimtalk, sBrand, sNoConsent, sAdvertising, sReview] = sendIds as [
      number,
      number,
      number,
      number,
      number,
    ];

    const run = await consumeSends([sendIds], { now: clock });
    expect(run.report).toMatchObject({
      messages: 1,
      loaded: 5,
      accepted: 2,
      refused: 3,
      rejected: 0,
      held: 0,
      inDoubt: 0,
      providerCalls: 1,
      acked: 1,
      retried: 0,
      statements: 3,
    });

    const link = `http://127.0.0.1:8787/m/${encodeLinkToken(alphabet, { sendId: sBrand, messageCampaignId: campaign, arm: 1 })}`;
    const brandText = `(광고)아크미 도윤님 여름 세일 ${link} 문의 02-930-2266\n무료수신거부 080-123-4567`;
    const templateCode = (
      await withDb((db) =>
        db.execute<{ code: string }>(sql`SELECT code FROM message_templates WHERE id = ${shipped}`),
      )
    ).rows[0]?.code;
    expect(templateCode).toMatch(/^TPL_/);
    expect(await wire(sendIds)).toEqual([
      {
        to: "01045678901",
        from: "0293022660",
        type: "ATA",
        // With variables Solapi fills the template itself: no text.
        text: null,
        subject: null,
        kakaoOptions: {
          pfId: kakaoSenderKey,
          templateId: templateCode,
          variables: { "#{name}": "하은", "#{item}": "여름 원피스" },
          disableSms: true,
        },
        customFields: { leadrailId: hash(sAlimtalk) },
      },
      {
        to: "01056789012",
        from: "0293022660",
        type: "BMS_TEXT",
        text: brandText,
        subject: null,
        kakaoOptions: { pfId: kakaoSenderKey, bms: { targeting: "I" } },
        customFields: { leadrailId: hash(sBrand) },
      },
      null,
      null,
      null,
    ]);

    const rows = new Map((await sendRows(sendIds)).map((row) => [row.id, row]));
    expect(rows.get(sAlimtalk)).toMatchObject({
      status: "accepted",
      channel: "alimtalk",
      class: "informational",
      provider: "solapi",
      providerCode: "2000",
      toNumber: "01045678901",
      // The text as the recipient reads it, the template filled.
      text: "하은님, 주문하신 여름 원피스 상품이 발송되었습니다.",
      sentAt: now,
      rule: null,
      attempts: 1,
    });
    expect(rows.get(sBrand)).toMatchObject({
      status: "accepted",
      channel: "brand_message",
      class: "advertising",
      providerCode: "2000",
      toNumber: "01056789012",
      text: brandText,
      sentAt: now,
      rule: null,
    });
    const refusal = (id: number) => ({
      status: rows.get(id)?.status,
      rule: rows.get(id)?.rule,
      provider: rows.get(id)?.provider,
      attempts: rows.get(id)?.attempts,
    });
    expect(refusal(sNoConsent)).toEqual({
      status: "refused",
      rule: "consent.missing",
      provider: null,
      attempts: 0,
    });
    expect(refusal(sAdvertising)).toEqual({
      status: "refused",
      rule: "alimtalk.advertising",
      provider: null,
      attempts: 0,
    });
    expect(refusal(sReview)).toEqual({
      status: "refused",
      rule: "alimtalk.template",
      provider: null,
      attempts: 0,
    });

    // The delivery reports come back through the webhook: both delivered.
    const delivered = [
      rows.get(sAlimtalk)?.providerMessageId ?? "",
      rows.get(sBrand)?.providerMessageId ?? "",
    ];
    expect(delivered.every((id) => id.startsWith("M4V"))).toBe(true);
    const applied = await deliverReports(delivered);
    expect(applied.report.parts["message.receipt"]).toMatchObject({ applied: 2, unknown: 0 });
    const after = await sendRows([sAlimtalk, sBrand]);
    expect(after.map((row) => [row.status, row.providerCode])).toEqual([
      ["delivered", "4000"],
      ["delivered", "4000"],
    ]);
    expect((await historyRows(sendIds)).map((h) => [h.sendId, h.status, h.rule, h.providerCode])).toEqual([
      [sAlimtalk, "queued", null, null],
      [sAlimtalk, "accepted", null, "2000"],
      [sAlimtalk, "delivered", null, "4000"],
      [sBrand, "queued", null, null],
      [sBrand, "accepted", null, "2000"],
      [sBrand, "delivered", null, "4000"],
      [sNoConsent, "queued", null, null],
      [sNoConsent, "refused", "consent.missing", null],
      [sAdvertising, "queued", null, null],
      [sAdvertising, "refused", "alimtalk.advertising", null],
      [sReview, "queued", null, null],
      [sReview, "refused", "alimtalk.template", null],
    ]);
  });

  it("refuses both Kakao channels for a brand without a sender key, before anything reaches the provider", async () => {
    const tenant = await createMessagingTenant({ kakaoSenderKey: null });
    const shipped = await createTemplate(tenant, {
      status: "approved",
      class: "informational",
      text: shippedText,
      variables: ["name", "item"],
    });
    const campaign = await createCampaign(tenant, [
      {
        channel: "alimtalk",
        class: "informational",
        templateId: shipped,
        variables: { name: "{name}", item: "여름 원피스" },
      },
      { channel: "brand_message", class: "advertising", text: adText },
    ]);
    const kakao = [{ channel: "kakao" as const, at: fresh }];
    const sendIds = await queueSends(tenant, campaign, [
      { recipient: await addRecipient(tenant, { consents: kakao }), arm: 0 },
      { recipient: await addRecipient(tenant, { consents: kakao }), arm: 1 },
    ]);
    const run = await consumeSends([sendIds], { now: clock });
    expect(run.report).toMatchObject({ loaded: 2, accepted: 0, refused: 2, providerCalls: 0, acked: 1 });
    expect((await sendRows(sendIds)).map((row) => [row.channel, row.status, row.rule, row.detail])).toEqual([
      ["alimtalk", "refused", "sender.kakao_key", "The brand has no Kakao sender key"],
      ["brand_message", "refused", "sender.kakao_key", "The brand has no Kakao sender key"],
    ]);
    expect(await wire(sendIds)).toEqual([null, null]);
  });
});

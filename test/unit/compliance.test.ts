import { describe, expect, it } from "vitest";
import type { MessageChannel } from "../../domain/messaging/channels.ts";
import {
  checkSend,
  complianceRules,
  type GateDecision,
  type OutgoingMessage,
  type Recipient,
  type RecipientConsent,
  reconfirmationDue,
  type SendContext,
} from "../../domain/messaging/compliance.ts";
import { instantOfLocal, isNight, nightEndAfter } from "../../domain/messaging/night.ts";

/*
 * The gate, rule by rule: each rule refused and passed, with the edges of the issue (20:59, 21:00, 07:59,
 * 08:00 in Seoul and in zones with daylight saving time, the 90th and 91st SMS byte, the 2,000th and 2,001st
 * LMS byte) and the exact instants a held advertisement is released.
 */

const brand = 7;
const otherBrand = 8;
const hour = 3_600_000;
const day = 24 * hour;
const at = (iso: string) => new Date(iso);
const send: GateDecision = { decision: "send" };

// 12:00 in Seoul.
const noon = at("2026-05-12T03:00:00.000Z");
const context = (overrides: Partial<SendContext> = {}): SendContext => ({
  now: noon,
  brandId: brand,
  sender: { name: "리드레일", contact: "02-1234-5678", optOutNumber: "080-123-4567" },
  frequencyCaps: {},
  ...overrides,
});

const granted = (
  channel: RecipientConsent["channel"],
  iso = "2025-01-10T00:00:00.000Z",
): RecipientConsent => ({
  brandId: brand,
  channel,
  status: "granted",
  at: at(iso),
});
const recipient = (overrides: Partial<Recipient> = {}): Recipient => ({
  timeZone: "Asia/Seoul",
  consents: [granted("sms"), granted("kakao")],
  optOuts: [],
  sends: [],
  ...overrides,
});

// 56 EUC-KR bytes: (광고) 6, 리드레일 8, the contact 12, 봄세일 6, the opt-out line 21, three separators.
const adText = (filler = "") => `(광고)리드레일 02-1234-5678 봄세일${filler}\n무료거부 080-123-4567`;
const ad = (channel: MessageChannel = "sms", text = adText()): OutgoingMessage => ({
  channel,
  class: "advertising",
  text,
});
const notice = (channel: MessageChannel, text: string): OutgoingMessage => ({
  channel,
  class: "informational",
  text,
  template:
    channel === "alimtalk" ? { id: "order-shipped", status: "approved", class: "informational" } : null,
});

interface Row {
  name: string;
  message: OutgoingMessage;
  recipient?: Partial<Recipient>;
  context?: Partial<SendContext>;
  expected: GateDecision;
}

const table = (rows: Row[]) =>
  it.each(rows)("$name", (row) => {
    expect(checkSend(row.message, recipient(row.recipient), context(row.context))).toEqual(row.expected);
  });

describe("the order of the rules", () => {
  it("is fixed: message rules, then the recipient's opt-out, consent, night and frequency", () => {
    expect(complianceRules).toEqual([
      "text.empty",
      "alimtalk.advertising",
      "alimtalk.template",
      "encoding.euc_kr",
      "length.sms",
      "length.lms",
      "length.alimtalk",
      "length.brand_message",
      "ad.prefix",
      "ad.sender",
      "ad.optout",
      "optout",
      "consent.missing",
      "consent.reconfirm",
      "time_zone.invalid",
      "night.hold",
      "frequency.cap",
    ]);
  });

  table([
    {
      name: "an AlimTalk advertisement without a template is refused as advertising, the earlier rule",
      message: { channel: "alimtalk", class: "advertising", text: adText() },
      expected: {
        decision: "refuse",
        rule: "alimtalk.advertising",
        detail:
          "AlimTalk carries informational messages only; send advertising as a brand message, SMS or LMS",
      },
    },
    {
      name: "an SMS advertisement too long and without (광고) is refused for its length",
      message: ad("sms", "할인".repeat(23)),
      expected: {
        decision: "refuse",
        rule: "length.sms",
        detail: "92 bytes in EUC-KR, over the 90 of SMS; send it as LMS",
      },
    },
    {
      name: "an advertisement without (광고), at night, to a recipient without consent names the prefix",
      message: ad("sms", "봄세일 리드레일 02-1234-5678\n무료거부 080-123-4567"),
      recipient: { consents: [] },
      context: { now: at("2026-05-12T13:00:00.000Z") },
      expected: {
        decision: "refuse",
        rule: "ad.prefix",
        detail: "An advertisement starts with (광고), exactly so, before anything else",
      },
    },
    {
      name: "an opted-out recipient without consent names the opt-out",
      message: ad(),
      recipient: {
        consents: [],
        optOuts: [{ brandId: brand, at: at("2026-05-01T00:00:00.000Z"), via: "080" }],
      },
      expected: {
        decision: "refuse",
        rule: "optout",
        detail: "The recipient opted out of the brand's advertising by 080 at 2026-05-01T00:00:00.000Z",
      },
    },
    {
      name: "a consent due for re-confirmation at night asks for the re-confirmation, not a hold",
      message: ad(),
      recipient: { consents: [granted("sms", "2024-01-01T00:00:00.000Z")] },
      context: { now: at("2026-05-12T13:00:00.000Z") },
      expected: {
        decision: "reconfirm",
        rule: "consent.reconfirm",
        channel: "sms",
        detail:
          "The sms consent of 2024-01-01T00:00:00.000Z needed re-confirmation from 2026-01-01T00:00:00.000Z",
      },
    },
    {
      name: "at night over the cap the advertisement is held, and the cap is checked again at 08:00",
      message: ad(),
      recipient: { sends: [{ channel: "sms", class: "advertising", at: at("2026-05-12T12:00:00.000Z") }] },
      context: { now: at("2026-05-12T13:00:00.000Z"), frequencyCaps: { sms: { max: 1, windowMs: day } } },
      expected: {
        decision: "hold",
        rule: "night.hold",
        until: at("2026-05-12T23:00:00.000Z"),
        detail: "No advertising 21:00–08:00 in Asia/Seoul without night-time consent; held until 08:00 there",
      },
    },
  ]);
});

describe("text.empty", () => {
  table([
    {
      name: "no text is refused",
      message: notice("sms", ""),
      expected: { decision: "refuse", rule: "text.empty", detail: "The message has no text" },
    },
    {
      name: "only white space is refused",
      message: notice("lms", " \n\t"),
      expected: { decision: "refuse", rule: "text.empty", detail: "The message has no text" },
    },
    { name: "one character is sent", message: notice("sms", "."), expected: send },
  ]);
});

describe("SMS and LMS length in EUC-KR bytes, and characters EUC-KR cannot encode", () => {
  const smsOver = (bytes: number): GateDecision => ({
    decision: "refuse",
    rule: "length.sms",
    detail: `${bytes} bytes in EUC-KR, over the 90 of SMS; send it as LMS`,
  });
  const lmsOver = (bytes: number): GateDecision => ({
    decision: "refuse",
    rule: "length.lms",
    detail: `${bytes} bytes in EUC-KR, over the 2000 of LMS`,
  });
  table([
    {
      name: "SMS: 45 Hangul syllables are the 90th byte, sent",
      message: notice("sms", "가".repeat(45)),
      expected: send,
    },
    {
      name: "SMS: 45 Hangul syllables and one letter are the 91st byte, refused",
      message: notice("sms", `${"가".repeat(45)}a`),
      expected: smsOver(91),
    },
    { name: "SMS: 90 ASCII characters, sent", message: notice("sms", "a".repeat(90)), expected: send },
    {
      name: "SMS: 91 ASCII characters, refused",
      message: notice("sms", "a".repeat(91)),
      expected: smsOver(91),
    },
    {
      name: "SMS: 88 ASCII bytes and a syllable are 90, sent",
      message: notice("sms", `${"a".repeat(88)}가`),
      expected: send,
    },
    {
      name: "SMS: 89 ASCII bytes and a syllable are 91, refused (a syllable is never split)",
      message: notice("sms", `${"a".repeat(89)}가`),
      expected: smsOver(91),
    },
    {
      name: "SMS advertisement: the 56 bytes of the marks and 34 more are 90, sent",
      message: ad("sms", adText("x".repeat(34))),
      expected: send,
    },
    {
      name: "SMS advertisement: the marks and 17 syllables and a letter are 91, refused",
      message: ad("sms", adText(`${"나".repeat(17)}x`)),
      expected: smsOver(91),
    },
    { name: "LMS: 2,000 ASCII bytes, sent", message: notice("lms", "a".repeat(2000)), expected: send },
    {
      name: "LMS: 2,001 ASCII bytes, refused",
      message: notice("lms", "a".repeat(2001)),
      expected: lmsOver(2001),
    },
    {
      name: "LMS: 1,000 syllables are 2,000 bytes, sent",
      message: notice("lms", "가".repeat(1000)),
      expected: send,
    },
    {
      name: "LMS: 1,000 syllables and a letter are 2,001 bytes, refused",
      message: notice("lms", `${"가".repeat(1000)}a`),
      expected: lmsOver(2001),
    },
    {
      name: "LMS advertisement of 2,000 bytes, sent",
      message: ad("lms", adText("x".repeat(2000 - 56))),
      expected: send,
    },
    {
      name: "SMS with an emoji is refused naming it (it would arrive as ?)",
      message: notice("sms", "배송 완료 😀"),
      expected: {
        decision: "refuse",
        rule: "encoding.euc_kr",
        detail: 'Not encodable in EUC-KR, SMS would show ?: "😀" (U+1F600) at 6',
      },
    },
    {
      name: "LMS with accented Latin and a no-break space names each",
      message: notice("lms", "Café\u00a0주문"),
      expected: {
        decision: "refuse",
        rule: "encoding.euc_kr",
        detail: 'Not encodable in EUC-KR, LMS would show ?: "é" (U+00E9) at 3, "\u00a0" (U+00A0) at 4',
      },
    },
    {
      name: "an emoji is refused before the length (the count would be wrong)",
      message: notice("sms", `${"a".repeat(95)}😀`),
      expected: {
        decision: "refuse",
        rule: "encoding.euc_kr",
        detail: 'Not encodable in EUC-KR, SMS would show ?: "😀" (U+1F600) at 95',
      },
    },
    {
      name: "a CP949 extension syllable (똠) is 2 bytes and sent",
      message: notice("sms", "똠".repeat(45)),
      expected: send,
    },
    {
      name: "AlimTalk is Unicode: an emoji is sent",
      message: notice("alimtalk", "배송 완료 😀"),
      expected: send,
    },
  ]);
});

describe("Kakao text limits in characters", () => {
  table([
    {
      name: "AlimTalk: 1,000 characters, sent",
      message: notice("alimtalk", "가".repeat(1000)),
      expected: send,
    },
    {
      name: "AlimTalk: 1,001 characters, refused",
      message: notice("alimtalk", "가".repeat(1001)),
      expected: {
        decision: "refuse",
        rule: "length.alimtalk",
        detail: "1001 characters, over the 1000 of AlimTalk",
      },
    },
    {
      name: "AlimTalk: an emoji is one character (999 and one emoji, sent)",
      message: notice("alimtalk", `${"a".repeat(999)}😀`),
      expected: send,
    },
    {
      name: "brand message: 1,300 characters, sent",
      message: notice("brand_message", "가".repeat(1300)),
      expected: send,
    },
    {
      name: "brand message: 1,301 characters, refused",
      message: notice("brand_message", "가".repeat(1301)),
      expected: {
        decision: "refuse",
        rule: "length.brand_message",
        detail: "1301 characters, over the 1300 of a brand message",
      },
    },
    {
      name: "brand message: 99 line breaks, sent",
      message: notice("brand_message", Array(100).fill("줄").join("\n")),
      expected: send,
    },
    {
      name: "brand message: 100 line breaks, refused",
      message: notice("brand_message", Array(101).fill("줄").join("\n")),
      expected: {
        decision: "refuse",
        rule: "length.brand_message",
        detail: "100 line breaks, over the 99 of a brand message",
      },
    },
  ]);
});

describe("alimtalk.advertising and alimtalk.template", () => {
  const alimtalk = (template: OutgoingMessage["template"]): OutgoingMessage => ({
    channel: "alimtalk",
    class: "informational",
    text: "주문하신 상품이 발송되었습니다.",
    template,
  });
  table([
    {
      name: "advertising on AlimTalk, even with an approved template, is refused",
      message: {
        ...alimtalk({ id: "order-shipped", status: "approved", class: "informational" }),
        class: "advertising",
        text: adText(),
      },
      expected: {
        decision: "refuse",
        rule: "alimtalk.advertising",
        detail:
          "AlimTalk carries informational messages only; send advertising as a brand message, SMS or LMS",
      },
    },
    {
      name: "no template is refused",
      message: alimtalk(null),
      expected: {
        decision: "refuse",
        rule: "alimtalk.template",
        detail: "An AlimTalk message needs its approved template",
      },
    },
    {
      name: "a template still in review is refused",
      message: alimtalk({ id: "order-shipped", status: "in_review", class: "informational" }),
      expected: {
        decision: "refuse",
        rule: "alimtalk.template",
        detail: "Template order-shipped is in_review, not approved",
      },
    },
    {
      name: "a rejected template is refused",
      message: alimtalk({ id: "order-shipped", status: "rejected", class: "informational" }),
      expected: {
        decision: "refuse",
        rule: "alimtalk.template",
        detail: "Template order-shipped is rejected, not approved",
      },
    },
    {
      name: "an approved template of the advertising class is refused",
      message: alimtalk({ id: "spring-sale", status: "approved", class: "advertising" }),
      expected: {
        decision: "refuse",
        rule: "alimtalk.template",
        detail: "Template spring-sale is approved as advertising, not informational",
      },
    },
    {
      name: "an approved informational template is sent, with no marketing consent, at night",
      message: alimtalk({ id: "order-shipped", status: "approved", class: "informational" }),
      recipient: { consents: [] },
      context: { now: at("2026-05-12T15:00:00.000Z") },
      expected: send,
    },
  ]);
});

describe("ad.prefix, ad.sender, ad.optout", () => {
  const prefixRefused: GateDecision = {
    decision: "refuse",
    rule: "ad.prefix",
    detail: "An advertisement starts with (광고), exactly so, before anything else",
  };
  table([
    { name: "(광고) first, the name, the contact and the 080 line: sent", message: ad(), expected: send },
    {
      name: "a brand message advertisement with every mark: sent",
      message: ad("brand_message"),
      expected: send,
    },
    { name: "a space before (광고) is refused", message: ad("sms", ` ${adText()}`), expected: prefixRefused },
    {
      name: "[광고] is refused",
      message: ad("sms", adText().replace("(광고)", "[광고]")),
      expected: prefixRefused,
    },
    {
      name: "(광 고) is refused",
      message: ad("sms", adText().replace("(광고)", "(광 고)")),
      expected: prefixRefused,
    },
    {
      name: "(광고) in the middle is refused",
      message: ad("lms", `봄세일 ${adText()}`),
      expected: prefixRefused,
    },
    {
      name: "an informational message needs no (광고)",
      message: notice("sms", "주문이 접수되었습니다"),
      expected: send,
    },
    {
      name: "no sender name is refused",
      message: ad("sms", adText().replace("리드레일", "")),
      expected: {
        decision: "refuse",
        rule: "ad.sender",
        detail: 'An advertisement names its sender "리드레일"',
      },
    },
    {
      name: "a brand without a sender name is refused",
      message: ad(),
      context: { sender: { name: " ", contact: "02-1234-5678", optOutNumber: "080-123-4567" } },
      expected: { decision: "refuse", rule: "ad.sender", detail: 'An advertisement names its sender " "' },
    },
    {
      name: "no sender contact is refused",
      message: ad("sms", adText().replace("02-1234-5678", "")),
      expected: {
        decision: "refuse",
        rule: "ad.sender",
        detail: "An advertisement gives its sender's contact 02-1234-5678",
      },
    },
    {
      name: "the contact inside a longer number is refused",
      message: ad("sms", adText().replace("02-1234-5678", "02-1234-56789")),
      expected: {
        decision: "refuse",
        rule: "ad.sender",
        detail: "An advertisement gives its sender's contact 02-1234-5678",
      },
    },
    {
      name: "the contact written without separators is sent",
      message: ad("sms", adText().replace("02-1234-5678", "0212345678")),
      expected: send,
    },
    {
      name: "the contact written with dots is sent",
      message: ad("sms", adText().replace("02-1234-5678", "02.1234.5678")),
      expected: send,
    },
    {
      name: "no opt-out line is refused",
      message: ad("sms", "(광고)리드레일 02-1234-5678 봄세일"),
      expected: {
        decision: "refuse",
        rule: "ad.optout",
        detail: "An advertisement carries a free opt-out line: 무료수신거부 080-123-4567",
      },
    },
    {
      name: "an opt-out line that does not say it is free is refused",
      message: ad("sms", adText().replace("무료거부", "수신거부")),
      expected: {
        decision: "refuse",
        rule: "ad.optout",
        detail: "An advertisement carries a free opt-out line: 무료수신거부 080-123-4567",
      },
    },
    {
      name: "the 080 number on another line than 무료거부 is refused",
      message: ad("sms", "(광고)리드레일 02-1234-5678 봄세일\n무료거부\n080-123-4567"),
      expected: {
        decision: "refuse",
        rule: "ad.optout",
        detail: "An advertisement carries a free opt-out line: 무료수신거부 080-123-4567",
      },
    },
    {
      name: "another 080 number than the brand's is refused",
      message: ad("sms", adText().replace("080-123-4567", "080-123-4568")),
      expected: {
        decision: "refuse",
        rule: "ad.optout",
        detail: "An advertisement carries a free opt-out line: 무료수신거부 080-123-4567",
      },
    },
    {
      name: "a brand whose opt-out number is not an 080 number is refused",
      message: ad("sms", adText().replace("080-123-4567", "02-123-4567")),
      context: { sender: { name: "리드레일", contact: "02-1234-5678", optOutNumber: "02-123-4567" } },
      expected: {
        decision: "refuse",
        rule: "ad.optout",
        detail: "The brand's opt-out number 02-123-4567 is not a free 080 number",
      },
    },
    {
      name: "무료수신거부 with the number without separators is sent",
      message: ad("lms", "(광고)리드레일 02-1234-5678 봄세일\n무료 수신거부 0801234567"),
      expected: send,
    },
  ]);
});

describe("optout: an 080 call or a reply takes effect at once", () => {
  const refused = (iso: string, via: string): GateDecision => ({
    decision: "refuse",
    rule: "optout",
    detail: `The recipient opted out of the brand's advertising by ${via} at ${iso}`,
  });
  table([
    {
      name: "an opt-out at this very instant refuses (the consent row is still granted)",
      message: ad(),
      recipient: { optOuts: [{ brandId: brand, at: noon, via: "080" }] },
      expected: refused("2026-05-12T03:00:00.000Z", "080"),
    },
    {
      name: "a reply opt-out refuses every channel of the brand",
      message: ad("brand_message"),
      recipient: { optOuts: [{ brandId: brand, at: at("2026-05-12T02:00:00.000Z"), via: "reply" }] },
      expected: refused("2026-05-12T02:00:00.000Z", "reply"),
    },
    {
      name: "the latest of two opt-outs is named",
      message: ad(),
      recipient: {
        optOuts: [
          { brandId: brand, at: at("2026-04-01T00:00:00.000Z"), via: "reply" },
          { brandId: brand, at: at("2026-05-01T00:00:00.000Z"), via: "080" },
        ],
      },
      expected: refused("2026-05-01T00:00:00.000Z", "080"),
    },
    {
      name: "an opt-out recorded a millisecond after now does not refuse yet",
      message: ad(),
      recipient: { optOuts: [{ brandId: brand, at: new Date(noon.getTime() + 1), via: "080" }] },
      expected: send,
    },
    {
      name: "another brand's opt-out does not refuse",
      message: ad(),
      recipient: { optOuts: [{ brandId: otherBrand, at: at("2026-05-01T00:00:00.000Z"), via: "080" }] },
      expected: send,
    },
    {
      name: "a consent granted after the opt-out lifts it for its channel",
      message: ad(),
      recipient: {
        consents: [granted("sms", "2026-05-02T00:00:00.000Z")],
        optOuts: [{ brandId: brand, at: at("2026-05-01T00:00:00.000Z"), via: "080" }],
      },
      expected: send,
    },
    {
      name: "… and not for another channel",
      message: ad("brand_message"),
      recipient: {
        consents: [granted("sms", "2026-05-02T00:00:00.000Z"), granted("kakao", "2026-04-01T00:00:00.000Z")],
        optOuts: [{ brandId: brand, at: at("2026-05-01T00:00:00.000Z"), via: "080" }],
      },
      expected: refused("2026-05-01T00:00:00.000Z", "080"),
    },
    {
      name: "informational messages still go to an opted-out recipient",
      message: notice("sms", "주문이 발송되었습니다"),
      recipient: { optOuts: [{ brandId: brand, at: at("2026-05-01T00:00:00.000Z"), via: "080" }] },
      expected: send,
    },
  ]);
});

describe("consent.missing: per channel and brand", () => {
  table([
    {
      name: "no consent at all is refused",
      message: ad(),
      recipient: { consents: [] },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "No sms consent to the brand's advertising",
      },
    },
    {
      name: "a withdrawn consent is refused",
      message: ad(),
      recipient: {
        consents: [{ ...granted("sms"), status: "withdrawn", at: at("2026-03-01T00:00:00.000Z") }],
      },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "The sms consent was withdrawn at 2026-03-01T00:00:00.000Z",
      },
    },
    {
      name: "the latest change wins: granted, then withdrawn",
      message: ad(),
      recipient: {
        consents: [
          granted("sms"),
          { ...granted("sms"), status: "withdrawn", at: at("2026-03-01T00:00:00.000Z") },
        ],
      },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "The sms consent was withdrawn at 2026-03-01T00:00:00.000Z",
      },
    },
    {
      name: "the latest change wins: withdrawn, then granted again",
      message: ad(),
      recipient: {
        consents: [
          { ...granted("sms"), status: "withdrawn", at: at("2025-06-01T00:00:00.000Z") },
          granted("sms", "2026-03-01T00:00:00.000Z"),
        ],
      },
      expected: send,
    },
    {
      name: "another brand's consent does not count",
      message: ad(),
      recipient: { consents: [{ ...granted("sms"), brandId: otherBrand }] },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "No sms consent to the brand's advertising",
      },
    },
    {
      name: "an SMS consent does not cover a brand message (kakao)",
      message: ad("brand_message"),
      recipient: { consents: [granted("sms")] },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "No kakao consent to the brand's advertising",
      },
    },
    {
      name: "the night-time consent alone is no consent",
      message: ad(),
      recipient: { consents: [granted("night_ads")] },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "No sms consent to the brand's advertising",
      },
    },
    {
      name: "a consent dated after now does not count",
      message: ad(),
      recipient: { consents: [granted("sms", "2026-05-12T03:00:00.001Z")] },
      expected: {
        decision: "refuse",
        rule: "consent.missing",
        detail: "No sms consent to the brand's advertising",
      },
    },
    {
      name: "LMS sends under the sms consent",
      message: ad("lms"),
      recipient: { consents: [granted("sms")] },
      expected: send,
    },
    {
      name: "an informational SMS needs no consent",
      message: notice("sms", "비밀번호 재설정 코드 123456"),
      recipient: { consents: [] },
      expected: send,
    },
  ]);
});

describe("consent.reconfirm: granted at + 2 calendar years ≤ now", () => {
  const reconfirm = (from: string, due: string, channel = "sms"): GateDecision => ({
    decision: "reconfirm",
    rule: "consent.reconfirm",
    channel: channel as "sms",
    detail: `The ${channel} consent of ${from} needed re-confirmation from ${due}`,
  });
  table([
    {
      name: "exactly two years: re-confirm",
      message: ad(),
      recipient: { consents: [granted("sms", "2024-05-12T03:00:00.000Z")] },
      expected: reconfirm("2024-05-12T03:00:00.000Z", "2026-05-12T03:00:00.000Z"),
    },
    {
      name: "a millisecond short of two years: sent",
      message: ad(),
      recipient: { consents: [granted("sms", "2024-05-12T03:00:00.001Z")] },
      expected: send,
    },
    {
      name: "a brand message re-confirms the kakao consent",
      message: ad("brand_message"),
      recipient: { consents: [granted("kakao", "2023-01-01T00:00:00.000Z")] },
      expected: reconfirm("2023-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z", "kakao"),
    },
    {
      name: "a re-confirmation restarts the two years",
      message: ad(),
      recipient: {
        consents: [
          { ...granted("sms", "2023-01-01T00:00:00.000Z"), reconfirmedAt: at("2025-01-01T00:00:00.000Z") },
        ],
      },
      expected: send,
    },
    {
      name: "… and is due again two years after it",
      message: ad(),
      recipient: {
        consents: [
          { ...granted("sms", "2022-01-01T00:00:00.000Z"), reconfirmedAt: at("2024-05-01T00:00:00.000Z") },
        ],
      },
      expected: reconfirm("2024-05-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"),
    },
    {
      name: "29 February: due on 28 February two years later, at the same time",
      message: ad(),
      recipient: { consents: [granted("sms", "2024-02-29T10:00:00.000Z")] },
      context: { now: at("2026-02-28T10:00:00.000Z") },
      expected: reconfirm("2024-02-29T10:00:00.000Z", "2026-02-28T10:00:00.000Z"),
    },
    {
      name: "29 February: sent a millisecond before",
      message: ad(),
      recipient: { consents: [granted("sms", "2024-02-29T10:00:00.000Z")] },
      context: { now: at("2026-02-28T09:59:59.999Z") },
      expected: send,
    },
    {
      name: "informational messages do not wait for a re-confirmation",
      message: notice("sms", "주문이 발송되었습니다"),
      recipient: { consents: [granted("sms", "2020-01-01T00:00:00.000Z")] },
      expected: send,
    },
  ]);

  it("adds calendar years in UTC", () => {
    expect(
      ["2024-02-29T23:59:59.999Z", "2025-03-31T00:00:00.000Z", "2023-12-31T15:00:00.000Z"].map((iso) =>
        reconfirmationDue(at(iso)).toISOString(),
      ),
    ).toEqual(["2026-02-28T23:59:59.999Z", "2027-03-31T00:00:00.000Z", "2025-12-31T15:00:00.000Z"]);
  });
});

describe("night.hold: 21:00–08:00 in the recipient's zone, held until 08:00 there", () => {
  const held = (until: string, zone = "Asia/Seoul"): GateDecision => ({
    decision: "hold",
    rule: "night.hold",
    until: at(until),
    detail: `No advertising 21:00–08:00 in ${zone} without night-time consent; held until 08:00 there`,
  });
  const adAt = (
    now: string,
    zone = "Asia/Seoul",
    extra: Partial<Recipient> = {},
  ): Omit<Row, "name" | "expected"> => ({
    message: ad(),
    recipient: { timeZone: zone, ...extra },
    context: { now: at(now) },
  });
  const la = "America/Los_Angeles";
  table([
    { name: "Seoul 20:59:59.999: sent", ...adAt("2026-05-12T11:59:59.999Z"), expected: send },
    { name: "Seoul 20:59: sent", ...adAt("2026-05-12T11:59:00.000Z"), expected: send },
    {
      name: "Seoul 21:00: held until 08:00 the next day",
      ...adAt("2026-05-12T12:00:00.000Z"),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    {
      name: "Seoul 23:59: held until 08:00",
      ...adAt("2026-05-12T14:59:00.000Z"),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    {
      name: "Seoul 00:00: held until 08:00 the same day",
      ...adAt("2026-05-12T15:00:00.000Z"),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    {
      name: "Seoul 07:59: held until 08:00",
      ...adAt("2026-05-12T22:59:00.000Z"),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    {
      name: "Seoul 07:59:59.999: held until 08:00",
      ...adAt("2026-05-12T22:59:59.999Z"),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    { name: "Seoul 08:00: sent", ...adAt("2026-05-12T23:00:00.000Z"), expected: send },
    {
      name: "Seoul 31 May 22:00: held until 1 June 08:00",
      ...adAt("2026-05-31T13:00:00.000Z"),
      expected: held("2026-05-31T23:00:00.000Z"),
    },
    {
      name: "Seoul New Year's Eve 21:30: held until 1 January 08:00",
      ...adAt("2026-12-31T12:30:00.000Z"),
      expected: held("2026-12-31T23:00:00.000Z"),
    },
    {
      name: "Seoul 21:00 with the brand's night-time consent: sent",
      ...adAt("2026-05-12T12:00:00.000Z", "Asia/Seoul", { consents: [granted("sms"), granted("night_ads")] }),
      expected: send,
    },
    {
      name: "Seoul 21:00 with a withdrawn night-time consent: held",
      ...adAt("2026-05-12T12:00:00.000Z", "Asia/Seoul", {
        consents: [granted("sms"), { ...granted("night_ads"), status: "withdrawn" }],
      }),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    {
      name: "Seoul 21:00 with another brand's night-time consent: held",
      ...adAt("2026-05-12T12:00:00.000Z", "Asia/Seoul", {
        consents: [granted("sms"), { ...granted("night_ads"), brandId: otherBrand }],
      }),
      expected: held("2026-05-12T23:00:00.000Z"),
    },
    {
      name: "12:00 in Seoul is 20:00 the day before in Los Angeles (PDT): sent there",
      ...adAt("2026-05-12T03:00:00.000Z", la),
      expected: send,
    },
    {
      name: "13:00 in Seoul is 21:00 in Los Angeles: held there until 08:00 PDT",
      ...adAt("2026-05-12T04:00:00.000Z", la),
      expected: held("2026-05-12T15:00:00.000Z", la),
    },
    {
      name: "21:00 in Seoul is 05:00 in Los Angeles: held there until 08:00 PDT",
      ...adAt("2026-05-12T12:00:00.000Z", la),
      expected: held("2026-05-12T15:00:00.000Z", la),
    },
    {
      name: "08:00 in Los Angeles is 00:00 in Seoul: sent there",
      ...adAt("2026-05-12T15:00:00.000Z", la),
      expected: send,
    },
    { name: "Los Angeles 7 March 20:59 PST: sent", ...adAt("2026-03-08T04:59:00.000Z", la), expected: send },
    {
      name: "Los Angeles 7 March 21:00 PST: held until 8 March 08:00 PDT (10 h later, not 11)",
      ...adAt("2026-03-08T05:00:00.000Z", la),
      expected: held("2026-03-08T15:00:00.000Z", la),
    },
    {
      name: "Los Angeles 8 March 01:59 PST, just before the change: held until 08:00 PDT",
      ...adAt("2026-03-08T09:59:00.000Z", la),
      expected: held("2026-03-08T15:00:00.000Z", la),
    },
    {
      name: "Los Angeles 8 March 07:59 PDT: held until 08:00 PDT",
      ...adAt("2026-03-08T14:59:00.000Z", la),
      expected: held("2026-03-08T15:00:00.000Z", la),
    },
    { name: "Los Angeles 8 March 08:00 PDT: sent", ...adAt("2026-03-08T15:00:00.000Z", la), expected: send },
    {
      name: "Los Angeles 31 October 21:00 PDT: held until 1 November 08:00 PST (12 h later, not 11)",
      ...adAt("2026-11-01T04:00:00.000Z", la),
      expected: held("2026-11-01T16:00:00.000Z", la),
    },
    {
      name: "Los Angeles 1 November 01:30 PDT (first time): held until 08:00 PST",
      ...adAt("2026-11-01T08:30:00.000Z", la),
      expected: held("2026-11-01T16:00:00.000Z", la),
    },
    {
      name: "Los Angeles 1 November 01:30 PST (second time): held until 08:00 PST",
      ...adAt("2026-11-01T09:30:00.000Z", la),
      expected: held("2026-11-01T16:00:00.000Z", la),
    },
    {
      name: "Los Angeles 1 November 07:59 PST: held until 08:00 PST",
      ...adAt("2026-11-01T15:59:00.000Z", la),
      expected: held("2026-11-01T16:00:00.000Z", la),
    },
    {
      name: "Los Angeles 1 November 08:00 PST: sent",
      ...adAt("2026-11-01T16:00:00.000Z", la),
      expected: send,
    },
    {
      name: "Kolkata (+05:30) 21:00: held until 08:00 there",
      ...adAt("2026-05-12T15:30:00.000Z", "Asia/Kolkata"),
      expected: held("2026-05-13T02:30:00.000Z", "Asia/Kolkata"),
    },
    { name: "Kolkata 20:59: sent", ...adAt("2026-05-12T15:29:00.000Z", "Asia/Kolkata"), expected: send },
    {
      name: "Lord Howe 4 April 21:00 (+11): held until 5 April 08:00 (+10:30, a half-hour change)",
      ...adAt("2026-04-04T10:00:00.000Z", "Australia/Lord_Howe"),
      expected: held("2026-04-04T21:30:00.000Z", "Australia/Lord_Howe"),
    },
    {
      name: "London 28 March 21:00 GMT: held until 29 March 08:00 BST",
      ...adAt("2026-03-28T21:00:00.000Z", "Europe/London"),
      expected: held("2026-03-29T07:00:00.000Z", "Europe/London"),
    },
    {
      name: "an informational message at Seoul 23:00: sent",
      message: notice("sms", "주문이 발송되었습니다"),
      context: { now: at("2026-05-12T14:00:00.000Z") },
      expected: send,
    },
    {
      name: "an unknown time zone refuses an advertisement",
      ...adAt("2026-05-12T03:00:00.000Z", "Mars/Olympus"),
      expected: {
        decision: "refuse",
        rule: "time_zone.invalid",
        detail: 'Unknown time zone "Mars/Olympus": the night rule cannot be applied',
      },
    },
    {
      name: "an unknown time zone does not stop an informational message",
      message: notice("sms", "주문이 발송되었습니다"),
      recipient: { timeZone: "Mars/Olympus" },
      expected: send,
    },
  ]);
});

describe("frequency.cap: N advertising sends per channel in a rolling window", () => {
  const cap = { frequencyCaps: { sms: { max: 2, windowMs: day } } };
  const sent = (
    channel: MessageChannel,
    msAgo: number,
    kind: "advertising" | "informational" = "advertising",
  ) => ({
    channel,
    class: kind,
    at: new Date(noon.getTime() - msAgo),
  });
  const refused = (count: number, window: string, max = 2): GateDecision => ({
    decision: "refuse",
    rule: "frequency.cap",
    detail: `${count} advertising SMS sends in the last ${window}, at most ${max}`,
  });
  table([
    {
      name: "two in the last day reach a cap of two: refused",
      message: ad(),
      recipient: { sends: [sent("sms", day - 1), sent("sms", hour)] },
      context: cap,
      expected: refused(2, "1 d"),
    },
    {
      name: "a send exactly a window ago has left it: sent",
      message: ad(),
      recipient: { sends: [sent("sms", day), sent("sms", hour)] },
      context: cap,
      expected: send,
    },
    {
      name: "one in the window is under the cap: sent",
      message: ad(),
      recipient: { sends: [sent("sms", hour)] },
      context: cap,
      expected: send,
    },
    {
      name: "informational sends do not count",
      message: ad(),
      recipient: {
        sends: [
          sent("sms", hour, "informational"),
          sent("sms", 2 * hour, "informational"),
          sent("sms", hour),
        ],
      },
      context: cap,
      expected: send,
    },
    {
      name: "sends on another channel do not count",
      message: ad(),
      recipient: { sends: [sent("lms", hour), sent("brand_message", hour), sent("sms", hour)] },
      context: cap,
      expected: send,
    },
    {
      name: "a channel without a cap is not capped",
      message: ad("lms"),
      recipient: { sends: [sent("lms", hour), sent("lms", hour), sent("lms", hour)] },
      context: cap,
      expected: send,
    },
    {
      name: "an informational message is not capped",
      message: notice("sms", "주문이 발송되었습니다"),
      recipient: { sends: [sent("sms", hour), sent("sms", hour)] },
      context: cap,
      expected: send,
    },
    {
      name: "a cap of one per 12 hours: refused, naming the window in hours",
      message: ad(),
      recipient: { sends: [sent("sms", 12 * hour - 1)] },
      context: { frequencyCaps: { sms: { max: 1, windowMs: 12 * hour } } },
      expected: refused(1, "12 h", 1),
    },
    {
      name: "a cap of zero refuses every advertisement on the channel",
      message: ad(),
      context: { frequencyCaps: { sms: { max: 0, windowMs: 90_000 } } },
      expected: refused(0, "90 s", 0),
    },
  ]);
});

describe("the night and its end, in any zone", () => {
  it("is 21:00 up to 08:00", () => {
    const seoul = ["11:59:59.999", "12:00:00.000", "22:59:59.999", "23:00:00.000"].map((time) =>
      isNight("Asia/Seoul", Date.parse(`2026-05-12T${time}Z`)),
    );
    expect(seoul).toEqual([false, true, true, false]);
  });

  it("resolves a repeated local time to its first occurrence and a skipped one past the gap", () => {
    expect(
      [
        instantOfLocal("America/Los_Angeles", 2026, 3, 8, 2),
        instantOfLocal("America/Los_Angeles", 2026, 11, 1, 1),
        instantOfLocal("Europe/Berlin", 2026, 10, 25, 2),
        instantOfLocal("Asia/Seoul", 2026, 5, 13, 8),
      ].map((instant) => new Date(instant).toISOString()),
    ).toEqual([
      "2026-03-08T10:00:00.000Z",
      "2026-11-01T08:00:00.000Z",
      "2026-10-25T00:00:00.000Z",
      "2026-05-12T23:00:00.000Z",
    ]);
  });

  it("ends the night at the first 08:00 after it, every hour of a DST night in Los Angeles", () => {
    // From 21:00 PST on 7 March to 07:00 PDT on 8 March, every hour; 02:00 PST does not exist.
    const ends = Array.from({ length: 10 }, (_, i) =>
      nightEndAfter("America/Los_Angeles", Date.parse("2026-03-08T05:00:00.000Z") + i * hour).toISOString(),
    );
    expect(new Set(ends)).toEqual(new Set(["2026-03-08T15:00:00.000Z"]));
  });
});

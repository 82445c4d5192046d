import type { ConsentChannel } from "../commerce/event-types.ts";

/** The four channels SPEC §13 sends on: SMS, LMS (long SMS), Kakao AlimTalk and Kakao brand message. */
export const messageChannels = ["sms", "lms", "alimtalk", "brand_message"] as const;
export type MessageChannel = (typeof messageChannels)[number];

/**
 * What a message is under 정보통신망법 Article 50: `advertising` (영리목적의 광고성 정보: promotions,
 * coupons, new products, events) needs the recipient's consent and the Article 50 marks; `informational`
 * (order, payment, delivery, account notices the recipient's own transaction calls for) does not.
 */
export const messageClasses = ["advertising", "informational"] as const;
export type MessageClass = (typeof messageClasses)[number];

/** How a channel's text is measured: bytes of its EUC-KR encoding (carriers) or characters (Kakao). */
export type LengthUnit = "euc_kr_bytes" | "characters";

export interface ChannelLimit {
  unit: LengthUnit;
  max: number;
  /** Most line breaks the text may hold, where the channel limits them. */
  maxLineBreaks?: number;
}

/**
 * The text limit of each channel. SMS and LMS are the Korean carriers' limits, counted in EUC-KR bytes
 * (euc-kr.ts: Hangul 2 bytes, ASCII 1). AlimTalk and brand message are Kakao's limits for the text body as
 * its resellers publish them (AlimTalk 1,000 characters including spaces, whatever the language; brand
 * message of the text and image types 1,300 characters and 99 line breaks; one reseller's guide says 1,000
 * for the brand message, so that figure is unconfirmed). Characters are counted as Unicode code points;
 * Kakao does not publish how it counts an emoji.
 */
export const channelLimits: Readonly<Record<MessageChannel, ChannelLimit>> = {
  sms: { unit: "euc_kr_bytes", max: 90 },
  lms: { unit: "euc_kr_bytes", max: 2000 },
  alimtalk: { unit: "characters", max: 1000 },
  brand_message: { unit: "characters", max: 1300, maxLineBreaks: 99 },
};

/**
 * The consent a channel sends under, in the vocabulary of the `consents` table (db/schema/commerce.ts):
 * SMS and LMS under `sms`, both Kakao channels under `kakao`.
 */
export const consentChannelOf: Readonly<Record<MessageChannel, ConsentChannel>> = {
  sms: "sms",
  lms: "sms",
  alimtalk: "kakao",
  brand_message: "kakao",
};

/** The separate consent to advertising between 21:00 and 08:00 (Article 50(3)). */
export const nightConsentChannel: ConsentChannel = "night_ads";

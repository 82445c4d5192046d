import type { ConsentChannel, ConsentStatus } from "../commerce/event-types.ts";
import {
  channelLimits,
  consentChannelOf,
  type MessageChannel,
  type MessageClass,
  nightConsentChannel,
} from "./channels.ts";
import { eucKrByteLength } from "./euc-kr.ts";
import { isNight, isTimeZone, nightEndAfter } from "./night.ts";

/** Where an AlimTalk template stands in Kakao's review: only `approved` may send. */
export const templateStatuses = ["in_review", "approved", "rejected", "suspended"] as const;
export type TemplateStatus = (typeof templateStatuses)[number];

export interface MessageTemplate {
  id: string;
  status: TemplateStatus;
  /** What Kakao approved the template as. */
  class: MessageClass;
}

/** The message to send, as the sender built it. */
export interface OutgoingMessage {
  channel: MessageChannel;
  class: MessageClass;
  /** The whole text the recipient gets, variables filled in. */
  text: string;
  /** The AlimTalk template the text fills; other channels have none. */
  template?: MessageTemplate | null;
}

/** A row of the `consents` table: the contact's current consent for one brand and channel. */
export interface RecipientConsent {
  brandId: number;
  channel: ConsentChannel;
  status: ConsentStatus;
  /** When it was granted or withdrawn. */
  at: Date;
  /** When the recipient last answered a re-confirmation notice keeping it, if ever. */
  reconfirmedAt?: Date | null;
}

/** An advertising opt-out the recipient sent: a call to the 080 number or a reply to a message. */
export interface OptOut {
  brandId: number;
  at: Date;
  via: "080" | "reply";
}

/** A message already sent to the recipient. */
export interface RecentSend {
  channel: MessageChannel;
  class: MessageClass;
  at: Date;
}

export interface Recipient {
  /** The IANA zone the recipient lives in (their market's `time_zone`). */
  timeZone: string;
  /** Current consents of every brand and channel (night-time advertising is the `night_ads` channel). */
  consents: readonly RecipientConsent[];
  /** Opt-outs by 080 call or reply not yet (or already) turned into a withdrawn consent. */
  optOuts: readonly OptOut[];
  sends: readonly RecentSend[];
}

/** At most `max` advertising sends on the channel in any rolling `windowMs`. */
export interface FrequencyCap {
  max: number;
  windowMs: number;
}

export interface SendContext {
  now: Date;
  brandId: number;
  /** What an advertisement must name: the brand's sender name and contact, and its free 080 opt-out number. */
  sender: { name: string; contact: string; optOutNumber: string };
  frequencyCaps: Readonly<Partial<Record<MessageChannel, FrequencyCap>>>;
}

/** Every rule of the gate, in the order it is checked (README.md gives each rule's legal basis). */
export const complianceRules = [
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
] as const;
export type ComplianceRule = (typeof complianceRules)[number];
export type RefusalRule = Exclude<ComplianceRule, "consent.reconfirm" | "night.hold">;

export type GateDecision =
  | { decision: "send" }
  /** Not now: send at `until` (the gate runs again then). */
  | { decision: "hold"; rule: "night.hold"; until: Date; detail: string }
  /** Send the re-confirmation notice of `channel`'s consent instead of this message. */
  | { decision: "reconfirm"; rule: "consent.reconfirm"; channel: ConsentChannel; detail: string }
  | { decision: "refuse"; rule: RefusalRule; detail: string };

export const adPrefix = "(광고)";
export const consentValidYears = 2;

type Check = (message: OutgoingMessage, recipient: Recipient, context: SendContext) => GateDecision | null;

const refuse = (rule: RefusalRule, detail: string): GateDecision => ({ decision: "refuse", rule, detail });
const isAd = (message: OutgoingMessage) => message.class === "advertising";

/**
 * The compliance gate every send passes (SPEC §13): the first rule that fails decides, in the order of
 * `complianceRules`; a message failing none is sent. Pure: the caller passes the recipient's consents,
 * opt-outs and recent sends, and the time.
 */
export function checkSend(
  message: OutgoingMessage,
  recipient: Recipient,
  context: SendContext,
): GateDecision {
  for (const check of checks) {
    const decision = check(message, recipient, context);
    if (decision !== null) return decision;
  }
  return { decision: "send" };
}

const textEmpty: Check = (message) =>
  message.text.trim() === "" ? refuse("text.empty", "The message has no text") : null;

const alimtalkAdvertising: Check = (message) =>
  message.channel === "alimtalk" && isAd(message)
    ? refuse(
        "alimtalk.advertising",
        "AlimTalk carries informational messages only; send advertising as a brand message, SMS or LMS",
      )
    : null;

const alimtalkTemplate: Check = (message) => {
  if (message.channel !== "alimtalk") return null;
  const template = message.template;
  if (template === undefined || template === null)
    return refuse("alimtalk.template", "An AlimTalk message needs its approved template");
  if (template.status !== "approved")
    return refuse("alimtalk.template", `Template ${template.id} is ${template.status}, not approved`);
  if (template.class !== "informational")
    return refuse(
      "alimtalk.template",
      `Template ${template.id} is approved as ${template.class}, not informational`,
    );
  return null;
};

const encodingAndLength: Check = (message) => {
  const limit = channelLimits[message.channel];
  const rule: RefusalRule = `length.${message.channel}`;
  if (limit.unit === "euc_kr_bytes") {
    const { bytes, unencodable } = eucKrByteLength(message.text);
    if (unencodable.length > 0) {
      const named = unencodable.map((c) => `"${c.character}" (${c.codePoint}) at ${c.index}`).join(", ");
      return refuse(
        "encoding.euc_kr",
        `Not encodable in EUC-KR, ${channelNames[message.channel]} would show ?: ${named}`,
      );
    }
    if (bytes > limit.max) {
      const hint = message.channel === "sms" ? "; send it as LMS" : "";
      return refuse(
        rule,
        `${bytes} bytes in EUC-KR, over the ${limit.max} of ${channelNames[message.channel]}${hint}`,
      );
    }
    return null;
  }
  const characters = [...message.text].length;
  if (characters > limit.max)
    return refuse(
      rule,
      `${characters} characters, over the ${limit.max} of ${channelNames[message.channel]}`,
    );
  const lineBreaks = message.text.split("\n").length - 1;
  if (limit.maxLineBreaks !== undefined && lineBreaks > limit.maxLineBreaks)
    return refuse(
      rule,
      `${lineBreaks} line breaks, over the ${limit.maxLineBreaks} of ${channelNames[message.channel]}`,
    );
  return null;
};

const channelNames: Readonly<Record<MessageChannel, string>> = {
  sms: "SMS",
  lms: "LMS",
  alimtalk: "AlimTalk",
  brand_message: "a brand message",
};

const prefix: Check = (message) =>
  isAd(message) && !message.text.startsWith(adPrefix)
    ? refuse("ad.prefix", `An advertisement starts with ${adPrefix}, exactly so, before anything else`)
    : null;

const sender: Check = (message, _recipient, { sender }) => {
  if (!isAd(message)) return null;
  if (sender.name.trim() === "" || !message.text.includes(sender.name))
    return refuse("ad.sender", `An advertisement names its sender "${sender.name}"`);
  if (digitsOf(sender.contact) === "" || !hasNumber(message.text, sender.contact))
    return refuse("ad.sender", `An advertisement gives its sender's contact ${sender.contact}`);
  return null;
};

const optOutLine: Check = (message, _recipient, { sender }) => {
  if (!isAd(message)) return null;
  if (!digitsOf(sender.optOutNumber).startsWith("080"))
    return refuse("ad.optout", `The brand's opt-out number ${sender.optOutNumber} is not a free 080 number`);
  const line = message.text
    .split("\n")
    .find((l) => l.includes("무료") && l.includes("거부") && hasNumber(l, sender.optOutNumber));
  return line === undefined
    ? refuse("ad.optout", `An advertisement carries a free opt-out line: 무료수신거부 ${sender.optOutNumber}`)
    : null;
};

const optedOut: Check = (message, recipient, { now, brandId }) => {
  if (!isAd(message)) return null;
  const consent = currentConsent(recipient, brandId, consentChannelOf[message.channel], now);
  const optOut = recipient.optOuts
    .filter((o) => o.brandId === brandId && o.at.getTime() <= now.getTime())
    // A consent granted after the opt-out (the recipient signed up again) lifts it for its channel.
    .filter((o) => !(consent?.status === "granted" && consent.at.getTime() > o.at.getTime()))
    .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  return optOut === undefined
    ? null
    : refuse(
        "optout",
        `The recipient opted out of the brand's advertising by ${optOut.via} at ${optOut.at.toISOString()}`,
      );
};

const consentMissing: Check = (message, recipient, { now, brandId }) => {
  if (!isAd(message)) return null;
  const channel = consentChannelOf[message.channel];
  const consent = currentConsent(recipient, brandId, channel, now);
  if (consent === undefined)
    return refuse("consent.missing", `No ${channel} consent to the brand's advertising`);
  if (consent.status !== "granted")
    return refuse("consent.missing", `The ${channel} consent was withdrawn at ${consent.at.toISOString()}`);
  return null;
};

const consentReconfirm: Check = (message, recipient, { now, brandId }) => {
  if (!isAd(message)) return null;
  const channel = consentChannelOf[message.channel];
  const consent = currentConsent(recipient, brandId, channel, now);
  if (consent === undefined) return null;
  const confirmedAt = consentConfirmedAt(consent);
  const due = reconfirmationDue(confirmedAt);
  return due.getTime() <= now.getTime()
    ? {
        decision: "reconfirm",
        rule: "consent.reconfirm",
        channel,
        detail: `The ${channel} consent of ${confirmedAt.toISOString()} needed re-confirmation from ${due.toISOString()}`,
      }
    : null;
};

const timeZone: Check = (message, recipient) =>
  isAd(message) && !isTimeZone(recipient.timeZone)
    ? refuse(
        "time_zone.invalid",
        `Unknown time zone "${recipient.timeZone}": the night rule cannot be applied`,
      )
    : null;

const night: Check = (message, recipient, { now, brandId }) => {
  if (!isAd(message) || !isNight(recipient.timeZone, now.getTime())) return null;
  const consent = currentConsent(recipient, brandId, nightConsentChannel, now);
  if (consent?.status === "granted") return null;
  const until = nightEndAfter(recipient.timeZone, now.getTime());
  return {
    decision: "hold",
    rule: "night.hold",
    until,
    detail: `No advertising 21:00–08:00 in ${recipient.timeZone} without night-time consent; held until 08:00 there`,
  };
};

const frequency: Check = (message, recipient, { now, frequencyCaps }) => {
  const cap = frequencyCaps[message.channel];
  if (!isAd(message) || cap === undefined) return null;
  const from = now.getTime() - cap.windowMs;
  const sent = recipient.sends.filter(
    (s) =>
      s.channel === message.channel &&
      s.class === "advertising" &&
      s.at.getTime() > from &&
      s.at.getTime() <= now.getTime(),
  ).length;
  return sent >= cap.max
    ? refuse(
        "frequency.cap",
        `${sent} advertising ${channelNames[message.channel]} sends in the last ${durationOf(cap.windowMs)}, at most ${cap.max}`,
      )
    : null;
};

/** The checks of the message alone (rules `text.empty` … `ad.optout`): no recipient, no clock. */
const messageChecks: readonly Check[] = [
  textEmpty,
  alimtalkAdvertising,
  alimtalkTemplate,
  encodingAndLength,
  prefix,
  sender,
  optOutLine,
];

/** The rules {@link checkMessage} applies: the first eleven of `complianceRules`. */
export const messageRules = complianceRules.slice(0, complianceRules.indexOf("ad.optout") + 1);

/** Nobody in particular: the message checks never read the recipient. */
const noRecipient: Recipient = { timeZone: "UTC", consents: [], optOuts: [], sends: [] };

/**
 * The gate's rules that judge the message alone (text, AlimTalk template, encoding and length, the
 * advertising marks), as {@link checkSend} applies them first: what a campaign can check when it is
 * written, before it has any recipient. Null when the message passes them.
 */
export function checkMessage(
  message: OutgoingMessage,
  sender: SendContext["sender"],
): Extract<GateDecision, { decision: "refuse" }> | null {
  const context: SendContext = { now: new Date(0), brandId: 0, sender, frequencyCaps: {} };
  for (const check of messageChecks) {
    const decision = check(message, noRecipient, context);
    if (decision?.decision === "refuse") return decision;
  }
  return null;
}

/** The checks in `complianceRules` order (the four length rules are one check, by channel). */
const checks: readonly Check[] = [
  ...messageChecks,
  optedOut,
  consentMissing,
  consentReconfirm,
  timeZone,
  night,
  frequency,
];

/** The brand's latest consent of the channel by `at`, leaving out one dated after `now`. */
function currentConsent(
  recipient: Recipient,
  brandId: number,
  channel: ConsentChannel,
  now: Date,
): RecipientConsent | undefined {
  let latest: RecipientConsent | undefined;
  for (const consent of recipient.consents)
    if (
      consent.brandId === brandId &&
      consent.channel === channel &&
      consent.at.getTime() <= now.getTime() &&
      (latest === undefined || consent.at.getTime() > latest.at.getTime())
    )
      latest = consent;
  return latest;
}

/** When a granted consent was last confirmed: granted, or re-confirmed later. */
export function consentConfirmedAt(consent: RecipientConsent): Date {
  const reconfirmed = consent.reconfirmedAt;
  return reconfirmed !== undefined && reconfirmed !== null && reconfirmed.getTime() > consent.at.getTime()
    ? reconfirmed
    : consent.at;
}

/**
 * When a consent confirmed at `confirmedAt` needs re-confirmation: two calendar years later in UTC, same
 * month, day and time; a 29 February becomes 28 February (the earlier day, not 1 March).
 */
export function reconfirmationDue(confirmedAt: Date): Date {
  const year = confirmedAt.getUTCFullYear() + consentValidYears;
  const month = confirmedAt.getUTCMonth();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const due = new Date(confirmedAt.getTime());
  due.setUTCFullYear(year, month, Math.min(confirmedAt.getUTCDate(), lastDay));
  return due;
}

function digitsOf(value: string): string {
  return value.replace(/\D/g, "");
}

/** Whether `text` writes the phone number `number`, with or without its separators (`-`, `.`). */
function hasNumber(text: string, number: string): boolean {
  const wanted = digitsOf(number);
  return (text.match(/\d+(?:[-.]\d+)*/g) ?? []).some((token) => digitsOf(token) === wanted);
}

function durationOf(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${ms / 1000} s`;
}

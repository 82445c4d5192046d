import type { MessageChannel } from "./channels.ts";

/**
 * One interface every messaging provider implements (SPEC §13): send a message on any of the four
 * channels, ask for its status, and read the delivery receipts the provider posts back. Types and pure
 * helpers only; the adapters (solapi.ts) do the HTTP.
 */

/**
 * Where a message stands, in the provider's words translated: `accepted` (the provider took it),
 * `rejected` (refused at send, never went out), `pending` (handed to the carrier or Kakao, no report
 * yet), `delivered` (the phone or KakaoTalk received it), `failed` (went out and was not delivered).
 * `rejected`, `delivered` and `failed` are final.
 */
export const deliveryStatuses = ["accepted", "rejected", "pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export const finalDeliveryStatuses: readonly DeliveryStatus[] = ["rejected", "delivered", "failed"];

export function isFinalStatus(status: DeliveryStatus): boolean {
  return finalDeliveryStatuses.includes(status);
}

/** An AlimTalk's template, filled in: Kakao sends only a reviewed template, with its variables. */
export interface AlimTalkFields {
  /** The Kakao channel's sender key (발신 프로필 키; Solapi calls its id for it `pfId`). */
  senderKey: string;
  /** The approved template's code (Solapi: `templateId`). */
  templateCode: string;
  /** `#{name}` → value, exactly as the template names them. */
  variables: Record<string, string>;
}

export interface BrandMessageButton {
  name: string;
  /** `WL` web link, `AL` app link (Kakao's button types). */
  type: "WL" | "AL";
  urlMobile: string;
  urlPc?: string;
}

/** A Kakao brand message (브랜드 메시지): free text, or a template when `templateCode` is set. */
export interface BrandMessageFields {
  senderKey: string;
  /**
   * Who Kakao lets it reach: `I` the channel's friends (any channel), `M` and `N` (also users who
   * consented to marketing but are not friends; only channels Kakao has approved for them).
   */
  targeting: "I" | "M" | "N";
  templateCode?: string;
  variables?: Record<string, string>;
  buttons?: BrandMessageButton[];
}

/** A message to send. The gate (compliance.ts) has passed it; the provider only carries it. */
export interface OutboundMessage {
  channel: MessageChannel;
  /** The recipient: E.164 (`+821012345678`) or a Korean mobile number (`010-1234-5678`); see `normalizeRecipient`. */
  to: string;
  /** The sender number registered with the provider (발신번호); see `normalizeSenderNumber`. */
  from: string;
  text: string;
  /** Our id for the message (e.g. the send's row id): echoed back in the status and the receipts. */
  customId: string;
  /** LMS only: the subject line. */
  subject?: string;
  /** Required when `channel` is `alimtalk`. */
  alimtalk?: AlimTalkFields;
  /** Required when `channel` is `brand_message`. */
  brandMessage?: BrandMessageFields;
}

export interface SendResult {
  /** The provider's id for the message; null only when it refused the message without naming one. */
  providerMessageId: string | null;
  customId: string;
  status: "accepted" | "rejected";
  /** The provider's own status code (Solapi: four digits, e.g. `2000`). */
  providerCode: string;
  /** Why it was rejected, in the provider's words. */
  error?: string;
}

export interface StatusResult {
  providerMessageId: string;
  customId: string | null;
  status: DeliveryStatus;
  providerCode: string;
  providerMessage: string | null;
  /** When the status was reached, as the provider reports it (null when it does not say). */
  at: Date | null;
}

/** A final report the provider posted: the message was delivered, or it failed. */
export interface DeliveryReceipt {
  providerMessageId: string;
  customId: string | null;
  status: "delivered" | "failed";
  providerCode: string;
  providerMessage: string | null;
  at: Date;
}

export interface MessageProvider {
  readonly name: string;
  send(message: OutboundMessage): Promise<SendResult>;
  /** Several messages in one request; results in the order of `messages`. */
  sendMany(messages: readonly OutboundMessage[]): Promise<SendResult[]>;
  status(providerMessageId: string): Promise<StatusResult>;
  /** The receipts in a callback's parsed JSON body; reports that are not final are left out. */
  parseReceipt(body: unknown): DeliveryReceipt[];
}

/**
 * Why a provider call failed as a whole (no per-message answer): `timeout`, `network` (no HTTP answer),
 * `auth` (the provider refused the credentials or signature), `http` (another non-2xx answer),
 * `response` (an answer this adapter cannot read), `invalid` (a message the adapter cannot send, named
 * by `field`). `retryable` says whether trying the same request later can succeed.
 */
export type ProviderErrorKind = "timeout" | "network" | "auth" | "http" | "response" | "invalid";

export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: { httpStatus?: number; providerCode?: string; field?: string } = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    if (this.kind === "timeout" || this.kind === "network") return true;
    const status = this.details.httpStatus;
    return this.kind === "http" && status !== undefined && (status === 429 || status >= 500);
  }
}

/** Korean mobile numbers: 010 and 8 digits; the old 011 and 016–019 with 7 or 8 digits. */
const koreanMobile = /^(010\d{8}|01[16789]\d{7,8})$/;
const separators = /[\s\-.()]/g;

/**
 * A recipient in the national form Korean providers take (`01012345678`): separators (space, `-`, `.`,
 * parentheses) removed, `+82` / `0082` / `82` followed by the number without its leading 0 turned into
 * `0…`. Only Korean mobile numbers (010 with 11 digits; the old 011, 016–019 with 10 or 11) are recipients: SMS, LMS and
 * both Kakao channels here reach Korean phones. Null for anything else (another country, a landline, a
 * malformed number).
 */
export function normalizeRecipient(input: string): string | null {
  const national = toNational(input);
  return national !== null && koreanMobile.test(national) ? national : null;
}

/**
 * A sender number (발신번호) as registered with the provider: digits only, `+82` turned into `0`. Korean
 * sender numbers are landlines (`02-930-2266`), mobiles, and 8-digit representative numbers (`1588-0000`);
 * 8 to 11 digits. Null when it is not one.
 */
export function normalizeSenderNumber(input: string): string | null {
  const national = toNational(input);
  if (national === null) return null;
  return /^(0\d{8,10}|1\d{7})$/.test(national) ? national : null;
}

function toNational(input: string): string | null {
  let digits = input.trim().replace(separators, "");
  if (digits.startsWith("+82")) digits = `0${digits.slice(3)}`;
  else if (digits.startsWith("0082")) digits = `0${digits.slice(4)}`;
  else if (digits.startsWith("82") && digits.length >= 11 && !digits.startsWith("820"))
    digits = `0${digits.slice(2)}`;
  if (digits.startsWith("+")) return null;
  return /^\d+$/.test(digits) ? digits : null;
}

/** The recipient's E.164 form (`+821012345678`), for storing and matching. */
export function recipientE164(national: string): string {
  return `+82${national.slice(1)}`;
}

import type { MessageChannel, MessageClass } from "./channels.ts";
import {
  checkSend,
  type FrequencyCap,
  type GateDecision,
  type OptOut,
  type RecentSend,
  type RecipientConsent,
  type TemplateStatus,
} from "./compliance.ts";
import { normalizeRecipient, type OutboundMessage, type ProviderError, type SendResult } from "./provider.ts";
import { fillPlaceholders, fillTemplate, noticeChannel, trackedLink } from "./render.ts";

/**
 * What the sends consumer does with each send of a batch, decided without I/O: whether it is due, what the
 * compliance gate says, the text and provider message it becomes, and the row it leaves once the provider
 * answered. queues/sends/ loads the inputs and writes the outcomes.
 */

/** The statuses a send can be written with; `queued` is the launch's. */
export type SendStatus =
  | "held"
  | "refused"
  | "reconfirm"
  | "accepted"
  | "rejected"
  | "pending"
  | "delivered"
  | "failed";

/** A brand's sending identity (brand_messaging_settings). */
export interface BrandSettings {
  senderName: string;
  senderContact: string;
  optOutNumber: string;
  senderNumber: string;
  kakaoSenderKey: string | null;
  frequencyCaps: Partial<Record<MessageChannel, FrequencyCap>>;
  reconfirmText: string;
}

/** One send of the batch with everything the gate and the message need, as one statement loads it. */
export interface LoadedSend {
  id: number;
  messageCampaignId: number;
  arm: number;
  brandId: number;
  contactId: number;
  channel: MessageChannel;
  class: MessageClass;
  status: string;
  heldUntil: Date | null;
  /** Set before the provider call (the claim), with no provider message id until its answer is stored. */
  provider: string | null;
  providerMessageId: string | null;
  attempts: number;
  campaignStatus: string;
  message: { text: string | null; subject: string | null; variables: Record<string, string> };
  template: { code: string; status: TemplateStatus; class: MessageClass; text: string } | null;
  settings: BrandSettings | null;
  timeZone: string;
  /** personal_info.phone of the account, as stored. */
  phone: string | null;
  firstName: string;
  consents: RecipientConsent[];
  optOuts: OptOut[];
  recent: RecentSend[];
}

/** The columns a status change writes (the history row takes status, rule, provider code and detail). */
export interface SendUpdate {
  id: number;
  status: SendStatus;
  rule: string | null;
  detail: string | null;
  heldUntil: Date | null;
  toNumber: string | null;
  text: string | null;
  providerMessageId: string | null;
  providerCode: string | null;
  sentAt: Date | null;
  finalAt: Date | null;
}

/** A message for the provider: the advertisement or notice itself, or the re-confirmation notice instead. */
export interface PlannedSend {
  id: number;
  purpose: "message" | "reconfirm";
  outbound: OutboundMessage;
  /** National digits. */
  toNumber: string;
  /** The gate's rule and words for a re-confirmation notice. */
  detail: string | null;
}

export type Disposition =
  /** Nothing to do: already past the consumer (final, sent, refused), or its campaign is not running. */
  | { id: number; kind: "skip"; reason: "done" | "not_running" }
  /** Held and not due yet: back on the queue until `until`. */
  | { id: number; kind: "later"; until: Date }
  | { id: number; kind: "send"; send: PlannedSend }
  /** A status decided without the provider: refused, held, or in doubt. */
  | { id: number; kind: "write"; update: SendUpdate };

export interface PlanOptions {
  now: Date;
  linkBaseUrl: string;
  alphabet: string;
  /** The send's public id, the provider's `customId`. */
  customId: (sendId: number) => string;
  /** The provider the sends go to (`solapi`). */
  provider: string;
}

/** The rules the consumer adds to the gate's: what makes a send impossible before any text is judged. */
export const consumerRules = {
  settings: "settings.missing",
  number: "recipient.number",
  kakaoKey: "sender.kakao_key",
  inDoubt: "provider.in_doubt",
} as const;

const blank = (id: number, status: SendStatus): SendUpdate => ({
  id,
  status,
  rule: null,
  detail: null,
  heldUntil: null,
  toNumber: null,
  text: null,
  providerMessageId: null,
  providerCode: null,
  sentAt: null,
  finalAt: null,
});

export const refusal = (id: number, rule: string, detail: string, now: Date): SendUpdate => ({
  ...blank(id, "refused"),
  rule,
  detail,
  finalAt: now,
});

/**
 * Decides every send of a batch, in id order. A `send` decision counts at once towards the recipient's
 * frequency cap, so two advertisements to one person in one batch meet the cap as two sends would.
 */
export function planSends(sends: readonly LoadedSend[], options: PlanOptions): Disposition[] {
  const { now } = options;
  const extraSends = new Map<string, RecentSend[]>();
  const ordered = [...sends].sort((a, b) => a.id - b.id);
  return ordered.map((send): Disposition => {
    const due =
      send.status === "queued" ||
      (send.status === "held" && send.heldUntil !== null && send.heldUntil.getTime() <= now.getTime());
    if (send.status !== "queued" && send.status !== "held")
      return { id: send.id, kind: "skip", reason: "done" };
    if (send.campaignStatus !== "running") return { id: send.id, kind: "skip", reason: "not_running" };
    if (send.provider !== null && send.providerMessageId === null) {
      // Claimed for a provider call whose answer was never stored: it may have gone out. Not sent again.
      return {
        id: send.id,
        kind: "write",
        update: {
          ...blank(send.id, "failed"),
          rule: consumerRules.inDoubt,
          detail: `Attempt ${send.attempts} was handed to ${send.provider} but its answer was not stored; not sent again (no idempotency key). A delivery report naming it will still apply.`,
          finalAt: now,
        },
      };
    }
    if (!due) return { id: send.id, kind: "later", until: send.heldUntil ?? now };
    const settings = send.settings;
    if (settings === null)
      return {
        id: send.id,
        kind: "write",
        update: refusal(send.id, consumerRules.settings, "The brand has no messaging settings", now),
      };
    const to = send.phone === null ? null : normalizeRecipient(send.phone);
    if (to === null)
      return {
        id: send.id,
        kind: "write",
        update: refusal(
          send.id,
          consumerRules.number,
          send.phone === null || send.phone === ""
            ? "The account has no phone number"
            : "The account's phone is not a Korean mobile number",
          now,
        ),
      };
    const kakao = send.channel === "alimtalk" || send.channel === "brand_message";
    if (kakao && !settings.kakaoSenderKey)
      return {
        id: send.id,
        kind: "write",
        update: refusal(send.id, consumerRules.kakaoKey, "The brand has no Kakao sender key", now),
      };

    const placeholders = {
      link: () =>
        trackedLink(options.linkBaseUrl, options.alphabet, {
          sendId: send.id,
          messageCampaignId: send.messageCampaignId,
          arm: send.arm,
        }),
      name: send.firstName,
    };
    const variables: Record<string, string> = {};
    for (const [key, value] of Object.entries(send.message.variables))
      variables[key] = fillPlaceholders(value, placeholders);
    const written = send.message.text ?? send.template?.text ?? "";
    const text = fillPlaceholders(fillTemplate(written, variables), placeholders);

    const key = `${send.brandId}:${send.contactId}`;
    const recent = [...send.recent, ...(extraSends.get(key) ?? [])];
    const decision = checkSend(
      {
        channel: send.channel,
        class: send.class,
        text,
        template: send.template
          ? { id: send.template.code, status: send.template.status, class: send.template.class }
          : null,
      },
      { timeZone: send.timeZone, consents: send.consents, optOuts: send.optOuts, sends: recent },
      {
        now,
        brandId: send.brandId,
        sender: {
          name: settings.senderName,
          contact: settings.senderContact,
          optOutNumber: settings.optOutNumber,
        },
        frequencyCaps: settings.frequencyCaps,
      },
    );
    return decide(send, decision, { text, to, variables, settings, options, placeholders, extraSends, key });
  });
}

function decide(
  send: LoadedSend,
  decision: GateDecision,
  context: {
    text: string;
    to: string;
    variables: Record<string, string>;
    settings: BrandSettings;
    options: PlanOptions;
    placeholders: { link: () => string; name: string };
    extraSends: Map<string, RecentSend[]>;
    key: string;
  },
): Disposition {
  const { now } = context.options;
  const { settings } = context;
  switch (decision.decision) {
    case "refuse":
      return { id: send.id, kind: "write", update: refusal(send.id, decision.rule, decision.detail, now) };
    case "hold":
      return {
        id: send.id,
        kind: "write",
        update: {
          ...blank(send.id, "held"),
          rule: decision.rule,
          detail: decision.detail,
          heldUntil: decision.until,
        },
      };
    case "reconfirm": {
      const notice = fillPlaceholders(settings.reconfirmText, { ...context.placeholders, link: () => "" });
      const channel = noticeChannel(notice);
      const check = checkSend(
        { channel, class: "informational", text: notice },
        { timeZone: send.timeZone, consents: [], optOuts: [], sends: [] },
        {
          now,
          brandId: send.brandId,
          sender: {
            name: settings.senderName,
            contact: settings.senderContact,
            optOutNumber: settings.optOutNumber,
          },
          frequencyCaps: {},
        },
      );
      if (check.decision === "refuse")
        return {
          id: send.id,
          kind: "write",
          update: refusal(
            send.id,
            check.rule,
            `The re-confirmation notice cannot be sent: ${check.detail}`,
            now,
          ),
        };
      return {
        id: send.id,
        kind: "send",
        send: {
          id: send.id,
          purpose: "reconfirm",
          toNumber: context.to,
          detail: decision.detail,
          outbound: {
            channel,
            to: context.to,
            from: settings.senderNumber,
            text: notice,
            customId: context.options.customId(send.id),
          },
        },
      };
    }
    case "send": {
      const list = context.extraSends.get(context.key) ?? [];
      list.push({ channel: send.channel, class: send.class, at: now });
      context.extraSends.set(context.key, list);
      return {
        id: send.id,
        kind: "send",
        send: {
          id: send.id,
          purpose: "message",
          toNumber: context.to,
          detail: null,
          outbound: outboundOf(send, context.text, context.to, context.variables, settings, context.options),
        },
      };
    }
  }
}

function outboundOf(
  send: LoadedSend,
  text: string,
  to: string,
  variables: Record<string, string>,
  settings: BrandSettings,
  options: PlanOptions,
): OutboundMessage {
  const base: OutboundMessage = {
    channel: send.channel,
    to,
    from: settings.senderNumber,
    text,
    customId: options.customId(send.id),
  };
  const senderKey = settings.kakaoSenderKey ?? "";
  if (send.channel === "lms" && send.message.subject) return { ...base, subject: send.message.subject };
  if (send.channel === "alimtalk")
    return { ...base, alimtalk: { senderKey, templateCode: send.template?.code ?? "", variables } };
  if (send.channel === "brand_message")
    return {
      ...base,
      brandMessage: {
        senderKey,
        targeting: "I",
        ...(send.template ? { templateCode: send.template.code, variables } : {}),
      },
    };
  return base;
}

/** The row a provider's answer leaves: accepted (or the notice sent, `reconfirm`), or rejected naming its code. */
export function resultUpdate(planned: PlannedSend, result: SendResult, at: Date): SendUpdate {
  const sent = {
    toNumber: planned.toNumber,
    text: planned.outbound.text,
    providerMessageId: result.providerMessageId,
    providerCode: result.providerCode,
  };
  if (result.status === "rejected")
    return {
      ...blank(planned.id, "rejected"),
      ...sent,
      rule: result.providerCode,
      detail:
        planned.purpose === "reconfirm"
          ? `The re-confirmation notice was rejected: ${result.error ?? result.providerCode}`
          : (result.error ?? null),
      finalAt: at,
    };
  if (planned.purpose === "reconfirm")
    return {
      ...blank(planned.id, "reconfirm"),
      ...sent,
      rule: "consent.reconfirm",
      detail: planned.detail,
      sentAt: at,
    };
  return { ...blank(planned.id, "accepted"), ...sent, sentAt: at };
}

/**
 * What a provider error does to the sends of its request: `retry` (an HTTP answer said it was not taken:
 * 429 or 5xx) releases them for another attempt; `doubt` (no readable answer: timeout, network, an answer
 * that cannot be read) marks them in doubt; anything else (auth, invalid, another 4xx) rejects them naming
 * the error.
 */
export function errorOutcome(error: ProviderError): "retry" | "doubt" | "reject" {
  if (error.kind === "http" && error.retryable) return "retry";
  if (error.kind === "timeout" || error.kind === "network" || error.kind === "response") return "doubt";
  return "reject";
}

export function errorUpdate(
  planned: PlannedSend,
  error: ProviderError,
  at: Date,
  provider: string,
): SendUpdate {
  if (errorOutcome(error) === "doubt")
    return {
      ...blank(planned.id, "failed"),
      toNumber: planned.toNumber,
      text: planned.outbound.text,
      rule: consumerRules.inDoubt,
      detail: `${provider} gave no readable answer (${error.kind}): ${error.message}; not sent again (no idempotency key)`,
      finalAt: at,
    };
  return {
    ...blank(planned.id, "rejected"),
    toNumber: planned.toNumber,
    text: planned.outbound.text,
    rule: `provider.${error.kind}`,
    providerCode:
      error.details.providerCode ?? (error.details.httpStatus ? String(error.details.httpStatus) : null),
    detail: error.message,
    finalAt: at,
  };
}

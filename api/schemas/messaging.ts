import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { messageChannels, messageClasses } from "../../domain/messaging/channels.ts";
import type { FrequencyCap } from "../../domain/messaging/compliance.ts";
import { templateStatuses } from "../../domain/messaging/compliance.ts";
import { optOutVias, type StoredOptOut } from "../../domain/messaging/opt-outs.ts";
import type { MessagingSettings } from "../../domain/messaging/settings.ts";
import { type MessageTemplateRow, templateChannels } from "../../domain/messaging/templates.ts";
import { hashId, inputTimestamp, iso, name, timestamp } from "./common.ts";

/** `{brand}` in the path: the brand's hash id. */
export const brandParams = z.object({
  brand: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: "brand", in: "path" },
      description: "The brand's hash id.",
      example: "Xk3G7QAe",
    }),
});

const hourMs = 3_600_000;
const maxWindowMs = 366 * 24 * hourMs;

const capInput = z
  .strictObject({
    max: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .openapi({ description: "Advertising sends allowed in the window." }),
    window_hours: z
      .number()
      .positive()
      .max(8784)
      .optional()
      .openapi({ description: "The rolling window in hours." }),
    window_ms: z.number().int().positive().max(maxWindowMs).optional().openapi({
      description: "The rolling window in milliseconds (instead of `window_hours`).",
    }),
  })
  .superRefine((cap, context) => {
    const given = Number(cap.window_hours !== undefined) + Number(cap.window_ms !== undefined);
    if (given !== 1)
      context.addIssue({
        code: "custom",
        path: ["window_hours"],
        message: "Give exactly one of window_hours and window_ms.",
      });
  });

const capsInput = z
  .strictObject(Object.fromEntries(messageChannels.map((channel) => [channel, capInput.optional()])))
  .openapi({
    description:
      "Per channel, at most `max` advertising sends per rolling window; a channel left out is not capped.",
  });

/** The caps as stored: `windowMs` per channel. */
export function capsOf(
  input: Record<string, z.infer<typeof capInput> | undefined>,
): Record<string, FrequencyCap> {
  const caps: Record<string, FrequencyCap> = {};
  for (const [channel, cap] of Object.entries(input)) {
    if (!cap) continue;
    caps[channel] = { max: cap.max, windowMs: cap.window_ms ?? Math.round((cap.window_hours ?? 0) * hourMs) };
  }
  return caps;
}

export const messagingSettingsBody = z
  .strictObject({
    sender_name: name.openapi({
      description: "The sender's name every advertisement carries.",
      example: "아크미",
    }),
    sender_contact: z.string().trim().min(1).max(40).openapi({
      description: "The sender's contact number every advertisement carries.",
      example: "02-930-2266",
    }),
    opt_out_number: z.string().trim().min(1).max(20).openapi({
      description: "The free 080 opt-out number advertisements carry.",
      example: "080-123-4567",
    }),
    sender_number: z.string().trim().min(1).max(20).openapi({
      description: "The sender number (발신번호) registered with the provider; stored as national digits.",
      example: "1588-0000",
    }),
    kakao_sender_key: z.string().trim().min(1).max(100).nullable().default(null).openapi({
      description: "The Kakao channel's sender key (AlimTalk and brand messages); null: none.",
    }),
    frequency_caps: capsInput.default({}),
    reconfirm_text: z.string().min(1).max(4000).openapi({
      description:
        "The consent re-confirmation notice, sent as an informational SMS (LMS over 90 EUC-KR bytes) instead of an advertisement when the consent is two years old.",
    }),
  })
  .openapi("MessagingSettingsInput");

export const messagingSettingsSchema = z
  .object({
    brand: hashId("Brand id."),
    sender_name: z.string(),
    sender_contact: z.string(),
    opt_out_number: z.string(),
    sender_number: z.string().openapi({ description: "National digits.", example: "15880000" }),
    kakao_sender_key: z.string().nullable(),
    frequency_caps: z.record(z.string(), z.object({ max: z.number().int(), window_ms: z.number().int() })),
    reconfirm_text: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("MessagingSettings");

export function presentSettings(
  ids: HashIds,
  row: MessagingSettings,
): z.infer<typeof messagingSettingsSchema> {
  const caps: Record<string, { max: number; window_ms: number }> = {};
  if (typeof row.frequencyCaps === "object" && row.frequencyCaps !== null)
    for (const [channel, cap] of Object.entries(row.frequencyCaps as Record<string, FrequencyCap>))
      caps[channel] = { max: cap.max, window_ms: cap.windowMs };
  return {
    brand: ids.encode("brand", row.brandId),
    sender_name: row.senderName,
    sender_contact: row.senderContact,
    opt_out_number: row.optOutNumber,
    sender_number: row.senderNumber,
    kakao_sender_key: row.kakaoSenderKey,
    frequency_caps: caps,
    reconfirm_text: row.reconfirmText,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

const templateCode = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .openapi({ description: "The provider's template id.", example: "KA01TP0001" });
const templateVariables = z
  .array(
    z
      .string()
      .min(1)
      .max(50)
      .regex(/^[^#{}]+$/, "A variable's name, without #{ }."),
  )
  .max(50)
  .openapi({ description: "The `#{name}` variables the text takes, in order.", example: ["name", "order"] });

export const createTemplateBody = z
  .strictObject({
    brand: hashId("The brand the template belongs to."),
    channel: z.enum(templateChannels),
    code: templateCode,
    name,
    class: z.enum(messageClasses),
    status: z.enum(templateStatuses).default("in_review").openapi({ description: "Kakao's review state." }),
    text: z.string().min(1).max(1300),
    variables: templateVariables.default([]),
  })
  .openapi("CreateMessageTemplate");

export const updateTemplateBody = z
  .strictObject({
    name: name.optional(),
    class: z.enum(messageClasses).optional(),
    status: z.enum(templateStatuses).optional(),
    text: z.string().min(1).max(1300).optional(),
    variables: templateVariables.optional(),
  })
  .openapi("UpdateMessageTemplate");

export const templateSchema = z
  .object({
    id: hashId("Template id."),
    brand: hashId("Brand id."),
    channel: z.enum(templateChannels),
    code: z.string(),
    name: z.string(),
    class: z.enum(messageClasses),
    status: z.enum(templateStatuses),
    text: z.string(),
    variables: z.array(z.string()),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("MessageTemplate");

export function presentTemplate(ids: HashIds, row: MessageTemplateRow): z.infer<typeof templateSchema> {
  return {
    id: ids.encode("messageTemplate", row.id),
    brand: ids.encode("brand", row.brandId),
    channel: row.channel === "alimtalk" ? "alimtalk" : "brand_message",
    code: row.code,
    name: row.name,
    class: row.class,
    status: row.status,
    text: row.text,
    variables: Array.isArray(row.variables) ? row.variables.map(String) : [],
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export const optOutBody = z
  .strictObject({
    phone: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .openapi({ description: "The number that opted out.", example: "010-1234-5678" }),
    via: z.enum(optOutVias).openapi({ description: "By a call to the 080 number or a reply." }),
    at: inputTimestamp.optional().openapi({ description: "When; now if left out." }),
    id: z.string().trim().min(1).max(200).optional().openapi({
      description: "The caller's id of the opt-out: the same id twice records it once.",
    }),
  })
  .openapi("OptOutInput");

export const optOutWebhookBody = z
  .strictObject({
    brand: hashId("The brand the opt-out refuses."),
    phone: z.string().trim().min(1).max(40),
    via: z.enum(optOutVias),
    at: inputTimestamp,
    id: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .openapi({ description: "The service's id: a redelivery changes nothing." }),
  })
  .openapi("OptOutWebhook");

export const optOutSchema = z
  .object({
    id: hashId("Opt-out id."),
    brand: hashId("Brand id."),
    phone: z.string().openapi({ description: "National digits.", example: "01012345678" }),
    contact: hashId(
      "The contact the number belongs to among the brand's accounts, when exactly one.",
    ).nullable(),
    via: z.enum(optOutVias),
    at: timestamp,
    source_id: z.string(),
  })
  .openapi("OptOut");

export const presentOptOut = (ids: HashIds, row: StoredOptOut): z.infer<typeof optOutSchema> => ({
  id: ids.encode("optOut", row.id),
  brand: ids.encode("brand", row.brandId),
  phone: row.phone,
  contact: row.contactId === null ? null : ids.encode("contact", row.contactId),
  via: row.via,
  at: row.at,
  source_id: row.sourceId,
});

export const reconfirmBody = z
  .strictObject({
    contact: hashId("The contact who answered.").optional(),
    phone: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .optional()
      .openapi({ description: "Or the number that answered." }),
    channel: z.enum(["sms", "kakao", "email", "night_ads"]),
    at: inputTimestamp.optional().openapi({ description: "When; now if left out." }),
  })
  .openapi("ConsentReconfirmation");

export const reconfirmAnswer = z
  .object({
    reconfirmed: z.number().int().openapi({ description: "Consents marked re-confirmed." }),
    contacts: z.array(z.string()),
    at: timestamp,
  })
  .openapi("ConsentsReconfirmed");

export const receiptWebhookAnswer = z
  .object({
    received: z.number().int().openapi({ description: "Reports in the body." }),
    enqueued: z.number().int().openapi({ description: "Final reports (delivered or failed) queued." }),
    messages: z.number().int(),
  })
  .openapi("MessageReceiptsQueued");

import { z } from "@hono/zod-openapi";
import { emailEventTypes } from "../../domain/contacts/email-event-message.ts";
import { hashId, inputTimestamp } from "./common.ts";

/** One event of the normalised email webhook format (README, "Email platform events"). */
export const normalisedEmailEvent = z
  .strictObject({
    id: z.string().min(1).max(200).openapi({ description: "The platform's event id: the idempotency key." }),
    type: z.enum(emailEventTypes),
    email: z.string().trim().min(3).max(320).openapi({ description: "The recipient, as sent." }),
    occurred_at: inputTimestamp,
    brand: hashId("The brand the message was sent for; absent: every brand of the contact.")
      .nullable()
      .optional(),
    message_id: z.string().min(1).max(200).nullable().optional(),
    bounce_type: z.enum(["hard", "soft"]).nullable().optional(),
    url: z.string().min(1).max(8192).nullable().optional(),
    reason: z.string().max(2000).nullable().optional(),
    group_id: z.string().min(1).max(100).nullable().optional(),
  })
  .openapi("NormalisedEmailEvent");

export const normalisedEmailEvents = z
  .strictObject({ events: z.array(normalisedEmailEvent).min(1).max(1000) })
  .openapi("NormalisedEmailEvents");
export type NormalisedEmailEvents = z.infer<typeof normalisedEmailEvents>;

export const emailWebhookAnswer = z
  .object({
    received: z.number().int().openapi({ description: "Events in the request." }),
    enqueued: z.number().int().openapi({ description: "Events queued for storage." }),
    skipped: z
      .record(z.string(), z.number().int())
      .openapi({ description: "Events left out, by reason (SendGrid only: an event this cannot use)." }),
    messages: z.number().int().openapi({ description: "Queue messages they were split into." }),
  })
  .openapi("EmailWebhookResult");
export type EmailWebhookAnswer = z.infer<typeof emailWebhookAnswer>;

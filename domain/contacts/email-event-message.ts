import { z } from "zod";
import { emailEventType } from "../../db/schema/events.ts";

/** What an email platform reports (SPEC §5): the values of the database enum `email_event_type`. */
export const emailEventTypes = emailEventType.enumValues;
export type EmailEventType = (typeof emailEventTypes)[number];

/** The events that end a brand relationship: the recipient asked for no more mail, or complained. */
export const leavingEventTypes: readonly EmailEventType[] = [
  "unsubscribe",
  "group_unsubscribe",
  "spam_report",
];

/** The events that restore a relationship those events ended: the recipient asked for the mail again. */
export const returningEventTypes: readonly EmailEventType[] = ["group_resubscribe"];

/** Platforms, as `email_events.platform` stores them. */
export const emailPlatforms = ["sendgrid", "normalised"] as const;
export type EmailPlatform = (typeof emailPlatforms)[number];

/** One event as the webhooks enqueue it, whatever the platform sent. */
export const emailEventSchema = z.object({
  /** The platform's event id (SendGrid `sg_event_id`): with the platform, the idempotency key. */
  id: z.string().min(1).max(200),
  type: z.enum(emailEventTypes),
  /** The address as the platform sent it; the consumer normalises and hashes it and never stores it here. */
  email: z.string().max(320),
  occurredAt: z.iso.datetime({ offset: true }),
  /** The brand the message was sent for (decoded from its hash id at the webhook), or null when not named. */
  brandId: z.number().int().positive().nullable(),
  messageId: z.string().max(200).nullable(),
  /** `bounce` only: `hard` (SendGrid `bounce`) or `soft` (SendGrid `blocked`). */
  bounceType: z.enum(["hard", "soft"]).nullable(),
  url: z.string().max(8192).nullable(),
  reason: z.string().max(2000).nullable(),
  groupId: z.string().max(100).nullable(),
  /** The event as received, without the address. */
  raw: z.record(z.string(), z.unknown()),
});
export type EmailEvent = z.infer<typeof emailEventSchema>;

/** A message of the events queue carrying email events (`type` selects the consumer part). */
export const emailEventsMessageSchema = z.object({
  v: z.literal(1),
  type: z.literal("email"),
  platform: z.enum(emailPlatforms),
  events: z.array(emailEventSchema).min(1),
});
export type EmailEventsMessage = z.infer<typeof emailEventsMessageSchema>;

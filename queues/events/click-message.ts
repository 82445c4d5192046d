import { z } from "zod";

/** A request for a send's tracked link, as the edge saw it (`/m/:token`): one message per request. */
export const messageClickSchema = z.object({
  type: z.literal("message.click"),
  /** The edge's UUIDv7 of the request: a redelivered message stores nothing twice. */
  id: z.uuid(),
  sendId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  messageCampaignId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  arm: z.number().int().min(0).max(32_767),
  at: z.iso.datetime({ offset: true }),
  userAgent: z.string().max(512).nullable(),
  country: z.string().max(8).nullable(),
  /** A link preview or crawler: counts as opened, not clicked. */
  bot: z.boolean(),
});

export type MessageClickMessage = z.infer<typeof messageClickSchema>;

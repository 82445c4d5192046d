import { z } from "zod";

/**
 * A sends queue message (CONTRACT §1): ids of `message_sends` rows, at most 500, ascending. The rows are the
 * truth: a send already past `queued`/`held` is skipped, so a redelivered or replayed message sends nothing
 * twice.
 */
export const sendsMessageSchema = z.object({
  type: z.literal("sends"),
  sendIds: z.array(z.number().int().positive()).min(1).max(500),
});

export type SendsMessage = z.infer<typeof sendsMessageSchema>;

/** Most ids in one message, and messages in one `sendBatch` call (Queues' limit). */
export const maxIdsPerMessage = 500;
export const maxMessagesPerSendBatch = 100;

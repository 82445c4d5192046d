import { z } from "zod";
import { optOutVias } from "./opt-outs.ts";

/**
 * The events queue messages of messaging (queues/events): delivery reports from the provider's webhook and
 * opt-outs from the 080 / reply service's webhook, both enqueued by the webhook and stored by the consumer.
 */

const instant = z.iso.datetime({ offset: true });

/** At most this many reports per message, well under the Queues message size. */
export const maxReceiptsPerMessage = 200;

export const receiptMessageSchema = z.object({
  type: z.literal("message.receipt"),
  v: z.literal(1),
  provider: z.string().min(1).max(32),
  receipts: z
    .array(
      z.object({
        providerMessageId: z.string().min(1).max(128),
        /** Our send id as the report named it (decoded by the webhook); null when it named none or another. */
        sendId: z.number().int().positive().nullable(),
        status: z.enum(["delivered", "failed"]),
        providerCode: z.string().min(1).max(32),
        providerMessage: z.string().max(500).nullable(),
        at: instant,
      }),
    )
    .min(1)
    .max(maxReceiptsPerMessage),
});
export type ReceiptMessage = z.infer<typeof receiptMessageSchema>;

export const optOutMessageSchema = z.object({
  type: z.literal("message.optout"),
  v: z.literal(1),
  brandId: z.number().int().positive(),
  /** National digits. */
  phone: z.string().regex(/^0\d{8,10}$/),
  via: z.enum(optOutVias),
  at: instant,
  sourceId: z.string().min(1).max(200),
});
export type OptOutMessage = z.infer<typeof optOutMessageSchema>;

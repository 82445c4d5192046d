import { z } from "zod";

/** One conversion a partner reported to `/pb`, verified at the edge (signature and replay window). */
export const conversionMessageSchema = z
  .object({
    v: z.literal(1),
    type: z.literal("conversion"),
    /** UUIDv7 the edge answered with (`receipt`); ties a partner's call to the logs. */
    receiptId: z.uuid(),
    receivedAt: z.iso.datetime({ offset: true }),
    partnerId: z.number().int().positive(),
    clickId: z.string().min(1).max(256).nullable(),
    transactionId: z.string().min(1).max(256).nullable(),
    event: z.string().regex(/^[a-z0-9_.-]{1,64}$/),
    /** Minor units of `currency`. */
    amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .nullable(),
    /** Every parameter as received, the signature removed. */
    params: z.record(z.string(), z.string()),
  })
  .refine((message) => message.clickId !== null || message.transactionId !== null, {
    message: "a conversion needs a click id or a transaction id",
    path: ["clickId"],
  });
export type ConversionMessage = z.infer<typeof conversionMessageSchema>;

import { z } from "zod";

/**
 * A relay queue message: the job's id. The job row (status, values, attempts) is the truth. A message
 * the consumer schedules for later also says how many attempts the job had then: when it comes due and
 * the job has moved on (a resend or another message made an attempt since, which scheduled its own
 * follow-up), it is dropped rather than kept going beside that follow-up.
 */
export const relayMessageSchema = z.object({
  jobId: z.number().int().positive(),
  attempts: z.number().int().nonnegative().optional(),
});

export type RelayMessage = z.infer<typeof relayMessageSchema>;

import { z } from "zod";

/** A relay queue message: only the job's id. The job row (status, payload, attempts) is the truth. */
export const relayMessageSchema = z.object({ jobId: z.number().int().positive() });

export type RelayMessage = z.infer<typeof relayMessageSchema>;

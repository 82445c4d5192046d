import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { instantRangeMessage, outsideInstantRange } from "../../domain/core/instant-range.ts";
import type { FailedEvent } from "../../domain/ops/failed-events.ts";
import { maxReplayLimit } from "../../domain/ops/failed-events.ts";
import { iso, isoOrNull, timestamp } from "./common.ts";

export const failedEventSchema = z
  .object({
    id: z.string().openapi({ description: "Failed event id (pass it to replay)." }),
    queue: z.string().openapi({ example: "leadrail-captures" }),
    message_id: z.string(),
    attempts: z.number().int().openapi({
      description:
        "Deliveries on the dead-letter queue before it was stored (usually 1); the source queue's retries are not counted here.",
    }),
    error: z.string().nullable().openapi({
      description: "Why it was dead-lettered: `retries_exhausted` after the source queue's retries.",
    }),
    failed_at: timestamp,
    replayed_at: timestamp.nullable(),
    replay_count: z.number().int(),
  })
  .openapi("FailedEvent");
export type FailedEventJson = z.infer<typeof failedEventSchema>;

export const presentFailedEvent = (ids: HashIds, event: FailedEvent): FailedEventJson => ({
  id: ids.encode("failedEvent", event.id),
  queue: event.queue,
  message_id: event.messageId,
  attempts: event.attempts,
  error: event.error,
  failed_at: iso(event.failedAt),
  replayed_at: isoOrNull(event.replayedAt),
  replay_count: event.replayCount,
});

export const queueName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "Not a queue name.")
  .openapi({ example: "leadrail-captures" });

/** A date (midnight UTC) or a date-time with an explicit offset. */
export const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .refine((value) => !outsideInstantRange(value), {
    message: instantRangeMessage,
    params: { category: "out_of_range" },
  })
  .transform((value) => new Date(value))
  .openapi({ example: "2026-11-22T10:00:00Z" });

export const replayLimit = z.number().int().min(1).max(maxReplayLimit);

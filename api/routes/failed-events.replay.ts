import { createRoute, z } from "@hono/zod-openapi";
import { FieldErrors } from "../../domain/core/errors.ts";
import { replayFailedEvents } from "../../domain/ops/failed-events.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import type { ApiApp } from "../hono-env.ts";
import { requireAdmin } from "../middleware/auth.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { instant, queueName, replayLimit } from "../schemas/failed-event.ts";

const body = z
  .strictObject({
    ids: z
      .array(z.union([z.string().min(1).max(64), z.number().int().min(1)]))
      .min(1)
      .max(1000)
      .optional()
      .openapi({
        description: "Failed event ids as listed (explicit rows are replayed even if replayed before).",
      }),
    queue: queueName.optional(),
    since: instant.optional().openapi({ description: "Failed at or after." }),
    until: instant.optional().openapi({ description: "Failed before." }),
    limit: replayLimit.optional().openapi({ description: "At most this many (default 100)." }),
  })
  .openapi("Replay");

const replayed = z
  .object({
    replayed: z.number().int(),
    ids: z.array(z.string()).openapi({ description: "The failed events sent back to their queue." }),
  })
  .openapi("Replayed");

export const replayFailedEventsRoute = createRoute({
  method: "post",
  path: "/api/v1/failed-events/replay",
  tags: ["Failed events"],
  summary: "Replay failed events (admin)",
  description:
    "Sends failed messages back to their source queue and marks them replayed. Without `ids`, only events not replayed yet are chosen. The consumers are idempotent, so a replay never stores anything twice.",
  security,
  middleware: [requireAdmin] as const,
  request: { body: { required: false, content: { "application/json": { schema: body } } } },
  responses: {
    200: { description: "What was replayed.", content: { "application/json": { schema: replayed } } },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type ReplayFailedEventsRequest = z.input<typeof body>;
export type ReplayFailedEventsResponse = z.infer<typeof replayed>;

export function registerReplayFailedEvents(app: ApiApp): void {
  app.openapi(replayFailedEventsRoute, async (c) => {
    const input = c.req.valid("json");
    const errors = new FieldErrors();
    const ids = input.ids?.map((value, index) => {
      const id = typeof value === "number" ? value : c.var.ids.decode("failedEvent", value);
      if (id === null) errors.add(`ids.${index}`, "malformed", "Not a failed event id.");
      return id ?? 0;
    });
    if (input.since && input.until && input.since >= input.until)
      errors.add("until", "out_of_range", "Must be after since.");
    errors.throwIfAny();
    const result = await replayFailedEvents(
      {
        db: c.var.db,
        queues: {
          [queueNames.captures]: c.env.CAPTURES_QUEUE,
          [queueNames.sends]: c.env.SENDS_QUEUE,
        },
      },
      { ids, queue: input.queue, since: input.since, until: input.until, limit: input.limit },
    );
    return c.json(
      { replayed: result.replayed, ids: result.ids.map((id) => c.var.ids.encode("failedEvent", id)) },
      200,
    );
  });
}

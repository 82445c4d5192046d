import { createRoute, z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { listFailedEvents, maxReplayLimit } from "../../domain/ops/failed-events.ts";
import type { ApiApp } from "../hono-env.ts";
import { requireUnscoped } from "../middleware/auth.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { failedEventSchema, instant, presentFailedEvent, queueName } from "../schemas/failed-event.ts";

const query = z.object({
  queue: queueName.optional().openapi({ param: { name: "queue", in: "query" } }),
  since: instant
    .optional()
    .openapi({ param: { name: "since", in: "query" }, description: "Failed at or after." }),
  until: instant.optional().openapi({ param: { name: "until", in: "query" }, description: "Failed before." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxReplayLimit)
    .default(100)
    .openapi({
      param: { name: "limit", in: "query" },
      description: `At most this many (1–${maxReplayLimit}).`,
    }),
});

const failedEventList = z
  .object({ data: z.array(failedEventSchema) })
  .openapi("FailedEventList", { description: "Newest first; narrow with `until` to see older ones." });

export const listFailedEventsRoute = createRoute({
  method: "get",
  path: "/api/v1/failed-events",
  tags: ["Failed events"],
  summary: "List failed events",
  description:
    "Messages a queue gave up on (retries exhausted), kept for replay. Needs a key for every brand: the messages carry any brand's data.",
  security,
  middleware: [requireUnscoped] as const,
  request: { query },
  responses: {
    200: {
      description: "Failed events, newest first.",
      content: { "application/json": { schema: failedEventList } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListFailedEventsResponse = z.infer<typeof failedEventList>;

export function registerListFailedEvents(app: ApiApp): void {
  app.openapi(listFailedEventsRoute, async (c) => {
    const { queue, since, until, limit } = c.req.valid("query");
    if (since && until && since >= until)
      throw new ValidationFailed([
        { field: "until", category: "out_of_range", message: "Must be after since." },
      ]);
    const events = await listFailedEvents(c.var.db, { queue, since, until, limit });
    return c.json({ data: events.map((event) => presentFailedEvent(c.var.ids, event)) }, 200);
  });
}

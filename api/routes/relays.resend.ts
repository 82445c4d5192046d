import { createRoute, type z } from "@hono/zod-openapi";
import { FieldErrors, Unavailable } from "../../domain/core/errors.ts";
import { enqueueRelayJobs } from "../../domain/relay/enqueue.ts";
import { resendRelayJobs } from "../../domain/relay/jobs.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { resendAnswer, resendBody } from "../schemas/relay-job.ts";

export const resendRelayJobsRoute = createRoute({
  method: "post",
  path: "/api/v1/relays/resend",
  tags: ["Relays"],
  summary: "Resend relay jobs",
  description:
    "Resets the chosen jobs to `pending` and sends them to the relay queue: by `ids`, by `partner`, or by creation time (`since`/`until`), narrowed by `status` (default `failed`; with `ids`: failed, paused and pending). Idempotent: a job that succeeded (or is being sent) is never sent again, so repeating a resend sends nothing twice. Jobs outside the key's brands are never chosen; naming one is a 403.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: resendBody } } } },
  responses: {
    200: { description: "The jobs requeued.", content: { "application/json": { schema: resendAnswer } } },
    ...problemResponses(400, 401, 403, 413, 415, 422, 503),
  },
});

export type ResendRelayJobsRequest = z.input<typeof resendBody>;
export type ResendRelayJobsResponse = z.infer<typeof resendAnswer>;

export function registerResendRelayJobs(app: ApiApp): void {
  app.openapi(resendRelayJobsRoute, async (c) => {
    const body = c.req.valid("json");
    const ids = c.var.ids;
    const errors = new FieldErrors();
    const jobIds = body.ids?.map((value, index) => {
      const id = ids.decode("relayJob", value);
      if (id === null) errors.add(`ids.${index}`, "malformed", "Not a relay job id.");
      return id ?? 0;
    });
    const partnerId = body.partner === undefined ? undefined : ids.decode("partner", body.partner);
    if (partnerId === null) errors.add("partner", "malformed", "Not a partner id.");
    if (body.since && body.until && body.since >= body.until)
      errors.add("until", "out_of_range", "Must be after since.");
    if (jobIds === undefined && body.partner === undefined && !body.since && !body.until)
      errors.add("ids", "missing", "Choose the jobs: ids, partner, or a time range (since/until).");
    errors.throwIfAny();
    const requeued = await resendRelayJobs({
      ctx: verbContext(c),
      input: {
        ids: jobIds,
        partnerId: partnerId ?? undefined,
        since: body.since,
        until: body.until,
        statuses: body.status ?? (jobIds === undefined ? undefined : ["failed", "paused", "pending"]),
        limit: body.limit,
      },
    });
    try {
      await enqueueRelayJobs(c.env.RELAYS_QUEUE, requeued);
    } catch (error) {
      throw new Unavailable(
        `${requeued.length} jobs were reset to pending but could not be queued; resend them with status ["pending"].`,
        { cause: error },
      );
    }
    return c.json({ requeued: requeued.length, ids: requeued.map((id) => ids.encode("relayJob", id)) }, 200);
  });
}

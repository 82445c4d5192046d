import { createRoute, z } from "@hono/zod-openapi";
import { enqueueRelayJobs } from "../../domain/relay/enqueue.ts";
import { resumePostbacks } from "../../domain/relay/postback-pause.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, idParams, pathId, security } from "../schemas/common.ts";

const resumedSchema = z
  .object({
    partner: hashId("The partner's hash id."),
    resumed_jobs: z.number().int().openapi({ description: "Paused postbacks put back on the relay queue." }),
    resolved_alerts: z.number().int().openapi({ description: "Open pause alerts marked resolved." }),
  })
  .openapi("ResumedPostbacks");

export const resumePostbacksRoute = createRoute({
  method: "post",
  path: "/api/v1/partners/{id}/postbacks/resume",
  tags: ["Partners"],
  summary: "Resume a partner's postbacks",
  description:
    "After the partner's postbacks were paused (too many consecutive failed attempts): clears the pause and the failure counter, resolves the alert, and sends the paused postbacks again. Needs a key for all brands; resuming a partner that is not paused changes nothing.",
  security,
  request: { params: idParams("partner") },
  responses: {
    200: { description: "Resumed.", content: { "application/json": { schema: resumedSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type ResumePostbacksResponse = z.infer<typeof resumedSchema>;

export function registerResumePostbacks(app: ApiApp): void {
  app.openapi(resumePostbacksRoute, async (c) => {
    const hash = c.req.valid("param").id;
    const id = pathId(c.var.ids, "partner", hash);
    const resumed = await resumePostbacks({ ctx: verbContext(c), input: { id } });
    // After the commit: a failed send leaves the jobs `pending` for the resend command to pick up.
    await enqueueRelayJobs(c.env.RELAYS_QUEUE, resumed.jobIds);
    return c.json(
      { partner: hash, resumed_jobs: resumed.jobIds.length, resolved_alerts: resumed.resolvedAlerts },
      200,
    );
  });
}

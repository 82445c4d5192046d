import { createRoute, type z } from "@hono/zod-openapi";
import { launchCampaign } from "../../domain/campaigns/launch.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  campaignBodyHook,
  campaignSchema,
  launchCampaignBody,
  presentCampaign,
} from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const launchCampaignRoute = createRoute({
  method: "post",
  path: "/api/v1/campaigns/{id}/launch",
  tags: ["Message campaigns"],
  summary: "Launch or schedule a message campaign",
  description:
    'Without `scheduled_at`: launches now, in one transaction: every member of the target (a cohort as its definition selects now, a snapshot as frozen) is assigned its bucket (`sha256("<experiment key>:<account id>")` mod 10,000) and arm, every member not held out gets a queued send, and the campaign is running with its member count; then the arms\' link targets go to the edge and the sends to the sends queue. With `scheduled_at` (later than now): the campaign is scheduled and the per-minute dispatcher launches it at that minute. A draft or scheduled campaign only: launching a running, paused, completed or cancelled one is a 409. A 503 after launching means the link targets or sends could not be handed on yet; the dispatcher does it within about ten minutes.',
  security,
  request: {
    params: idParams("message campaign"),
    body: { required: false, content: { "application/json": { schema: launchCampaignBody } } },
  },
  responses: {
    200: {
      description: "The campaign, running or scheduled.",
      content: { "application/json": { schema: campaignSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
  },
});

export type LaunchCampaignRequest = z.input<typeof launchCampaignBody>;
export type LaunchCampaignResponse = z.infer<typeof campaignSchema>;

export function registerLaunchCampaign(app: ApiApp): void {
  app.openapi(
    launchCampaignRoute,
    async (c) => {
      const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
      const body = c.req.valid("json") ?? {};
      const campaign = await launchCampaign({
        ctx: verbContext(c),
        input: { id, scheduledAt: body.scheduled_at === undefined ? undefined : new Date(body.scheduled_at) },
        services: {
          kv: c.env.EDGE_CONFIG,
          queue: c.env.SENDS_QUEUE,
          fallbackUrl: dbConfig(c.env).GLOBAL_FALLBACK_URL,
        },
      });
      return c.json(presentCampaign(c.var.ids, campaign), 200);
    },
    (result, c) => campaignBodyHook(result, c),
  );
}

import { createRoute, type z } from "@hono/zod-openapi";
import { resumeCampaign } from "../../domain/campaigns/dispatch.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { campaignSchema, presentCampaign } from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const resumeCampaignRoute = createRoute({
  method: "post",
  path: "/api/v1/campaigns/{id}/resume",
  tags: ["Message campaigns"],
  summary: "Resume a message campaign",
  description:
    "A paused campaign runs again: at once, its sends still queued and those whose night-time hold ended while it was paused go back to the sends queue (each passes the compliance gate again). Any other status is a 409. A 503 means the campaign resumed but its sends could not be handed on yet; the dispatcher does it within about ten minutes.",
  security,
  request: { params: idParams("message campaign") },
  responses: {
    200: { description: "The campaign.", content: { "application/json": { schema: campaignSchema } } },
    ...problemResponses(401, 403, 404, 409, 503),
  },
});

export type ResumeCampaignResponse = z.infer<typeof campaignSchema>;

export function registerResumeCampaign(app: ApiApp): void {
  app.openapi(resumeCampaignRoute, async (c) => {
    const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
    const campaign = await resumeCampaign({
      ctx: verbContext(c),
      input: { id },
      services: {
        kv: c.env.EDGE_CONFIG,
        queue: c.env.SENDS_QUEUE,
        fallbackUrl: dbConfig(c.env).GLOBAL_FALLBACK_URL,
      },
    });
    return c.json(presentCampaign(c.var.ids, campaign), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { transitionCampaign } from "../../domain/campaigns/campaigns.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { campaignSchema, presentCampaign } from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const pauseCampaignRoute = createRoute({
  method: "post",
  path: "/api/v1/campaigns/{id}/pause",
  tags: ["Message campaigns"],
  summary: "Pause a message campaign",
  description:
    "A running campaign sends nothing more until resumed: its queued sends wait. Any other status is a 409.",
  security,
  request: { params: idParams("message campaign") },
  responses: {
    200: { description: "The campaign.", content: { "application/json": { schema: campaignSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export type PauseCampaignResponse = z.infer<typeof campaignSchema>;

export function registerPauseCampaign(app: ApiApp): void {
  app.openapi(pauseCampaignRoute, async (c) => {
    const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
    const campaign = await transitionCampaign({ ctx: verbContext(c), input: { id, action: "pause" } });
    return c.json(presentCampaign(c.var.ids, campaign), 200);
  });
}

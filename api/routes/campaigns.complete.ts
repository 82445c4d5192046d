import { createRoute, type z } from "@hono/zod-openapi";
import { transitionCampaign } from "../../domain/campaigns/campaigns.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { campaignSchema, presentCampaign } from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const completeCampaignRoute = createRoute({
  method: "post",
  path: "/api/v1/campaigns/{id}/complete",
  tags: ["Message campaigns"],
  summary: "Complete a message campaign",
  description:
    "Ends a running or paused campaign now (the dispatcher does it when the goal window closes): completed, with `completed_at`. Any other status is a 409.",
  security,
  request: { params: idParams("message campaign") },
  responses: {
    200: { description: "The campaign.", content: { "application/json": { schema: campaignSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export type CompleteCampaignResponse = z.infer<typeof campaignSchema>;

export function registerCompleteCampaign(app: ApiApp): void {
  app.openapi(completeCampaignRoute, async (c) => {
    const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
    const campaign = await transitionCampaign({ ctx: verbContext(c), input: { id, action: "complete" } });
    return c.json(presentCampaign(c.var.ids, campaign), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { transitionCampaign } from "../../domain/campaigns/campaigns.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { campaignSchema, presentCampaign } from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const cancelCampaignRoute = createRoute({
  method: "post",
  path: "/api/v1/campaigns/{id}/cancel",
  tags: ["Message campaigns"],
  summary: "Cancel a message campaign",
  description:
    "A draft or scheduled campaign never runs: cancelled. A launched one is a 409 (pause or complete it instead).",
  security,
  request: { params: idParams("message campaign") },
  responses: {
    200: { description: "The campaign.", content: { "application/json": { schema: campaignSchema } } },
    ...problemResponses(401, 403, 404, 409),
  },
});

export type CancelCampaignResponse = z.infer<typeof campaignSchema>;

export function registerCancelCampaign(app: ApiApp): void {
  app.openapi(cancelCampaignRoute, async (c) => {
    const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
    const campaign = await transitionCampaign({ ctx: verbContext(c), input: { id, action: "cancel" } });
    return c.json(presentCampaign(c.var.ids, campaign), 200);
  });
}

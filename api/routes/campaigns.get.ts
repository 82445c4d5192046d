import { createRoute, type z } from "@hono/zod-openapi";
import { getCampaign } from "../../domain/campaigns/campaigns.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { campaignSchema, presentCampaign } from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getCampaignRoute = createRoute({
  method: "get",
  path: "/api/v1/campaigns/{id}",
  tags: ["Message campaigns"],
  summary: "Get a message campaign",
  description: "The campaign with its arms (bucket ranges, messages), experiment, status and member count.",
  security,
  request: { params: idParams("message campaign") },
  responses: {
    200: { description: "The campaign.", content: { "application/json": { schema: campaignSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetCampaignResponse = z.infer<typeof campaignSchema>;

export function registerGetCampaign(app: ApiApp): void {
  app.openapi(getCampaignRoute, async (c) => {
    const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
    const campaign = await getCampaign({ ctx: verbContext(c), input: { id } });
    return c.json(presentCampaign(c.var.ids, campaign), 200);
  });
}

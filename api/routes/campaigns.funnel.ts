import { createRoute, type z } from "@hono/zod-openapi";
import { getCampaignFunnel } from "../../domain/funnel/campaign-funnel.ts";
import { edgeConfig } from "../../domain/platform/env.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { campaignFunnelSchema, presentCampaignFunnel } from "../schemas/funnel.ts";

export const campaignFunnelRoute = createRoute({
  method: "get",
  path: "/api/v1/campaigns/{id}/funnel",
  tags: ["Campaigns"],
  summary: "The message-response funnel of a campaign",
  description:
    "The eight stages (targeted, sent, delivered, opened, clicked, visited, carted, purchased) per arm, counted live now, with each stage's rate of `targeted`, the totals, and the nightly series (`message-funnel`) oldest first. A member counts once per stage; a holdout arm has members, carts and purchases but no sends. Definitions: domain/funnel/README.md.",
  security,
  request: { params: idParams("message campaign") },
  responses: {
    200: { description: "The funnel.", content: { "application/json": { schema: campaignFunnelSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type CampaignFunnelResponse = z.infer<typeof campaignFunnelSchema>;

export function registerCampaignFunnel(app: ApiApp): void {
  app.openapi(campaignFunnelRoute, async (c) => {
    const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
    const funnel = await getCampaignFunnel({
      ctx: verbContext(c),
      input: { id, alphabet: edgeConfig(c.env).SQIDS_ALPHABET },
    });
    return c.json(presentCampaignFunnel(c.var.ids, funnel), 200);
  });
}

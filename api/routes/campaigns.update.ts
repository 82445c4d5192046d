import { createRoute, type z } from "@hono/zod-openapi";
import { updateCampaign } from "../../domain/campaigns/campaigns.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  armsInput,
  campaignBodyHook,
  campaignSchema,
  experimentOf,
  presentCampaign,
  updateCampaignBody,
} from "../schemas/campaign.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const updateCampaignRoute = createRoute({
  method: "patch",
  path: "/api/v1/campaigns/{id}",
  tags: ["Message campaigns"],
  summary: "Change a message campaign",
  description:
    "A draft or scheduled campaign may change anything, checked as on create (`experiment: null` removes the experiment). A running, paused or completed one may change only its name: its members already hold their arms, so a change of the experiment key, the arms or a weight is a 409 naming the field (`arms[1].weight`), and so is any other field that differs. A cancelled campaign cannot change.",
  security,
  request: {
    params: idParams("message campaign"),
    body: { required: true, content: { "application/json": { schema: updateCampaignBody } } },
  },
  responses: {
    200: {
      description: "The campaign as changed.",
      content: { "application/json": { schema: campaignSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

export type UpdateCampaignRequest = z.input<typeof updateCampaignBody>;
export type UpdateCampaignResponse = z.infer<typeof campaignSchema>;

export function registerUpdateCampaign(app: ApiApp): void {
  app.openapi(
    updateCampaignRoute,
    async (c) => {
      const id = pathId(c.var.ids, "messageCampaign", c.req.valid("param").id, "message campaign");
      const body = c.req.valid("json");
      const campaign = await updateCampaign({
        ctx: verbContext(c),
        input: {
          id,
          name: body.name,
          code: body.code,
          target: body.target,
          goalWindowDays: body.goal_window_days,
          arms: body.arms === undefined ? undefined : armsInput(body.arms),
          experiment: experimentOf(body.experiment),
          linkBaseUrl: dbConfig(c.env).MESSAGE_LINK_BASE_URL,
        },
      });
      return c.json(presentCampaign(c.var.ids, campaign), 200);
    },
    (result, c) => campaignBodyHook(result, c),
  );
}

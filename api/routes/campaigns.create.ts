import { createRoute, type z } from "@hono/zod-openapi";
import { createCampaign } from "../../domain/campaigns/campaigns.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  armsInput,
  campaignBodyHook,
  campaignSchema,
  createCampaignBody,
  experimentOf,
  presentCampaign,
} from "../schemas/campaign.ts";
import { security } from "../schemas/common.ts";

export const createCampaignRoute = createRoute({
  method: "post",
  path: "/api/v1/campaigns",
  tags: ["Message campaigns"],
  summary: "Create a message campaign (draft)",
  description:
    "A draft campaign of one brand: a cohort (its members at launch) or a snapshot (its frozen members) of that brand, the sales campaign `code` (made if new, reused if the brand has it; 409 when another message campaign has it), the goal window, and its arms: exactly one control, any variants, at most one holdout (sent nothing). More than one arm is an experiment and needs `experiment` (its key defaults to `campaign-<id>`, unique in the brand: 409). Each message is checked against the compliance gate's rules of the message alone (`text.empty`, `alimtalk.*`, `encoding.euc_kr`, `length.*`, `ad.prefix`, `ad.sender`, `ad.optout`; `{link}` counted at its rendered length): a 422 names the field (`arms[1].message.text`) and its message starts with the rule. A brand or target outside the key's brands is a 403; a target of another brand a 422.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createCampaignBody } } } },
  responses: {
    201: { description: "The new draft.", content: { "application/json": { schema: campaignSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateCampaignRequest = z.input<typeof createCampaignBody>;
export type CreateCampaignResponse = z.infer<typeof campaignSchema>;

export function registerCreateCampaign(app: ApiApp): void {
  app.openapi(
    createCampaignRoute,
    async (c) => {
      const body = c.req.valid("json");
      const campaign = await createCampaign({
        ctx: verbContext(c),
        input: {
          brand: body.brand,
          name: body.name,
          code: body.code,
          target: body.target,
          goalWindowDays: body.goal_window_days,
          arms: armsInput(body.arms),
          experiment: experimentOf(body.experiment),
          linkBaseUrl: dbConfig(c.env).MESSAGE_LINK_BASE_URL,
        },
      });
      const json = presentCampaign(c.var.ids, campaign);
      return c.json(json, 201, { location: `/api/v1/campaigns/${json.id}` });
    },
    (result, c) => campaignBodyHook(result, c),
  );
}

import { createRoute, type z } from "@hono/zod-openapi";
import { campaignRoi } from "../../domain/analytics/campaign-roi.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  analyticsHook,
  analyticsQuery,
  analyticsWindow,
  campaignRoiSchema,
  presentCampaignRoi,
} from "../schemas/analytics.ts";
import { security } from "../schemas/common.ts";

export const campaignRoiRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/campaign-roi",
  tags: ["Analytics"],
  summary: "Campaign ROI, new vs existing customers",
  description:
    "Per campaign, currency and customer type (`new`: the order was the account's first counted order), the counted orders placed in [`from`, `to`) that name the campaign: revenue, refunds (their credited totals), net revenue, their discounts as the discount cost, and ROI = (net revenue − discount cost) / discount cost.",
  security,
  request: { query: analyticsQuery },
  responses: {
    200: {
      description: "Campaign ROI, new vs existing customers.",
      content: { "application/json": { schema: campaignRoiSchema } },
    },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type CampaignRoiResponse = z.infer<typeof campaignRoiSchema>;

export function registerCampaignRoi(app: ApiApp): void {
  app.openapi(
    campaignRoiRoute,
    async (c) => {
      const ids = c.var.ids;
      const input = analyticsWindow(ids, c.req.valid("query"));
      const result = await campaignRoi({ ctx: verbContext(c), input });
      return c.json(presentCampaignRoi(ids, input, result), 200);
    },
    (result, c) => analyticsHook(result, c),
  );
}

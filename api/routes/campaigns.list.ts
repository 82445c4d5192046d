import { createRoute, z } from "@hono/zod-openapi";
import { campaignStatuses, listCampaigns } from "../../domain/campaigns/campaigns.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { campaignPage, presentCampaign } from "../schemas/campaign.ts";
import { hashId, pageBody, pageInput, pageQuery, queryId, security } from "../schemas/common.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's campaigns.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
  status: z
    .enum(campaignStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" }, description: "Only campaigns in this status." }),
});

export const listCampaignsRoute = createRoute({
  method: "get",
  path: "/api/v1/campaigns",
  tags: ["Message campaigns"],
  summary: "List message campaigns",
  description:
    "Message campaigns oldest first, with their arms and experiment. A key limited to some brands sees only theirs.",
  security,
  request: { query: listQuery },
  responses: {
    200: { description: "A page of campaigns.", content: { "application/json": { schema: campaignPage } } },
    ...problemResponses(401, 403, 422),
  },
});

export type ListCampaignsResponse = z.infer<typeof campaignPage>;

export function registerListCampaigns(app: ApiApp): void {
  app.openapi(listCampaignsRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listCampaigns({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "messageCampaign", query),
        brandId: query.brand === undefined ? undefined : queryId(ids, "brand", query.brand, "brand"),
        status: query.status,
      },
    });
    return c.json(
      pageBody(ids, "messageCampaign", page, (campaign) => presentCampaign(ids, campaign)),
      200,
    );
  });
}

import { createRoute, z } from "@hono/zod-openapi";
import { listInfluencers } from "../../domain/acquisition/influencers.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { influencerSchema, presentInfluencer } from "../schemas/acquisition.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's influencers.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
  active: z
    .enum(["true", "false"])
    .optional()
    .openapi({
      param: { name: "active", in: "query" },
      description: "Only active (or inactive) influencers.",
    }),
});
const influencerPage = pageOf(influencerSchema, "InfluencerPage");

export const listInfluencersRoute = createRoute({
  method: "get",
  path: "/api/v1/influencers",
  tags: ["Acquisition"],
  summary: "List influencers",
  description: "With their codes. A key limited to some brands sees only their influencers.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of influencers, oldest first.",
      content: { "application/json": { schema: influencerPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListInfluencersResponse = z.infer<typeof influencerPage>;

export function registerListInfluencers(app: ApiApp): void {
  app.openapi(listInfluencersRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listInfluencers({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "influencer", query),
        brandId: query.brand === undefined ? undefined : queryId(ids, "brand", query.brand, "brand"),
        active: query.active === undefined ? undefined : query.active === "true",
      },
    });
    return c.json(
      pageBody(ids, "influencer", page, (item) => presentInfluencer(ids, item)),
      200,
    );
  });
}

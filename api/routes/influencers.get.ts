import { createRoute, type z } from "@hono/zod-openapi";
import { getInfluencer } from "../../domain/acquisition/influencers.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { influencerSchema, presentInfluencer } from "../schemas/acquisition.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getInfluencerRoute = createRoute({
  method: "get",
  path: "/api/v1/influencers/{id}",
  tags: ["Acquisition"],
  summary: "Get an influencer",
  description:
    "One influencer of a brand: name, handle, active flag and its coupon and referral codes. A key limited to other brands gets a 403.",
  security,
  request: { params: idParams("influencer") },
  responses: {
    200: { description: "The influencer.", content: { "application/json": { schema: influencerSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetInfluencerResponse = z.infer<typeof influencerSchema>;

export function registerGetInfluencer(app: ApiApp): void {
  app.openapi(getInfluencerRoute, async (c) => {
    const id = pathId(c.var.ids, "influencer", c.req.valid("param").id);
    const influencer = await getInfluencer({ ctx: verbContext(c), input: { id } });
    return c.json(presentInfluencer(c.var.ids, influencer), 200);
  });
}

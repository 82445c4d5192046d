import { createRoute, type z } from "@hono/zod-openapi";
import { updateInfluencer } from "../../domain/acquisition/influencers.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { influencerSchema, presentInfluencer, updateInfluencerBody } from "../schemas/acquisition.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const updateInfluencerRoute = createRoute({
  method: "patch",
  path: "/api/v1/influencers/{id}",
  tags: ["Acquisition"],
  summary: "Change an influencer",
  description:
    "Changes the given fields (the brand stays); a code list given replaces that kind's codes. `active: false` stops attributing customers to them. Existing classifications change only at the next classification run, which records each change.",
  security,
  request: {
    params: idParams("influencer"),
    body: { required: true, content: { "application/json": { schema: updateInfluencerBody } } },
  },
  responses: {
    200: {
      description: "The influencer as changed.",
      content: { "application/json": { schema: influencerSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

export type UpdateInfluencerRequest = z.input<typeof updateInfluencerBody>;
export type UpdateInfluencerResponse = z.infer<typeof influencerSchema>;

export function registerUpdateInfluencer(app: ApiApp): void {
  app.openapi(updateInfluencerRoute, async (c) => {
    const id = pathId(c.var.ids, "influencer", c.req.valid("param").id);
    const body = c.req.valid("json");
    const influencer = await updateInfluencer({
      ctx: verbContext(c),
      input: {
        id,
        name: body.name,
        handle: body.handle,
        active: body.active,
        couponCodes: body.coupon_codes,
        referralCodes: body.referral_codes,
      },
    });
    return c.json(presentInfluencer(c.var.ids, influencer), 200);
  });
}

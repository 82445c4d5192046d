import { createRoute, type z } from "@hono/zod-openapi";
import { createInfluencer } from "../../domain/acquisition/influencers.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { createInfluencerBody, influencerSchema, presentInfluencer } from "../schemas/acquisition.ts";
import { security } from "../schemas/common.ts";

export const createInfluencerRoute = createRoute({
  method: "post",
  path: "/api/v1/influencers",
  tags: ["Acquisition"],
  summary: "Create an influencer",
  description:
    "An influencer of a brand with their coupon and referral codes (each unique in the brand, whatever its case: 409 when another influencer holds it). Customers are attributed to them by the acquisition rules at the next classification run.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createInfluencerBody } } } },
  responses: {
    201: {
      description: "The new influencer.",
      content: { "application/json": { schema: influencerSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateInfluencerRequest = z.input<typeof createInfluencerBody>;
export type CreateInfluencerResponse = z.infer<typeof influencerSchema>;

export function registerCreateInfluencer(app: ApiApp): void {
  app.openapi(createInfluencerRoute, async (c) => {
    const body = c.req.valid("json");
    const influencer = await createInfluencer({
      ctx: verbContext(c),
      input: {
        brand: body.brand,
        name: body.name,
        handle: body.handle,
        active: body.active,
        couponCodes: body.coupon_codes,
        referralCodes: body.referral_codes,
      },
    });
    const json = presentInfluencer(c.var.ids, influencer);
    return c.json(json, 201, { location: `/api/v1/influencers/${json.id}` });
  });
}

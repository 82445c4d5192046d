import { createRoute, type z } from "@hono/zod-openapi";
import { createLanding } from "../../domain/routing/landings.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { createLandingBody, landingSchema, presentLanding } from "../schemas/landing.ts";

export const createLandingRoute = createRoute({
  method: "post",
  path: "/api/v1/landings",
  tags: ["Landings"],
  summary: "Create a landing",
  description:
    "A landing ties a brand, theme, partner and product (all by hash id) to a fallback URL. Its edge config is published to KV once it is saved.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createLandingBody } } } },
  responses: {
    201: { description: "The new landing.", content: { "application/json": { schema: landingSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 422, 503),
  },
});

export type CreateLandingRequest = z.input<typeof createLandingBody>;
export type CreateLandingResponse = z.infer<typeof landingSchema>;

export function registerCreateLanding(app: ApiApp): void {
  app.openapi(createLandingRoute, async (c) => {
    const body = c.req.valid("json");
    const landing = await createLanding({
      ctx: { ...verbContext(c), edgeConfig: c.env.EDGE_CONFIG },
      input: {
        name: body.name,
        brand: body.brand,
        theme: body.theme,
        partner: body.partner,
        product: body.product,
        fallbackUrl: body.fallback_url,
        active: body.active,
      },
    });
    const json = presentLanding(c.var.ids, landing);
    return c.json(json, 201, { location: `/api/v1/landings/${json.id}` });
  });
}

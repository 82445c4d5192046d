import { createRoute, type z } from "@hono/zod-openapi";
import { updateLanding } from "../../domain/routing/landings.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { landingSchema, presentLanding, updateLandingBody } from "../schemas/landing.ts";

export const updateLandingRoute = createRoute({
  method: "patch",
  path: "/api/v1/landings/{id}",
  tags: ["Landings"],
  summary: "Change a landing",
  description: "Changes the given fields (the brand stays) and republishes the landing's edge config.",
  security,
  request: {
    params: idParams("landing"),
    body: { required: true, content: { "application/json": { schema: updateLandingBody } } },
  },
  responses: {
    200: {
      description: "The landing as changed.",
      content: { "application/json": { schema: landingSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});

export type UpdateLandingRequest = z.input<typeof updateLandingBody>;
export type UpdateLandingResponse = z.infer<typeof landingSchema>;

export function registerUpdateLanding(app: ApiApp): void {
  app.openapi(updateLandingRoute, async (c) => {
    const id = pathId(c.var.ids, "landing", c.req.valid("param").id);
    const body = c.req.valid("json");
    const landing = await updateLanding({
      ctx: { ...verbContext(c), edgeConfig: c.env.EDGE_CONFIG },
      input: {
        id,
        name: body.name,
        theme: body.theme,
        partner: body.partner,
        product: body.product,
        fallbackUrl: body.fallback_url,
        active: body.active,
      },
    });
    return c.json(presentLanding(c.var.ids, landing), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { getLanding } from "../../domain/routing/landings.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { landingSchema, presentLanding } from "../schemas/landing.ts";

export const getLandingRoute = createRoute({
  method: "get",
  path: "/api/v1/landings/{id}",
  tags: ["Landings"],
  summary: "Get a landing",
  description:
    "One landing: its brand, theme, partner, product, fallback URL and whether it is active; `/l/<id>` is its public URL. A key limited to other brands gets a 403.",
  security,
  request: { params: idParams("landing") },
  responses: {
    200: { description: "The landing.", content: { "application/json": { schema: landingSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetLandingResponse = z.infer<typeof landingSchema>;

export function registerGetLanding(app: ApiApp): void {
  app.openapi(getLandingRoute, async (c) => {
    const id = pathId(c.var.ids, "landing", c.req.valid("param").id);
    const landing = await getLanding({ ctx: verbContext(c), input: { id } });
    return c.json(presentLanding(c.var.ids, landing), 200);
  });
}

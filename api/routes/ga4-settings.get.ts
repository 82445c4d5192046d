import { createRoute, type z } from "@hono/zod-openapi";
import { getGa4Settings } from "../../domain/tracking/ga4.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import { ga4SettingsSchema, presentGa4Settings } from "../schemas/ga4.ts";
import { brandParams } from "../schemas/messaging.ts";

export const getGa4SettingsRoute = createRoute({
  method: "get",
  path: "/api/v1/brands/{brand}/ga4",
  tags: ["Tracking"],
  summary: "Get a brand's GA4 forwarding",
  description:
    "The API secret is masked (its last four characters). 404 when the brand has none (nothing is forwarded).",
  security,
  request: { params: brandParams },
  responses: {
    200: { description: "The settings.", content: { "application/json": { schema: ga4SettingsSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetGa4SettingsResponse = z.infer<typeof ga4SettingsSchema>;

export function registerGetGa4Settings(app: ApiApp): void {
  app.openapi(getGa4SettingsRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    const settings = await getGa4Settings({ ctx: verbContext(c), input: { brandId } });
    return c.json(presentGa4Settings(c.var.ids, settings), 200);
  });
}

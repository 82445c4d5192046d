import { createRoute } from "@hono/zod-openapi";
import { deleteGa4Settings } from "../../domain/tracking/ga4.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import { brandParams } from "../schemas/messaging.ts";

export const deleteGa4SettingsRoute = createRoute({
  method: "delete",
  path: "/api/v1/brands/{brand}/ga4",
  tags: ["Tracking"],
  summary: "Stop a brand's GA4 forwarding",
  description:
    "Removes the settings (and the stored API secret). Forwarding still queued finds no settings and sends nothing.",
  security,
  request: { params: brandParams },
  responses: {
    204: { description: "Removed." },
    ...problemResponses(401, 403, 404),
  },
});

export function registerDeleteGa4Settings(app: ApiApp): void {
  app.openapi(deleteGa4SettingsRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    await deleteGa4Settings({ ctx: verbContext(c), input: { brandId } });
    return c.body(null, 204);
  });
}

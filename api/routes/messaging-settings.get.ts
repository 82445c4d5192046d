import { createRoute, type z } from "@hono/zod-openapi";
import { getMessagingSettings } from "../../domain/messaging/settings.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import { brandParams, messagingSettingsSchema, presentSettings } from "../schemas/messaging.ts";

export const getMessagingSettingsRoute = createRoute({
  method: "get",
  path: "/api/v1/brands/{brand}/messaging-settings",
  tags: ["Messaging"],
  summary: "Get a brand's messaging settings",
  description: "404 when the brand has none (its sends are refused with `settings.missing`).",
  security,
  request: { params: brandParams },
  responses: {
    200: {
      description: "The settings.",
      content: { "application/json": { schema: messagingSettingsSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type GetMessagingSettingsResponse = z.infer<typeof messagingSettingsSchema>;

export function registerGetMessagingSettings(app: ApiApp): void {
  app.openapi(getMessagingSettingsRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    const settings = await getMessagingSettings({ ctx: verbContext(c), input: { brandId } });
    return c.json(presentSettings(c.var.ids, settings), 200);
  });
}

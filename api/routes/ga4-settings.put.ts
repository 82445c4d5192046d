import { createRoute, type z } from "@hono/zod-openapi";
import { putGa4Settings } from "../../domain/tracking/ga4.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import { ga4SettingsBody, ga4SettingsSchema, presentGa4Settings } from "../schemas/ga4.ts";
import { brandParams } from "../schemas/messaging.ts";

export const putGa4SettingsRoute = createRoute({
  method: "put",
  path: "/api/v1/brands/{brand}/ga4",
  tags: ["Tracking"],
  summary: "Set a brand's GA4 forwarding",
  description:
    "The GA4 property the brand's tracker events (page views and clicks from `/t.js`) are forwarded to through the Measurement Protocol: the stream's measurement id (`G-…`) and a Measurement Protocol API secret, which is stored and never shown again in full. Replaces the whole settings; 201 the first time, 200 after. Events stored from then on are forwarded; `enabled: false` stops it.",
  security,
  request: {
    params: brandParams,
    body: { required: true, content: { "application/json": { schema: ga4SettingsBody } } },
  },
  responses: {
    200: {
      description: "The settings as replaced.",
      content: { "application/json": { schema: ga4SettingsSchema } },
    },
    201: {
      description: "The settings as created.",
      content: { "application/json": { schema: ga4SettingsSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type PutGa4SettingsRequest = z.input<typeof ga4SettingsBody>;
export type Ga4SettingsResponse = z.infer<typeof ga4SettingsSchema>;

export function registerPutGa4Settings(app: ApiApp): void {
  app.openapi(putGa4SettingsRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    const body = c.req.valid("json");
    const { settings, created } = await putGa4Settings({
      ctx: verbContext(c),
      input: {
        brandId,
        measurementId: body.measurement_id,
        apiSecret: body.api_secret,
        enabled: body.enabled,
      },
    });
    const json = presentGa4Settings(c.var.ids, settings);
    return created ? c.json(json, 201) : c.json(json, 200);
  });
}

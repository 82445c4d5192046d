import { createRoute, type z } from "@hono/zod-openapi";
import { putMessagingSettings } from "../../domain/messaging/settings.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import {
  brandParams,
  capsOf,
  messagingSettingsBody,
  messagingSettingsSchema,
  presentSettings,
} from "../schemas/messaging.ts";

export const putMessagingSettingsRoute = createRoute({
  method: "put",
  path: "/api/v1/brands/{brand}/messaging-settings",
  tags: ["Messaging"],
  summary: "Set a brand's messaging settings",
  description:
    "The brand's sending identity and limits, which every advertisement is checked against: sender name and contact, the free 080 opt-out number, the registered sender number (stored as national digits), the Kakao sender key, per-channel frequency caps (`{ max, window_hours }` or `{ max, window_ms }`), and the consent re-confirmation notice, which must pass the gate's message rules as an informational SMS or LMS. Replaces the whole settings; 201 the first time, 200 after. Without settings a brand's sends are refused (`settings.missing`).",
  security,
  request: {
    params: brandParams,
    body: { required: true, content: { "application/json": { schema: messagingSettingsBody } } },
  },
  responses: {
    200: {
      description: "The settings as replaced.",
      content: { "application/json": { schema: messagingSettingsSchema } },
    },
    201: {
      description: "The settings as created.",
      content: { "application/json": { schema: messagingSettingsSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type PutMessagingSettingsRequest = z.input<typeof messagingSettingsBody>;
export type MessagingSettingsResponse = z.infer<typeof messagingSettingsSchema>;

export function registerPutMessagingSettings(app: ApiApp): void {
  app.openapi(putMessagingSettingsRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    const body = c.req.valid("json");
    const { settings, created } = await putMessagingSettings({
      ctx: verbContext(c),
      input: {
        brandId,
        senderName: body.sender_name,
        senderContact: body.sender_contact,
        optOutNumber: body.opt_out_number,
        senderNumber: body.sender_number,
        kakaoSenderKey: body.kakao_sender_key,
        frequencyCaps: capsOf(body.frequency_caps),
        reconfirmText: body.reconfirm_text,
      },
    });
    const json = presentSettings(c.var.ids, settings);
    return created ? c.json(json, 201) : c.json(json, 200);
  });
}

import { createRoute } from "@hono/zod-openapi";
import { brandArgument, brandCategoryPrefix, fromSendGrid } from "../../domain/contacts/email-events.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { verifySendGridSignature } from "../adapters/email-signatures.ts";
import type { ApiApp } from "../hono-env.ts";
import {
  enqueueEmailEvents,
  notAnArray,
  parseJson,
  rawBody,
  requireSecret,
  unauthorized,
} from "../middleware/email-events.ts";
import { problemResponses } from "../problem.ts";
import { emailWebhookAnswer } from "../schemas/email-event.ts";

export const sendGridEventsRoute = createRoute({
  method: "post",
  path: "/webhooks/email/sendgrid",
  tags: ["Webhooks"],
  summary: "SendGrid Event Webhook",
  description: `SendGrid's Event Webhook (a JSON array of events), signed with SendGrid's Signed Event Webhook (\`X-Twilio-Email-Event-Webhook-Signature\` over \`X-Twilio-Email-Event-Webhook-Timestamp\` + the raw body, verified with \`SENDGRID_WEBHOOK_PUBLIC_KEY\`). The events are queued and stored by the events consumer, once per \`sg_event_id\`. The brand comes from the custom argument \`${brandArgument}\` or a category \`${brandCategoryPrefix}<brand id>\`. An event that cannot be used (unknown type, no \`sg_event_id\`, no email) is skipped and counted. No API key: the signature is the authentication.`,
  responses: {
    202: {
      description: "Queued.",
      content: { "application/json": { schema: emailWebhookAnswer } },
    },
    ...problemResponses(400, 401, 413, 422, 503),
  },
});

export function registerSendGridEvents(app: ApiApp): void {
  app.openapi(sendGridEventsRoute, async (c) => {
    const publicKey = requireSecret(
      dbConfig(c.env).SENDGRID_WEBHOOK_PUBLIC_KEY,
      "SENDGRID_WEBHOOK_PUBLIC_KEY",
    );
    const body = await rawBody(c);
    const signed = await verifySendGridSignature(
      body,
      c.req.header("x-twilio-email-event-webhook-signature"),
      c.req.header("x-twilio-email-event-webhook-timestamp"),
      publicKey,
    );
    if (!signed) throw unauthorized("X-Twilio-Email-Event-Webhook-Signature");
    const payload = parseJson(body);
    if (!Array.isArray(payload)) throw notAnArray();
    const { events, skipped } = fromSendGrid(payload, (ref) => c.var.ids.decode("brand", ref));
    const answer = await enqueueEmailEvents(c, "sendgrid", events, payload.length, skipped);
    return c.json(answer, 202);
  });
}

import { createRoute } from "@hono/zod-openapi";
import type { EmailEvent } from "../../domain/contacts/email-event-message.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { verifyLeadrailSignature } from "../adapters/email-signatures.ts";
import { parsePayload } from "../adapters/json.ts";
import type { ApiApp } from "../hono-env.ts";
import {
  enqueueEmailEvents,
  parseJson,
  rawBody,
  requireSecret,
  unauthorized,
} from "../middleware/email-events.ts";
import { problemResponses } from "../problem.ts";
import { emailWebhookAnswer, normalisedEmailEvents } from "../schemas/email-event.ts";

export const normalisedEmailEventsRoute = createRoute({
  method: "post",
  path: "/webhooks/email",
  tags: ["Webhooks"],
  summary: "Email platform events (normalised format)",
  description:
    "Events of any email platform in leadrail's normalised format (`{ events: [NormalisedEmailEvent] }`, 1 to 1,000), signed with `X-Leadrail-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under `EMAIL_WEBHOOK_SECRET`. Validated whole (422 naming each bad field, nothing queued), then queued and stored by the events consumer once per event `id`. No API key: the signature is the authentication.",
  responses: {
    202: {
      description: "Queued.",
      content: { "application/json": { schema: emailWebhookAnswer } },
    },
    ...problemResponses(400, 401, 413, 422, 503),
  },
});

export function registerNormalisedEmailEvents(app: ApiApp): void {
  // The body is read raw (the signature is over its bytes) and validated after the signature check, so it
  // is not the route's declared request body; the schema is still published for senders.
  app.openAPIRegistry.register("NormalisedEmailEvents", normalisedEmailEvents);
  app.openapi(normalisedEmailEventsRoute, async (c) => {
    const secret = requireSecret(dbConfig(c.env).EMAIL_WEBHOOK_SECRET, "EMAIL_WEBHOOK_SECRET");
    const body = await rawBody(c);
    if (!(await verifyLeadrailSignature(body, c.req.header("x-leadrail-signature"), secret)))
      throw unauthorized("X-Leadrail-Signature");
    const input = parsePayload(normalisedEmailEvents, parseJson(body), "");
    const errors: { field: string; category: "malformed"; message: string }[] = [];
    const events = input.events.map((event, index): EmailEvent => {
      const brandId = event.brand ? c.var.ids.decode("brand", event.brand) : null;
      if (event.brand && brandId === null)
        errors.push({ field: `events.${index}.brand`, category: "malformed", message: "Not a brand id." });
      const { email, ...raw } = event;
      return {
        id: event.id,
        type: event.type,
        email,
        occurredAt: event.occurred_at,
        brandId,
        messageId: event.message_id ?? null,
        bounceType: event.type === "bounce" ? (event.bounce_type ?? null) : null,
        url: event.url ?? null,
        reason: event.reason ?? null,
        groupId: event.group_id ?? null,
        raw,
      };
    });
    if (errors.length > 0) throw new ValidationFailed(errors);
    const answer = await enqueueEmailEvents(c, "normalised", events, events.length, {});
    return c.json(answer, 202);
  });
}

import { createRoute } from "@hono/zod-openapi";
import { findStoreTarget } from "../../domain/ledger/store-orders.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import {
  cafe24SignatureHeader,
  cafe24ToCommerceEvents,
  parseCafe24Webhook,
  verifyCafe24Hmac,
} from "../adapters/cafe24-webhook.ts";
import { parseStoreJson } from "../adapters/json.ts";
import type { ApiApp } from "../hono-env.ts";
import { enqueueCommerceEvents } from "../middleware/commerce-events.ts";
import { rawBody, requireSecret, unauthorized } from "../middleware/email-events.ts";
import { ApiProblem, problemResponses } from "../problem.ts";
import { commerceWebhookAnswer } from "../schemas/commerce-event.ts";

export const cafe24WebhookRoute = createRoute({
  method: "post",
  path: "/webhooks/cafe24",
  tags: ["Webhooks"],
  summary: "Cafe24 webhooks",
  description:
    "Cafe24's own webhook (`{ event_no, resource: { mall_id, … } }`), signed with `X-Cafe24-Hmac-SHA256` (base64 HMAC-SHA256 of the raw body under `CAFE24_WEBHOOK_SECRET`, the app's client secret). The mall must be registered as a store with platform `cafe24` and the mall id as its external ref. The event is mapped to normalised commerce events (README, \"Commerce events\": the event numbers and what each becomes) and queued; an event number not mapped is answered 202 with `skipped`. No API key: the signature is the authentication.",
  responses: {
    202: {
      description: "Queued (or skipped).",
      content: { "application/json": { schema: commerceWebhookAnswer } },
    },
    ...problemResponses(400, 401, 404, 413, 422, 503),
  },
});

export function registerCafe24Webhook(app: ApiApp): void {
  app.openapi(cafe24WebhookRoute, async (c) => {
    const secret = requireSecret(dbConfig(c.env).CAFE24_WEBHOOK_SECRET, "CAFE24_WEBHOOK_SECRET");
    const body = await rawBody(c);
    if (!(await verifyCafe24Hmac(body, c.req.header(cafe24SignatureHeader), secret)))
      throw unauthorized("X-Cafe24-Hmac-SHA256");
    let json: unknown;
    try {
      json = parseStoreJson(new TextDecoder().decode(body));
    } catch {
      throw new ApiProblem("bad_request", "The request body is not valid JSON.");
    }
    const payload = parseCafe24Webhook(json);
    const mapped = cafe24ToCommerceEvents(payload, body, new Date());
    const store = await findStoreTarget(c.var.db, "cafe24", mapped.mallId);
    if (!store)
      throw new ApiProblem("not_found", `No store is registered for the Cafe24 mall ${mapped.mallId}.`);
    const answer = await enqueueCommerceEvents(c, "cafe24", store.storeId, mapped.events, 1, mapped.skipped);
    return c.json(answer, 202);
  });
}

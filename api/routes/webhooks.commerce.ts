import { createRoute, type z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { stores } from "../../db/schema/sales.ts";
import { commerceWebhookBatch } from "../../domain/commerce/event-message.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { verifyLeadrailSignature } from "../adapters/email-signatures.ts";
import { parsePayload } from "../adapters/json.ts";
import type { ApiApp } from "../hono-env.ts";
import { enqueueCommerceEvents } from "../middleware/commerce-events.ts";
import { parseJson, rawBody, requireSecret, unauthorized } from "../middleware/email-events.ts";
import { problemResponses } from "../problem.ts";
import { commerceWebhookAnswer } from "../schemas/commerce-event.ts";

export const commerceEventsRoute = createRoute({
  method: "post",
  path: "/webhooks/commerce",
  tags: ["Webhooks"],
  summary: "Commerce platform events (normalised format)",
  description:
    "Commerce events of any platform in leadrail's normalised format (README, \"Commerce events\"): `{ store, events: [{ id, type, occurred_at, data }] }` (1 to 1,000) or one event as `{ store, id, type, occurred_at, data }`, where `store` is a registered store's id (its brand and market are the events'). Signed with `X-Leadrail-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under `COMMERCE_WEBHOOK_SECRET`. Validated whole (422 naming each bad field, nothing queued), then queued; the events consumer stores each event once per store and `id` and applies it. No API key: the signature is the authentication.",
  responses: {
    202: {
      description: "Queued.",
      content: { "application/json": { schema: commerceWebhookAnswer } },
    },
    ...problemResponses(400, 401, 413, 422, 503),
  },
});

/** A single event's 422 names its fields as sent (`data.amount`), not as the batch it is read as. */
function asSingle(error: unknown): unknown {
  if (!(error instanceof ValidationFailed)) return error;
  return new ValidationFailed(
    error.errors.map((e) => ({ ...e, field: e.field.replace(/^events\.0\.?/, "") || "body" })),
    error.message,
  );
}

export function registerCommerceEvents(app: ApiApp): void {
  app.openapi(commerceEventsRoute, async (c) => {
    const secret = requireSecret(dbConfig(c.env).COMMERCE_WEBHOOK_SECRET, "COMMERCE_WEBHOOK_SECRET");
    const body = await rawBody(c);
    if (!(await verifyLeadrailSignature(body, c.req.header("x-leadrail-signature"), secret)))
      throw unauthorized("X-Leadrail-Signature");
    const json = parseJson(body);
    let input: z.infer<typeof commerceWebhookBatch>;
    if (typeof json === "object" && json !== null && !Array.isArray(json) && !("events" in json)) {
      const { store, ...event } = json as Record<string, unknown>;
      try {
        input = parsePayload(commerceWebhookBatch, { store, events: [event] }, "");
      } catch (error) {
        throw asSingle(error);
      }
    } else input = parsePayload(commerceWebhookBatch, json, "");
    const storeId = c.var.ids.decode("store", input.store);
    if (storeId === null)
      throw new ValidationFailed([{ field: "store", category: "malformed", message: "Not a store id." }]);
    const [store] = await c.var.db.select({ id: stores.id }).from(stores).where(eq(stores.id, storeId));
    if (!store)
      throw new ValidationFailed([{ field: "store", category: "not_found", message: "No such store." }]);
    const answer = await enqueueCommerceEvents(
      c,
      "normalised",
      store.id,
      input.events,
      input.events.length,
      {},
    );
    return c.json(answer, 202);
  });
}

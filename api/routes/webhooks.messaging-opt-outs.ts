import { createRoute, z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { OptOutMessage } from "../../domain/messaging/event-messages.ts";
import { normalizeRecipient } from "../../domain/messaging/provider.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { verifyLeadrailSignature } from "../adapters/email-signatures.ts";
import { parsePayload } from "../adapters/json.ts";
import { enqueueEventMessages } from "../adapters/messaging-webhooks.ts";
import type { ApiApp } from "../hono-env.ts";
import { parseJson, rawBody, requireSecret, unauthorized } from "../middleware/email-events.ts";
import { problemResponses } from "../problem.ts";
import { optOutWebhookBody } from "../schemas/messaging.ts";

const answer = z.object({ enqueued: z.number().int() }).openapi("OptOutQueued");

export const optOutWebhookRoute = createRoute({
  method: "post",
  path: "/webhooks/messaging/opt-outs",
  tags: ["Webhooks"],
  summary: "Advertising opt-outs (080 call or reply)",
  description:
    'An opt-out from the 080 / reply service: `{ brand, phone, via: "080" | "reply", at, id }`, signed with `X-Leadrail-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under `MESSAGING_OPTOUT_WEBHOOK_SECRET` (503 when unset). Validated (422 naming each bad field, nothing queued), queued, and stored once per brand and `id`; the sends consumer refuses the brand\'s advertising to that number from its next batch.',
  responses: {
    202: { description: "Queued.", content: { "application/json": { schema: answer } } },
    ...problemResponses(400, 401, 413, 422, 503),
  },
});

export function registerOptOutWebhook(app: ApiApp): void {
  app.openAPIRegistry.register("OptOutWebhook", optOutWebhookBody);
  app.openapi(optOutWebhookRoute, async (c) => {
    const secret = requireSecret(
      dbConfig(c.env).MESSAGING_OPTOUT_WEBHOOK_SECRET,
      "MESSAGING_OPTOUT_WEBHOOK_SECRET",
    );
    const body = await rawBody(c);
    if (!(await verifyLeadrailSignature(body, c.req.header("x-leadrail-signature"), secret)))
      throw unauthorized("X-Leadrail-Signature");
    const input = parsePayload(optOutWebhookBody, parseJson(body), "");
    const errors: { field: string; category: "malformed"; message: string }[] = [];
    const brandId = c.var.ids.decode("brand", input.brand);
    if (brandId === null) errors.push({ field: "brand", category: "malformed", message: "Not a brand id." });
    const phone = normalizeRecipient(input.phone);
    if (phone === null)
      errors.push({ field: "phone", category: "malformed", message: "Not a Korean mobile number." });
    if (brandId === null || phone === null) throw new ValidationFailed(errors);
    const message: OptOutMessage = {
      type: "message.optout",
      v: 1,
      brandId,
      phone,
      via: input.via,
      at: new Date(input.at).toISOString(),
      sourceId: input.id,
    };
    await enqueueEventMessages(c, [message]);
    return c.json({ enqueued: 1 }, 202);
  });
}

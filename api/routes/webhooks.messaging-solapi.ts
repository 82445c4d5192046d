import { createRoute, z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { maxReceiptsPerMessage, type ReceiptMessage } from "../../domain/messaging/event-messages.ts";
import { ProviderError } from "../../domain/messaging/provider.ts";
import { parseSolapiReports } from "../../domain/messaging/solapi.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { enqueueEventMessages, tokenMatches } from "../adapters/messaging-webhooks.ts";
import type { ApiApp } from "../hono-env.ts";
import { parseJson, rawBody, requireSecret } from "../middleware/email-events.ts";
import { ApiProblem, problemResponses } from "../problem.ts";
import { receiptWebhookAnswer } from "../schemas/messaging.ts";

const query = z.object({
  token: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "token", in: "query" }, description: "`MESSAGING_WEBHOOK_TOKEN`." }),
});

export const solapiReceiptsRoute = createRoute({
  method: "post",
  path: "/webhooks/messaging/solapi",
  tags: ["Webhooks"],
  summary: "Solapi delivery reports",
  description:
    "Solapi's delivery report callback: a JSON array of message reports (or one report). Solapi does not sign it, so the URL carries `?token=<MESSAGING_WEBHOOK_TOKEN>`, compared in constant time (401 otherwise; 503 when the token is not configured). The final reports (delivered, failed) are queued and the events consumer applies them to their sends; a report for a message leadrail does not know is counted and logged. A report that cannot be read is a 422 naming it; nothing is queued.",
  request: { query },
  responses: {
    200: { description: "Queued.", content: { "application/json": { schema: receiptWebhookAnswer } } },
    ...problemResponses(400, 401, 413, 422, 503),
  },
});

export function registerSolapiReceipts(app: ApiApp): void {
  app.openapi(solapiReceiptsRoute, async (c) => {
    const token = requireSecret(dbConfig(c.env).MESSAGING_WEBHOOK_TOKEN, "MESSAGING_WEBHOOK_TOKEN");
    if (!(await tokenMatches(c.req.valid("query").token, token)))
      throw new ApiProblem("unauthorized", "Missing or wrong token; nothing was stored.");
    const json = parseJson(await rawBody(c));
    let receipts: ReturnType<typeof parseSolapiReports>;
    try {
      receipts = parseSolapiReports(json);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw new ValidationFailed([
        { field: error.details.field ?? "body", category: "malformed", message: error.message },
      ]);
    }
    const received = Array.isArray(json) ? json.length : 1;
    const messages: ReceiptMessage[] = [];
    for (let start = 0; start < receipts.length; start += maxReceiptsPerMessage)
      messages.push({
        type: "message.receipt",
        v: 1,
        provider: "solapi",
        receipts: receipts.slice(start, start + maxReceiptsPerMessage).map((receipt) => ({
          providerMessageId: receipt.providerMessageId,
          sendId: receipt.customId === null ? null : c.var.ids.decode("messageSend", receipt.customId),
          status: receipt.status,
          providerCode: receipt.providerCode,
          providerMessage: receipt.providerMessage?.slice(0, 500) ?? null,
          at: receipt.at.toISOString(),
        })),
      });
    await enqueueEventMessages(c, messages);
    return c.json({ received, enqueued: receipts.length, messages: messages.length }, 200);
  });
}

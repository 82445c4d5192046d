import { createRoute, z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import {
  shopifyTopicOfPath,
  shopifyTopicPath,
  shopifyTopics,
  shopifyTopicToCommerceEvents,
} from "../adapters/shopify-events.ts";
import type { ApiApp } from "../hono-env.ts";
import { enqueueCommerceEvents } from "../middleware/commerce-events.ts";
import { readShopifyWebhook } from "../middleware/store-orders.ts";
import { ApiProblem, problemResponses } from "../problem.ts";
import { commerceWebhookAnswer } from "../schemas/commerce-event.ts";

const topicList = Object.entries(shopifyTopics)
  .map(([name, mapping]) => `\`${shopifyTopicPath(name)}\` (${name} → ${mapping.type})`)
  .join(", ");

export const shopifyTopicRoute = createRoute({
  method: "post",
  path: "/webhooks/shopify/{topic}",
  tags: ["Webhooks"],
  summary: "Shopify webhooks that carry commerce events",
  description: `One path per Shopify webhook topic, the topic's \`/\` written \`-\`: ${topicList}. Signed with \`X-Shopify-Hmac-Sha256\` as the order and refund webhooks are (401, nothing queued, when it is missing or wrong); the shop (\`X-Shopify-Shop-Domain\`) must be registered as a store (404 otherwise). The payload is mapped to one normalised commerce event (README, "Commerce events"), its id \`shopify:<topic>:<X-Shopify-Event-Id>\` so a redelivery is the same event, and queued like \`POST /webhooks/commerce\`'s; a delivery that is no such event (an update that is not a delivery, a completed checkout, a consent state that is neither yes nor no, an SMS consent without an email) is answered 202 with \`skipped\`. A topic not listed is a 404 naming it; \`orders/create\` and \`refunds/create\` have their own paths. No API key: the signature is the authentication.`,
  request: {
    params: z.object({
      topic: z
        .string()
        .max(100)
        .openapi({ description: "The Shopify topic, `/` as `-`.", example: "orders-paid" }),
    }),
  },
  responses: {
    202: {
      description: "Queued (or skipped).",
      content: { "application/json": { schema: commerceWebhookAnswer } },
    },
    ...problemResponses(400, 401, 404, 413, 422, 503),
  },
});

export function registerShopifyTopic(app: ApiApp): void {
  app.openapi(shopifyTopicRoute, async (c) => {
    const segment = c.req.valid("param").topic;
    // Which endpoints exist is no secret (the OpenAPI document lists them): answered before the body is read.
    const topic = shopifyTopicOfPath(segment);
    if (!topic)
      throw new ApiProblem(
        "not_found",
        `The Shopify topic ${segment.replace("-", "/")} is not handled; handled: ${Object.keys(shopifyTopics).join(", ")}.`,
      );
    const { payload, store } = await readShopifyWebhook(c);
    // A subscription pointed at another topic's path would have its payload read as the wrong resource.
    const sent = c.req.header("x-shopify-topic")?.trim();
    if (sent && sent !== topic)
      throw new ValidationFailed([
        {
          field: "x-shopify-topic",
          category: "not_allowed",
          message: `This path takes ${topic}, not ${sent}.`,
        },
      ]);
    const mapped = shopifyTopicToCommerceEvents(topic, payload, {
      eventId: c.req.header("x-shopify-event-id") ?? c.req.header("x-shopify-webhook-id"),
      triggeredAt: c.req.header("x-shopify-triggered-at"),
      receivedAt: new Date(),
      currency: store.currency,
    });
    const answer = await enqueueCommerceEvents(c, "shopify", store.storeId, mapped.events, 1, mapped.skipped);
    return c.json(answer, 202);
  });
}

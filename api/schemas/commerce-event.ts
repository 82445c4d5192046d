import { z } from "@hono/zod-openapi";

/** What the commerce webhooks (`/webhooks/commerce`, `/webhooks/cafe24`) answer. */
export const commerceWebhookAnswer = z
  .object({
    received: z.number().int().openapi({ description: "Events in the request." }),
    enqueued: z.number().int().openapi({ description: "Events queued for storage." }),
    skipped: z
      .record(z.string(), z.number().int())
      .openapi({ description: "Events left out, by reason (Cafe24 only: an event number not mapped)." }),
  })
  .openapi("CommerceWebhookResult");

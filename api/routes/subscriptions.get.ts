import { createRoute, type z } from "@hono/zod-openapi";
import { getSubscription } from "../../domain/subscriptions/subscriptions.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentSubscriptionDetail, subscriptionDetailSchema } from "../schemas/subscription.ts";

export const getSubscriptionRoute = createRoute({
  method: "get",
  path: "/api/v1/subscriptions/{id}",
  tags: ["Subscriptions"],
  summary: "Get a subscription",
  description:
    "One subscription with its state, current period, every state change (history) and every billed period (occurrences).",
  security,
  request: { params: idParams("subscription") },
  responses: {
    200: {
      description: "The subscription with its history and billed periods.",
      content: { "application/json": { schema: subscriptionDetailSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type GetSubscriptionResponse = z.infer<typeof subscriptionDetailSchema>;

export function registerGetSubscription(app: ApiApp): void {
  app.openapi(getSubscriptionRoute, async (c) => {
    const id = pathId(c.var.ids, "subscription", c.req.valid("param").id);
    const detail = await getSubscription({ ctx: verbContext(c), input: { id } });
    return c.json(presentSubscriptionDetail(c.var.ids, detail), 200);
  });
}

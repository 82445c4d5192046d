import { createRoute, type z } from "@hono/zod-openapi";
import { transitionSubscription } from "../../domain/subscriptions/subscriptions.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import {
  presentSubscriptionDetail,
  subscriptionDetailSchema,
  transitionBody,
} from "../schemas/subscription.ts";

export const transitionSubscriptionRoute = createRoute({
  method: "post",
  path: "/api/v1/subscriptions/{id}/transitions",
  tags: ["Subscriptions"],
  summary: "Move a subscription to another state",
  description:
    "Only the moves of the transition table are allowed (`allowed_transitions` of the subscription); any other is refused with 409, naming the current state, the requested one and the allowed moves. Each move adds a history row.",
  security,
  request: {
    params: idParams("subscription"),
    body: { required: true, content: { "application/json": { schema: transitionBody } } },
  },
  responses: {
    200: {
      description: "The subscription after the move, with its history.",
      content: { "application/json": { schema: subscriptionDetailSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

export type TransitionSubscriptionRequest = z.input<typeof transitionBody>;
export type TransitionSubscriptionResponse = z.infer<typeof subscriptionDetailSchema>;

export function registerTransitionSubscription(app: ApiApp): void {
  app.openapi(transitionSubscriptionRoute, async (c) => {
    const id = pathId(c.var.ids, "subscription", c.req.valid("param").id);
    const body = c.req.valid("json");
    const detail = await transitionSubscription({
      ctx: verbContext(c),
      input: { id, to: body.to, reason: body.reason },
    });
    return c.json(presentSubscriptionDetail(c.var.ids, detail), 200);
  });
}

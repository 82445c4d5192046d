import { createRoute, type z } from "@hono/zod-openapi";
import { listSubscriptions } from "../../domain/subscriptions/subscriptions.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { presentSubscription, subscriptionSchema, subscriptionState } from "../schemas/subscription.ts";

const listQuery = pageQuery.extend({
  account: hashId("Only this account's subscriptions.")
    .optional()
    .openapi({ param: { name: "account", in: "query" } }),
  state: subscriptionState
    .optional()
    .openapi({ param: { name: "state", in: "query" }, description: "Only subscriptions in this state." }),
});
const subscriptionPage = pageOf(subscriptionSchema, "SubscriptionPage");

export const listSubscriptionsRoute = createRoute({
  method: "get",
  path: "/api/v1/subscriptions",
  tags: ["Subscriptions"],
  summary: "List subscriptions",
  description: "Oldest first. A key for some brands sees only their subscriptions.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of subscriptions.",
      content: { "application/json": { schema: subscriptionPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListSubscriptionsResponse = z.infer<typeof subscriptionPage>;

export function registerListSubscriptions(app: ApiApp): void {
  app.openapi(listSubscriptionsRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listSubscriptions({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "subscription", query),
        accountId:
          query.account === undefined ? undefined : queryId(ids, "account", query.account, "account"),
        state: query.state,
      },
    });
    return c.json(
      pageBody(ids, "subscription", page, (item) => presentSubscription(ids, item)),
      200,
    );
  });
}

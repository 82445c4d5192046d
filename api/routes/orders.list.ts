import { createRoute, type z } from "@hono/zod-openapi";
import { listOrders } from "../../domain/ledger/order-detail.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { orderSummarySchema, presentOrderSummary } from "../schemas/order.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's orders.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
  account: hashId("Only this brand client account's orders.")
    .optional()
    .openapi({ param: { name: "account", in: "query" } }),
});
const orderPage = pageOf(orderSummarySchema, "OrderPage");

export const listOrdersRoute = createRoute({
  method: "get",
  path: "/api/v1/orders",
  tags: ["Orders"],
  summary: "List orders",
  description:
    "Orders of the key's brands, optionally of one `brand` or one customer `account`, oldest first, a page at a time; each with its items, totals and payment.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of orders, oldest first.",
      content: { "application/json": { schema: orderPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListOrdersResponse = z.infer<typeof orderPage>;

export function registerListOrders(app: ApiApp): void {
  app.openapi(listOrdersRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listOrders({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "order", query),
        brandId: query.brand === undefined ? undefined : queryId(ids, "brand", query.brand, "brand"),
        accountId:
          query.account === undefined ? undefined : queryId(ids, "account", query.account, "account"),
      },
    });
    return c.json(
      pageBody(ids, "order", page, (order) => presentOrderSummary(ids, order)),
      200,
    );
  });
}

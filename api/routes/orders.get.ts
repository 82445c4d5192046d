import { createRoute, type z } from "@hono/zod-openapi";
import { getOrder } from "../../domain/ledger/order-detail.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { orderSchema, presentOrder } from "../schemas/order.ts";

export const getOrderRoute = createRoute({
  method: "get",
  path: "/api/v1/orders/{id}",
  tags: ["Orders"],
  summary: "Get an order",
  description: "The order with its items, invoice, coupons, payments and the account's running totals.",
  security,
  request: { params: idParams("order") },
  responses: {
    200: { description: "The order.", content: { "application/json": { schema: orderSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetOrderResponse = z.infer<typeof orderSchema>;

export function registerGetOrder(app: ApiApp): void {
  app.openapi(getOrderRoute, async (c) => {
    const id = pathId(c.var.ids, "order", c.req.valid("param").id);
    const order = await getOrder({ ctx: verbContext(c), input: { id } });
    return c.json(presentOrder(c.var.ids, order), 200);
  });
}

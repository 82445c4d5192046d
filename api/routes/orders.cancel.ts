import { createRoute, type z } from "@hono/zod-openapi";
import { cancelOrder } from "../../domain/ledger/cancellations.ts";
import { getOrder } from "../../domain/ledger/order-detail.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { cancelOrderBody, orderSchema, presentOrder } from "../schemas/order.ts";

export const cancelOrderRoute = createRoute({
  method: "post",
  path: "/api/v1/orders/{id}/cancel",
  tags: ["Orders"],
  summary: "Cancel an order",
  description:
    "A full credit of the order, in one transaction: every line of its invoice (products and shipping) is credited for what is not yet credited, on one credit note, and what the order was paid and not yet refunded is refunded (the refund's postbacks are sent), so the account's outstanding drops by what the order still owed and its balance by what it had paid. A partly paid order gets two credit notes: the refunded part and the rest, a credit only. The credited totals of invoice, order and their lines and the account's six totals change in the same transaction. Idempotent: cancelling a cancelled order writes nothing and answers 200 with the order as it is.",
  security,
  request: {
    params: idParams("order"),
    body: { required: true, content: { "application/json": { schema: cancelOrderBody } } },
  },
  responses: {
    201: {
      description: "Cancelled now: the order with its credited invoice and the account's totals.",
      content: { "application/json": { schema: orderSchema } },
    },
    200: {
      description: "Already cancelled: the order as it is; nothing was written.",
      content: { "application/json": { schema: orderSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type CancelOrderRequest = z.input<typeof cancelOrderBody>;
export type CancelOrderResponse = z.infer<typeof orderSchema>;

export function registerCancelOrder(app: ApiApp): void {
  app.openapi(cancelOrderRoute, async (c) => {
    const id = pathId(c.var.ids, "order", c.req.valid("param").id);
    const body = c.req.valid("json");
    const result = await cancelOrder({
      ctx: verbContext(c),
      input: {
        orderId: id,
        reason: body.reason,
        cancelledAt: body.cancelled_at === undefined ? new Date() : new Date(body.cancelled_at),
      },
    });
    await enqueueLedgerRelays(c.env.RELAYS_QUEUE, result.relayJobIds);
    const order = await getOrder({ ctx: verbContext(c), input: { id } });
    return c.json(presentOrder(c.var.ids, order), result.created ? 201 : 200);
  });
}

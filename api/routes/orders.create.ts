import { createRoute, type z } from "@hono/zod-openapi";
import { getOrder } from "../../domain/ledger/order-detail.ts";
import { ingestOrder } from "../../domain/ledger/orders.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { queryId, security } from "../schemas/common.ts";
import { createOrderBody, orderInput, orderSchema, presentOrder } from "../schemas/order.ts";

export const createOrderRoute = createRoute({
  method: "post",
  path: "/api/v1/orders",
  tags: ["Orders"],
  summary: "Ingest an order",
  description:
    "Ingests a normalised order in one transaction: the customer's email, name and addresses deduplicated globally, the brand client account found or created, products, offers, subscriptions, order items, the invoice and its items, the order, and the account's running totals. Idempotent on (brand, platform, external_id): sending the same order again returns the first result with status 200 and writes nothing.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createOrderBody } } } },
  responses: {
    201: { description: "The order was ingested.", content: { "application/json": { schema: orderSchema } } },
    200: {
      description: "The order had been ingested before; nothing was written.",
      content: { "application/json": { schema: orderSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateOrderRequest = z.input<typeof createOrderBody>;
export type CreateOrderResponse = z.infer<typeof orderSchema>;

export function registerCreateOrder(app: ApiApp): void {
  app.openapi(createOrderRoute, async (c) => {
    const body = c.req.valid("json");
    const ctx = verbContext(c);
    const brandId = queryId(c.var.ids, "brand", body.brand, "brand");
    const ingested = await ingestOrder({ ctx, input: orderInput(body, brandId) });
    await enqueueLedgerRelays(c.env.RELAYS_QUEUE, ingested.relayJobIds);
    const order = presentOrder(c.var.ids, await getOrder({ ctx, input: { id: ingested.orderId } }));
    return c.json(order, ingested.created ? 201 : 200, { location: `/api/v1/orders/${order.id}` });
  });
}

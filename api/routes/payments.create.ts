import { createRoute, type z } from "@hono/zod-openapi";
import { recordPayment } from "../../domain/ledger/payments.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import {
  bodyIds,
  createPaymentBody,
  paymentResultSchema,
  presentPaymentResult,
  required,
} from "../schemas/ledger.ts";

export const createPaymentRoute = createRoute({
  method: "post",
  path: "/api/v1/payments",
  tags: ["Ledger"],
  summary: "Record a payment",
  description:
    "Money received from a customer, in the account's currency, optionally for one of its orders. Adds to the account's `paid` and `balance` and lowers `outstanding` in the same transaction. Idempotent on (brand, platform, external_id): a re-send answers 200 with the first payment and writes nothing; the same external_id for a different payment is a 409.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createPaymentBody } } } },
  responses: {
    201: {
      description: "The payment and the account's totals after it.",
      content: { "application/json": { schema: paymentResultSchema } },
    },
    200: {
      description: "A re-send: the first payment with this external_id; nothing was written.",
      content: { "application/json": { schema: paymentResultSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreatePaymentRequest = z.input<typeof createPaymentBody>;
export type CreatePaymentResponse = z.infer<typeof paymentResultSchema>;

export function registerCreatePayment(app: ApiApp): void {
  app.openapi(createPaymentRoute, async (c) => {
    const body = c.req.valid("json");
    const ids = c.var.ids;
    const refs = bodyIds(ids, { account: ["account", body.account], order: ["order", body.order] });
    const result = await recordPayment({
      ctx: verbContext(c),
      input: {
        accountId: required(refs.account),
        amount: body.amount,
        currency: body.currency,
        method: body.method,
        platform: body.platform,
        externalId: body.external_id,
        orderId: refs.order,
        receivedAt: body.received_at === undefined ? new Date() : new Date(body.received_at),
      },
    });
    const json = presentPaymentResult(ids, result);
    if (!result.created) return c.json(json, 200);
    return c.json(json, 201);
  });
}

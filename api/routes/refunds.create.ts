import { createRoute, type z } from "@hono/zod-openapi";
import { refundProduct, refundShipping } from "../../domain/ledger/refunds.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import {
  bodyIds,
  createRefundBody,
  presentRefundResult,
  refundResultSchema,
  required,
} from "../schemas/ledger.ts";

export const createRefundRoute = createRoute({
  method: "post",
  path: "/api/v1/refunds",
  tags: ["Ledger"],
  summary: "Refund a product, or an order's shipping",
  description:
    "Pays back `amount` for a product of an account; it names no invoice. With `order` instead of `product`, it pays back shipping that order charged: one credit note crediting the shipping line of the order's invoice (422 on `order` when the order is not the account's). The waterfall credits the product's most recent invoice first and cascades to older ones: one credit note per invoice touched, one item per invoice line (within an invoice, the last line first). Invoice, order and account totals change in the same transaction. Refused with 422 on `amount`, writing nothing, when the amount exceeds what the product's invoices can still be credited or the account's balance (paid − refunded); the message says which. Idempotent on (brand, platform, external_id): a re-send answers 200 with the first refund.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createRefundBody } } } },
  responses: {
    201: {
      description: "The refund, its credit notes and the account's totals after it.",
      content: { "application/json": { schema: refundResultSchema } },
    },
    200: {
      description: "A re-send: the first refund with this external_id; nothing was written.",
      content: { "application/json": { schema: refundResultSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateRefundRequest = z.input<typeof createRefundBody>;
export type CreateRefundResponse = z.infer<typeof refundResultSchema>;

export function registerCreateRefund(app: ApiApp): void {
  app.openapi(createRefundRoute, async (c) => {
    const body = c.req.valid("json");
    const ids = c.var.ids;
    const refs = bodyIds(ids, {
      account: ["account", body.account],
      product: ["product", body.product],
      order: ["order", body.order],
    });
    const base = {
      accountId: required(refs.account),
      amount: body.amount,
      currency: body.currency,
      platform: body.platform,
      externalId: body.external_id,
      reason: body.reason,
      refundedAt: body.refunded_at === undefined ? new Date() : new Date(body.refunded_at),
    };
    const result =
      refs.order !== null
        ? await refundShipping({ ctx: verbContext(c), input: { ...base, orderId: refs.order } })
        : await refundProduct({ ctx: verbContext(c), input: { ...base, productId: required(refs.product) } });
    await enqueueLedgerRelays(c.env.RELAYS_QUEUE, result.relayJobIds);
    const json = presentRefundResult(ids, result);
    if (!result.created) return c.json(json, 200);
    return c.json(json, 201);
  });
}

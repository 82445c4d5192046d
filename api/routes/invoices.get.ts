import { createRoute, type z } from "@hono/zod-openapi";
import { getInvoice } from "../../domain/ledger/accounts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { invoiceDetailSchema, presentInvoiceDetail } from "../schemas/ledger.ts";

export const getInvoiceRoute = createRoute({
  method: "get",
  path: "/api/v1/invoices/{id}",
  tags: ["Ledger"],
  summary: "Get an invoice",
  description:
    "The invoice of one order, its lines (one per order item, plus shipping) and the credit notes against it.",
  security,
  request: { params: idParams("invoice") },
  responses: {
    200: { description: "The invoice.", content: { "application/json": { schema: invoiceDetailSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetInvoiceResponse = z.infer<typeof invoiceDetailSchema>;

export function registerGetInvoice(app: ApiApp): void {
  app.openapi(getInvoiceRoute, async (c) => {
    const id = pathId(c.var.ids, "invoice", c.req.valid("param").id);
    const invoice = await getInvoice({ ctx: verbContext(c), input: { id } });
    return c.json(presentInvoiceDetail(c.var.ids, invoice), 200);
  });
}

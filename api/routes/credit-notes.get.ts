import { createRoute, type z } from "@hono/zod-openapi";
import { getCreditNote } from "../../domain/ledger/accounts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { creditNoteSchema, presentCreditNote } from "../schemas/ledger.ts";

export const getCreditNoteRoute = createRoute({
  method: "get",
  path: "/api/v1/credit-notes/{id}",
  tags: ["Ledger"],
  summary: "Get a credit note",
  description: "What one refund took back from one invoice, line by line.",
  security,
  request: { params: idParams("credit note") },
  responses: {
    200: { description: "The credit note.", content: { "application/json": { schema: creditNoteSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetCreditNoteResponse = z.infer<typeof creditNoteSchema>;

export function registerGetCreditNote(app: ApiApp): void {
  app.openapi(getCreditNoteRoute, async (c) => {
    const id = pathId(c.var.ids, "creditNote", c.req.valid("param").id, "credit note");
    const note = await getCreditNote({ ctx: verbContext(c), input: { id } });
    return c.json(presentCreditNote(c.var.ids, note), 200);
  });
}

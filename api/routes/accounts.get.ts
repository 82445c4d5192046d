import { createRoute, type z } from "@hono/zod-openapi";
import { getAccount, ledgerLimit } from "../../domain/ledger/accounts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { accountDetailSchema, presentAccountDetail } from "../schemas/ledger.ts";

export const getAccountRoute = createRoute({
  method: "get",
  path: "/api/v1/accounts/{id}",
  tags: ["Ledger"],
  summary: "Get an account with its totals and ledger",
  description: `The brand client account, its six running totals, and its ledger: the ${ledgerLimit} most recent invoices, credit notes (with items), payments and refunds, newest first, with how many of each exist.`,
  security,
  request: { params: idParams("account") },
  responses: {
    200: { description: "The account.", content: { "application/json": { schema: accountDetailSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetAccountResponse = z.infer<typeof accountDetailSchema>;

export function registerGetAccount(app: ApiApp): void {
  app.openapi(getAccountRoute, async (c) => {
    const id = pathId(c.var.ids, "account", c.req.valid("param").id);
    const account = await getAccount({ ctx: verbContext(c), input: { id } });
    return c.json(presentAccountDetail(c.var.ids, account, ledgerLimit), 200);
  });
}

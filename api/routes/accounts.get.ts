import { createRoute, type z } from "@hono/zod-openapi";
import { getAccountAcquisition } from "../../domain/acquisition/accounts.ts";
import { getAccount, ledgerLimit } from "../../domain/ledger/accounts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  accountDetailWithAcquisitionSchema,
  presentAccountDetailWithAcquisition,
} from "../schemas/acquisition.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getAccountRoute = createRoute({
  method: "get",
  path: "/api/v1/accounts/{id}",
  tags: ["Ledger"],
  summary: "Get an account with its totals and ledger",
  description: `The brand client account, its six running totals, its ledger (the ${ledgerLimit} most recent invoices, credit notes (with items), payments and refunds, newest first, with how many of each exist) and its acquisition source (\`source: null\` until the classification has reached it).`,
  security,
  request: { params: idParams("account") },
  responses: {
    200: {
      description: "The account.",
      content: { "application/json": { schema: accountDetailWithAcquisitionSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type GetAccountResponse = z.infer<typeof accountDetailWithAcquisitionSchema>;

export function registerGetAccount(app: ApiApp): void {
  app.openapi(getAccountRoute, async (c) => {
    const id = pathId(c.var.ids, "account", c.req.valid("param").id);
    const ctx = verbContext(c);
    const account = await getAccount({ ctx, input: { id } });
    const acquisition = await getAccountAcquisition({ ctx, input: { accountId: id } });
    return c.json(presentAccountDetailWithAcquisition(c.var.ids, account, acquisition, ledgerLimit), 200);
  });
}

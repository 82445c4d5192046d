import { createRoute, type z } from "@hono/zod-openapi";
import { getContactAccounts } from "../../domain/ledger/accounts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { contactAccountsSchema, presentContactAccounts } from "../schemas/ledger.ts";

export const contactAccountsRoute = createRoute({
  method: "get",
  path: "/api/v1/contacts/{id}/accounts",
  tags: ["Ledger"],
  summary: "A person's accounts across brands",
  description:
    "Every brand account of the person (contact) that the API key may see, and lifetime value — LTV = paid − refunded, the money received and kept — per brand and currency and in total per currency (amounts in different currencies are never added). A brand-scoped key sees only its brands; it gets 403 when the person's accounts are all with other brands.",
  security,
  request: { params: idParams("contact") },
  responses: {
    200: {
      description: "The accounts and lifetime values.",
      content: { "application/json": { schema: contactAccountsSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type ContactAccountsResponse = z.infer<typeof contactAccountsSchema>;

export function registerContactAccounts(app: ApiApp): void {
  app.openapi(contactAccountsRoute, async (c) => {
    const contactId = pathId(c.var.ids, "contact", c.req.valid("param").id);
    const view = await getContactAccounts({ ctx: verbContext(c), input: { contactId } });
    return c.json(presentContactAccounts(c.var.ids, view), 200);
  });
}

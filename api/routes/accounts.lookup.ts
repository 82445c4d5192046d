import { createRoute, z } from "@hono/zod-openapi";
import { findAccountsByEmail } from "../../domain/ledger/accounts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { queryId, security } from "../schemas/common.ts";
import { accountListSchema, presentAccount } from "../schemas/ledger.ts";

const query = z.object({
  email: z
    .string()
    .max(1024)
    .openapi({
      param: { name: "email", in: "query" },
      description:
        "Any spelling of the address: it is normalised (case, Gmail dots and +tags) before the lookup.",
      example: "Minji.Kim@example.com",
    }),
  brand: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: "brand", in: "query" }, description: "Only this brand's accounts (hash id)." }),
});

export const lookupAccountsRoute = createRoute({
  method: "get",
  path: "/api/v1/accounts",
  tags: ["Ledger"],
  summary: "Find accounts by email",
  description:
    "The brand client accounts (one per brand and market) of an email address that the API key may see, by brand then market, with their totals. An empty list when there is none.",
  security,
  request: { query },
  responses: {
    200: { description: "The accounts.", content: { "application/json": { schema: accountListSchema } } },
    ...problemResponses(401, 403, 422),
  },
});

export type LookupAccountsResponse = z.infer<typeof accountListSchema>;

export function registerLookupAccounts(app: ApiApp): void {
  app.openapi(lookupAccountsRoute, async (c) => {
    const { email, brand } = c.req.valid("query");
    const brandId = brand === undefined ? undefined : queryId(c.var.ids, "brand", brand, "brand");
    const accounts = await findAccountsByEmail({ ctx: verbContext(c), input: { email, brandId } });
    return c.json({ data: accounts.map((account) => presentAccount(c.var.ids, account)) }, 200);
  });
}

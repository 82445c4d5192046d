import { createRoute, z } from "@hono/zod-openapi";
import { listAccounts } from "../../domain/acquisition/accounts.ts";
import { acquisitionSources } from "../../domain/acquisition/classify.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { accountWithAcquisitionSchema, presentAccountWithAcquisition } from "../schemas/acquisition.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";

const query = pageQuery.extend({
  email: z
    .string()
    .max(1024)
    .optional()
    .openapi({
      param: { name: "email", in: "query" },
      description:
        "Only this address's accounts; any spelling: it is normalised (case, Gmail dots and +tags) first.",
      example: "Minji.Kim@example.com",
    }),
  brand: hashId("Only this brand's accounts.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
  source: z
    .enum(acquisitionSources)
    .optional()
    .openapi({ param: { name: "source", in: "query" }, description: "Only accounts classified so." }),
  influencer: hashId("Only accounts attributed to this influencer.")
    .optional()
    .openapi({ param: { name: "influencer", in: "query" } }),
});
const accountPage = pageOf(accountWithAcquisitionSchema, "AccountPage");

export const listAccountsRoute = createRoute({
  method: "get",
  path: "/api/v1/accounts",
  tags: ["Ledger"],
  summary: "List accounts",
  description:
    "Brand client accounts the API key may see, oldest first, with their totals and acquisition source; optionally of one email address, brand, source (`organic`, `influencer`: unclassified accounts match neither) or influencer.",
  security,
  request: { query },
  responses: {
    200: { description: "A page of accounts.", content: { "application/json": { schema: accountPage } } },
    ...problemResponses(401, 403, 422),
  },
});

export type ListAccountsResponse = z.infer<typeof accountPage>;

export function registerListAccounts(app: ApiApp): void {
  app.openapi(listAccountsRoute, async (c) => {
    const q = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listAccounts({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "account", q),
        email: q.email,
        brandId: q.brand === undefined ? undefined : queryId(ids, "brand", q.brand, "brand"),
        source: q.source,
        influencerId:
          q.influencer === undefined ? undefined : queryId(ids, "influencer", q.influencer, "influencer"),
      },
    });
    return c.json(
      pageBody(ids, "account", page, (account) => presentAccountWithAcquisition(ids, account)),
      200,
    );
  });
}

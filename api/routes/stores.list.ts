import { createRoute, type z } from "@hono/zod-openapi";
import { listStores } from "../../domain/catalog/stores.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { platformSlug } from "../schemas/order.ts";
import { presentStore, storeSchema } from "../schemas/store.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's stores.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
  market: hashId("Only stores in this market.")
    .optional()
    .openapi({ param: { name: "market", in: "query" } }),
  platform: platformSlug
    .optional()
    .openapi({ param: { name: "platform", in: "query" }, description: "Only stores on this platform." }),
});
const storePage = pageOf(storeSchema, "StorePage");

export const listStoresRoute = createRoute({
  method: "get",
  path: "/api/v1/stores",
  tags: ["Stores"],
  summary: "List stores",
  description: "A key for some brands sees only their stores.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of stores, oldest first.",
      content: { "application/json": { schema: storePage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListStoresResponse = z.infer<typeof storePage>;

export function registerListStores(app: ApiApp): void {
  app.openapi(listStoresRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listStores({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "store", query),
        brandId: query.brand === undefined ? undefined : queryId(ids, "brand", query.brand, "brand"),
        marketId: query.market === undefined ? undefined : queryId(ids, "market", query.market, "market"),
        platform: query.platform,
      },
    });
    return c.json(
      pageBody(ids, "store", page, (item) => presentStore(ids, item)),
      200,
    );
  });
}

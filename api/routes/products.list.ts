import { createRoute, type z } from "@hono/zod-openapi";
import { listProducts } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { presentProduct, productSchema } from "../schemas/catalog.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's products.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});
const productPage = pageOf(productSchema, "ProductPage");

export const listProductsRoute = createRoute({
  method: "get",
  path: "/api/v1/products",
  tags: ["Products"],
  summary: "List products",
  description: "The products of the key's brands, oldest first, a page at a time.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of products, oldest first.",
      content: { "application/json": { schema: productPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListProductsResponse = z.infer<typeof productPage>;

export function registerListProducts(app: ApiApp): void {
  app.openapi(listProductsRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listProducts({
      ctx: verbContext(c),
      input: {
        ...pageInput(c.var.ids, "product", query),
        brandId: query.brand === undefined ? undefined : queryId(c.var.ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(c.var.ids, "product", page, (item) => presentProduct(c.var.ids, item)),
      200,
    );
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { listBrands } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { brandSchema, presentBrand } from "../schemas/catalog.ts";
import { pageBody, pageInput, pageOf, pageQuery, security } from "../schemas/common.ts";

const brandPage = pageOf(brandSchema, "BrandPage");

export const listBrandsRoute = createRoute({
  method: "get",
  path: "/api/v1/brands",
  tags: ["Brands"],
  summary: "List brands",
  description:
    "Every brand the key may see (all of them for a key for every brand, else its own), oldest first, a page at a time: pass `next_cursor` as `cursor` for the next page.",
  security,
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of brands, oldest first.",
      content: { "application/json": { schema: brandPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListBrandsResponse = z.infer<typeof brandPage>;

export function registerListBrands(app: ApiApp): void {
  app.openapi(listBrandsRoute, async (c) => {
    const page = await listBrands({
      ctx: verbContext(c),
      input: pageInput(c.var.ids, "brand", c.req.valid("query")),
    });
    return c.json(
      pageBody(c.var.ids, "brand", page, (item) => presentBrand(c.var.ids, item)),
      200,
    );
  });
}

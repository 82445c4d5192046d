import { createRoute, type z } from "@hono/zod-openapi";
import { createProduct } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { createProductBody, presentProduct, productSchema } from "../schemas/catalog.ts";
import { security } from "../schemas/common.ts";

export const createProductRoute = createRoute({
  method: "post",
  path: "/api/v1/products",
  tags: ["Products"],
  summary: "Create a product",
  description:
    "A catalog product of a brand, unique by SKU within the brand (409 naming `sku`). Orders also create products by SKU on first sight.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createProductBody } } } },
  responses: {
    201: { description: "The new product.", content: { "application/json": { schema: productSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateProductRequest = z.input<typeof createProductBody>;
export type CreateProductResponse = z.infer<typeof productSchema>;

export function registerCreateProduct(app: ApiApp): void {
  app.openapi(createProductRoute, async (c) => {
    const product = await createProduct({ ctx: verbContext(c), input: c.req.valid("json") });
    const json = presentProduct(c.var.ids, product);
    return c.json(json, 201, { location: `/api/v1/products/${json.id}` });
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { getProduct } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { presentProduct, productSchema } from "../schemas/catalog.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getProductRoute = createRoute({
  method: "get",
  path: "/api/v1/products/{id}",
  tags: ["Products"],
  summary: "Get a product",
  description: "One product by its hash id. A key limited to other brands gets a 403.",
  security,
  request: { params: idParams("product") },
  responses: {
    200: { description: "The product.", content: { "application/json": { schema: productSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetProductResponse = z.infer<typeof productSchema>;

export function registerGetProduct(app: ApiApp): void {
  app.openapi(getProductRoute, async (c) => {
    const id = pathId(c.var.ids, "product", c.req.valid("param").id);
    const product = await getProduct({ ctx: verbContext(c), input: { id } });
    return c.json(presentProduct(c.var.ids, product), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { getBrand } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { brandSchema, presentBrand } from "../schemas/catalog.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getBrandRoute = createRoute({
  method: "get",
  path: "/api/v1/brands/{id}",
  tags: ["Brands"],
  summary: "Get a brand",
  description: "One brand by its hash id. A key limited to other brands gets a 403.",
  security,
  request: { params: idParams("brand") },
  responses: {
    200: { description: "The brand.", content: { "application/json": { schema: brandSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetBrandResponse = z.infer<typeof brandSchema>;

export function registerGetBrand(app: ApiApp): void {
  app.openapi(getBrandRoute, async (c) => {
    const id = pathId(c.var.ids, "brand", c.req.valid("param").id);
    const brand = await getBrand({ ctx: verbContext(c), input: { id } });
    return c.json(presentBrand(c.var.ids, brand), 200);
  });
}

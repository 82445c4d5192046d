import { createRoute, type z } from "@hono/zod-openapi";
import { createBrand } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { brandSchema, createBrandBody, presentBrand } from "../schemas/catalog.ts";
import { security } from "../schemas/common.ts";

export const createBrandRoute = createRoute({
  method: "post",
  path: "/api/v1/brands",
  tags: ["Brands"],
  summary: "Create a brand",
  description:
    "A brand: the unit every landing, product, account and campaign belongs to. The slug is unique (409 naming `slug`). Needs a key for every brand.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createBrandBody } } } },
  responses: {
    201: { description: "The new brand.", content: { "application/json": { schema: brandSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateBrandRequest = z.input<typeof createBrandBody>;
export type CreateBrandResponse = z.infer<typeof brandSchema>;

export function registerCreateBrand(app: ApiApp): void {
  app.openapi(createBrandRoute, async (c) => {
    const brand = await createBrand({ ctx: verbContext(c), input: c.req.valid("json") });
    const json = presentBrand(c.var.ids, brand);
    return c.json(json, 201, { location: `/api/v1/brands/${json.id}` });
  });
}

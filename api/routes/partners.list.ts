import { createRoute, type z } from "@hono/zod-openapi";
import { listPartners } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { partnerSchema, presentPartner } from "../schemas/catalog.ts";
import { pageBody, pageInput, pageOf, pageQuery, security } from "../schemas/common.ts";

const partnerPage = pageOf(partnerSchema, "PartnerPage");

export const listPartnersRoute = createRoute({
  method: "get",
  path: "/api/v1/partners",
  tags: ["Partners"],
  summary: "List partners",
  description: "Every partner, oldest first, a page at a time.",
  security,
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of partners, oldest first.",
      content: { "application/json": { schema: partnerPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListPartnersResponse = z.infer<typeof partnerPage>;

export function registerListPartners(app: ApiApp): void {
  app.openapi(listPartnersRoute, async (c) => {
    const page = await listPartners({
      ctx: verbContext(c),
      input: pageInput(c.var.ids, "partner", c.req.valid("query")),
    });
    return c.json(
      pageBody(c.var.ids, "partner", page, (item) => presentPartner(c.var.ids, item)),
      200,
    );
  });
}

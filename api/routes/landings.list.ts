import { createRoute, type z } from "@hono/zod-openapi";
import { listLandings } from "../../domain/routing/landings.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { landingSchema, presentLanding } from "../schemas/landing.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's landings.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});
const landingPage = pageOf(landingSchema, "LandingPage");

export const listLandingsRoute = createRoute({
  method: "get",
  path: "/api/v1/landings",
  tags: ["Landings"],
  summary: "List landings",
  description: "The landings of the key's brands (or of `brand`), oldest first, a page at a time.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of landings, oldest first.",
      content: { "application/json": { schema: landingPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListLandingsResponse = z.infer<typeof landingPage>;

export function registerListLandings(app: ApiApp): void {
  app.openapi(listLandingsRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listLandings({
      ctx: verbContext(c),
      input: {
        ...pageInput(c.var.ids, "landing", query),
        brandId: query.brand === undefined ? undefined : queryId(c.var.ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(c.var.ids, "landing", page, (item) => presentLanding(c.var.ids, item)),
      200,
    );
  });
}

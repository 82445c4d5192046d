import { createRoute, type z } from "@hono/zod-openapi";
import { listThemes } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { presentTheme, themeSchema } from "../schemas/catalog.ts";
import { pageBody, pageInput, pageOf, pageQuery, security } from "../schemas/common.ts";

const themePage = pageOf(themeSchema, "ThemePage");

export const listThemesRoute = createRoute({
  method: "get",
  path: "/api/v1/themes",
  tags: ["Themes"],
  summary: "List themes",
  description: "Every theme, oldest first, a page at a time.",
  security,
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of themes, oldest first.",
      content: { "application/json": { schema: themePage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListThemesResponse = z.infer<typeof themePage>;

export function registerListThemes(app: ApiApp): void {
  app.openapi(listThemesRoute, async (c) => {
    const page = await listThemes({
      ctx: verbContext(c),
      input: pageInput(c.var.ids, "theme", c.req.valid("query")),
    });
    return c.json(
      pageBody(c.var.ids, "theme", page, (item) => presentTheme(c.var.ids, item)),
      200,
    );
  });
}

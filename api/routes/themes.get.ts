import { createRoute, type z } from "@hono/zod-openapi";
import { getTheme } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { presentTheme, themeSchema } from "../schemas/catalog.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getThemeRoute = createRoute({
  method: "get",
  path: "/api/v1/themes/{id}",
  tags: ["Themes"],
  summary: "Get a theme",
  description: "One theme by its hash id.",
  security,
  request: { params: idParams("theme") },
  responses: {
    200: { description: "The theme.", content: { "application/json": { schema: themeSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetThemeResponse = z.infer<typeof themeSchema>;

export function registerGetTheme(app: ApiApp): void {
  app.openapi(getThemeRoute, async (c) => {
    const id = pathId(c.var.ids, "theme", c.req.valid("param").id);
    const theme = await getTheme({ ctx: verbContext(c), input: { id } });
    return c.json(presentTheme(c.var.ids, theme), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { createTheme } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { createThemeBody, presentTheme, themeSchema } from "../schemas/catalog.ts";
import { security } from "../schemas/common.ts";

export const createThemeRoute = createRoute({
  method: "post",
  path: "/api/v1/themes",
  tags: ["Themes"],
  summary: "Create a theme",
  description:
    "A theme, the design a landing uses; also one of the four dimensions of a redirect rule. The slug is unique (409 naming `slug`).",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createThemeBody } } } },
  responses: {
    201: { description: "The new theme.", content: { "application/json": { schema: themeSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateThemeRequest = z.input<typeof createThemeBody>;
export type CreateThemeResponse = z.infer<typeof themeSchema>;

export function registerCreateTheme(app: ApiApp): void {
  app.openapi(createThemeRoute, async (c) => {
    const theme = await createTheme({ ctx: verbContext(c), input: c.req.valid("json") });
    const json = presentTheme(c.var.ids, theme);
    return c.json(json, 201, { location: `/api/v1/themes/${json.id}` });
  });
}

import { createRoute } from "@hono/zod-openapi";
import { getTemplate } from "../../domain/messaging/templates.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentTemplate, templateSchema } from "../schemas/messaging.ts";

export const getTemplateRoute = createRoute({
  method: "get",
  path: "/api/v1/message-templates/{id}",
  tags: ["Messaging"],
  summary: "Get a message template",
  description:
    "One Kakao message template: brand, channel, code, class, review state, text and its `#{variables}`. A key limited to other brands gets a 403.",
  security,
  request: { params: idParams("message template") },
  responses: {
    200: { description: "The template.", content: { "application/json": { schema: templateSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export function registerGetTemplate(app: ApiApp): void {
  app.openapi(getTemplateRoute, async (c) => {
    const id = pathId(c.var.ids, "messageTemplate", c.req.valid("param").id, "message template");
    const row = await getTemplate({ ctx: verbContext(c), input: { id } });
    return c.json(presentTemplate(c.var.ids, row), 200);
  });
}

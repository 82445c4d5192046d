import { createRoute, type z } from "@hono/zod-openapi";
import { updateTemplate } from "../../domain/messaging/templates.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentTemplate, templateSchema, updateTemplateBody } from "../schemas/messaging.ts";

export const updateTemplateRoute = createRoute({
  method: "patch",
  path: "/api/v1/message-templates/{id}",
  tags: ["Messaging"],
  summary: "Change a message template",
  description:
    "Changes the given fields (name, class, review state as Kakao reports it, text, variables); brand, channel and code stay. Sends decided after the change use it.",
  security,
  request: {
    params: idParams("message template"),
    body: { required: true, content: { "application/json": { schema: updateTemplateBody } } },
  },
  responses: {
    200: {
      description: "The template as changed.",
      content: { "application/json": { schema: templateSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type UpdateTemplateRequest = z.input<typeof updateTemplateBody>;

export function registerUpdateTemplate(app: ApiApp): void {
  app.openapi(updateTemplateRoute, async (c) => {
    const id = pathId(c.var.ids, "messageTemplate", c.req.valid("param").id, "message template");
    const row = await updateTemplate({ ctx: verbContext(c), input: { id, ...c.req.valid("json") } });
    return c.json(presentTemplate(c.var.ids, row), 200);
  });
}

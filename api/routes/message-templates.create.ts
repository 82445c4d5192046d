import { createRoute, type z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { createTemplate } from "../../domain/messaging/templates.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { createTemplateBody, presentTemplate, templateSchema } from "../schemas/messaging.ts";

export const createTemplateRoute = createRoute({
  method: "post",
  path: "/api/v1/message-templates",
  tags: ["Messaging"],
  summary: "Register a message template",
  description:
    "A Kakao template (AlimTalk or templated brand message) as registered with the provider: its code (Solapi `templateId`), class, Kakao's review state (default `in_review`; an AlimTalk is sent only on an `approved` informational one), text and `#{variable}` names (every `#{name}` of the text must be declared). A code is unique per brand (409 naming `code`).",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createTemplateBody } } } },
  responses: {
    201: { description: "The new template.", content: { "application/json": { schema: templateSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});

export type CreateTemplateRequest = z.input<typeof createTemplateBody>;
export type MessageTemplateResponse = z.infer<typeof templateSchema>;

export function registerCreateTemplate(app: ApiApp): void {
  app.openapi(createTemplateRoute, async (c) => {
    const body = c.req.valid("json");
    const brandId = c.var.ids.decode("brand", body.brand);
    if (brandId === null)
      throw new ValidationFailed([{ field: "brand", category: "malformed", message: "Not a brand id." }]);
    const row = await createTemplate({ ctx: verbContext(c), input: { ...body, brandId } });
    const json = presentTemplate(c.var.ids, row);
    return c.json(json, 201, { location: `/api/v1/message-templates/${json.id}` });
  });
}

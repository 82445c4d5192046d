import { createRoute } from "@hono/zod-openapi";
import { listTemplates } from "../../domain/messaging/templates.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { presentTemplate, templateSchema } from "../schemas/messaging.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's templates.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});
const templatePage = pageOf(templateSchema, "MessageTemplatePage");

export const listTemplatesRoute = createRoute({
  method: "get",
  path: "/api/v1/message-templates",
  tags: ["Messaging"],
  summary: "List message templates",
  description: "Oldest first. A key for some brands sees only their templates.",
  security,
  request: { query: listQuery },
  responses: {
    200: { description: "A page of templates.", content: { "application/json": { schema: templatePage } } },
    ...problemResponses(401, 403, 422),
  },
});

export function registerListTemplates(app: ApiApp): void {
  app.openapi(listTemplatesRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listTemplates({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "messageTemplate", query),
        brandId: query.brand === undefined ? null : queryId(ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(ids, "messageTemplate", page, (row) => presentTemplate(ids, row)),
      200,
    );
  });
}

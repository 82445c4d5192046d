import { createRoute, type z } from "@hono/zod-openapi";
import { listApiKeys } from "../../domain/ops/api-keys.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { apiKeySchema, presentApiKey } from "../schemas/api-key.ts";
import { pageBody, pageInput, pageOf, pageQuery, security } from "../schemas/common.ts";

const apiKeyPage = pageOf(apiKeySchema, "ApiKeyPage");

export const listApiKeysRoute = createRoute({
  method: "get",
  path: "/api/v1/api-keys",
  tags: ["API keys"],
  summary: "List API keys (admin)",
  description: "Never includes secrets: they are not stored.",
  security,
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of keys, oldest first.",
      content: { "application/json": { schema: apiKeyPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListApiKeysResponse = z.infer<typeof apiKeyPage>;

export function registerListApiKeys(app: ApiApp): void {
  app.openapi(listApiKeysRoute, async (c) => {
    const page = await listApiKeys({
      ctx: verbContext(c),
      input: pageInput(c.var.ids, "apiKey", c.req.valid("query")),
    });
    return c.json(
      pageBody(c.var.ids, "apiKey", page, (key) => presentApiKey(c.var.ids, key)),
      200,
    );
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { revokeApiKey } from "../../domain/ops/api-keys.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { apiKeySchema, presentApiKey } from "../schemas/api-key.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const revokeApiKeyRoute = createRoute({
  method: "delete",
  path: "/api/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Revoke an API key (admin)",
  description: "The key stops working at once; the row stays for the record. Revoking twice changes nothing.",
  security,
  request: { params: idParams("API key") },
  responses: {
    200: { description: "The revoked key.", content: { "application/json": { schema: apiKeySchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type RevokeApiKeyResponse = z.infer<typeof apiKeySchema>;

export function registerRevokeApiKey(app: ApiApp): void {
  app.openapi(revokeApiKeyRoute, async (c) => {
    const id = pathId(c.var.ids, "apiKey", c.req.valid("param").id, "API key");
    const key = await revokeApiKey({ ctx: verbContext(c), input: { id } });
    return c.json(presentApiKey(c.var.ids, key), 200);
  });
}

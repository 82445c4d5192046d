import { createRoute, type z } from "@hono/zod-openapi";
import { createApiKey } from "../../domain/ops/api-keys.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { createApiKeyBody, createdApiKeySchema, presentApiKey } from "../schemas/api-key.ts";
import { security } from "../schemas/common.ts";

export const createApiKeyRoute = createRoute({
  method: "post",
  path: "/api/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key (admin)",
  description:
    "Returns the secret once; only its SHA-256 is stored. `brands` limits the key to those brands.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createApiKeyBody } } } },
  responses: {
    201: {
      description: "The key, with its secret.",
      content: { "application/json": { schema: createdApiKeySchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type CreateApiKeyRequest = z.input<typeof createApiKeyBody>;
export type CreateApiKeyResponse = z.infer<typeof createdApiKeySchema>;

export function registerCreateApiKey(app: ApiApp): void {
  app.openapi(createApiKeyRoute, async (c) => {
    const body = c.req.valid("json");
    const { key, secret } = await createApiKey({
      ctx: verbContext(c),
      input: { name: body.name, brands: body.brands, isAdmin: body.is_admin },
    });
    const json = { ...presentApiKey(c.var.ids, key), key: secret };
    // The secret must not sit in a shared cache.
    return c.json(json, 201, { location: `/api/v1/api-keys/${json.id}`, "cache-control": "no-store" });
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { recordOptOut } from "../../domain/messaging/opt-outs.ts";
import { normalizeRecipient } from "../../domain/messaging/provider.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import { brandParams, optOutBody, optOutSchema, presentOptOut } from "../schemas/messaging.ts";

export const createOptOutRoute = createRoute({
  method: "post",
  path: "/api/v1/brands/{brand}/opt-outs",
  tags: ["Messaging"],
  summary: "Record an advertising opt-out",
  description:
    "An opt-out an operator took (an 080 call, a reply): the brand's advertising to that number stops from the next sends batch; informational messages still go. The same `id` twice records it once (200 with the first; 201 when new). The contact is the one the brand's accounts give the number to, when exactly one.",
  security,
  request: {
    params: brandParams,
    body: { required: true, content: { "application/json": { schema: optOutBody } } },
  },
  responses: {
    200: { description: "Recorded before.", content: { "application/json": { schema: optOutSchema } } },
    201: { description: "Recorded.", content: { "application/json": { schema: optOutSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type CreateOptOutRequest = z.input<typeof optOutBody>;
export type OptOutResponse = z.infer<typeof optOutSchema>;

export function registerCreateOptOut(app: ApiApp): void {
  app.openapi(createOptOutRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    const body = c.req.valid("json");
    const phone = normalizeRecipient(body.phone);
    if (phone === null)
      throw new ValidationFailed([
        { field: "phone", category: "malformed", message: "Not a Korean mobile number." },
      ]);
    const row = await recordOptOut({
      ctx: verbContext(c),
      input: {
        brandId,
        phone,
        via: body.via,
        at: new Date(body.at ?? Date.now()).toISOString(),
        sourceId: body.id ?? `api:${uuidv7()}`,
      },
    });
    const json = presentOptOut(c.var.ids, row);
    return row.created ? c.json(json, 201) : c.json(json, 200);
  });
}

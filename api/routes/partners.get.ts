import { createRoute, type z } from "@hono/zod-openapi";
import { getPartner } from "../../domain/catalog/catalog.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { partnerSchema, presentPartner } from "../schemas/catalog.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getPartnerRoute = createRoute({
  method: "get",
  path: "/api/v1/partners/{id}",
  tags: ["Partners"],
  summary: "Get a partner",
  description:
    "One partner with its postback settings and pause state (`postbacks_paused_at`, `postback_consecutive_failures`); the signing secret shows only as `has_signing_secret`.",
  security,
  request: { params: idParams("partner") },
  responses: {
    200: { description: "The partner.", content: { "application/json": { schema: partnerSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetPartnerResponse = z.infer<typeof partnerSchema>;

export function registerGetPartner(app: ApiApp): void {
  app.openapi(getPartnerRoute, async (c) => {
    const id = pathId(c.var.ids, "partner", c.req.valid("param").id);
    const partner = await getPartner({ ctx: verbContext(c), input: { id } });
    return c.json(presentPartner(c.var.ids, partner), 200);
  });
}

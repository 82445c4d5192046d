import { createRoute, type z } from "@hono/zod-openapi";
import { createPartner } from "../../domain/catalog/catalog.ts";
import { publishPartners } from "../../domain/routing/edge-publish.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { createPartnerBody, partnerSchema, presentPartner } from "../schemas/catalog.ts";
import { security } from "../schemas/common.ts";

export const createPartnerRoute = createRoute({
  method: "post",
  path: "/api/v1/partners",
  tags: ["Partners"],
  summary: "Create a partner",
  description:
    "An affiliate partner: the click and transaction id parameters its links carry, and its postback settings (URL template with macros, method, body type, headers, events, payout, delay, failure limit). The signing secret is write-only. Needs a key for every brand (partners are shared by brands); publishes the partner to the edge for `/pb`.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createPartnerBody } } } },
  responses: {
    201: { description: "The new partner.", content: { "application/json": { schema: partnerSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503),
  },
});

export type CreatePartnerRequest = z.input<typeof createPartnerBody>;
export type CreatePartnerResponse = z.infer<typeof partnerSchema>;

export function registerCreatePartner(app: ApiApp): void {
  app.openapi(createPartnerRoute, async (c) => {
    const body = c.req.valid("json");
    const partner = await createPartner({
      ctx: verbContext(c),
      input: {
        name: body.name,
        slug: body.slug,
        clickIdParam: body.click_id_param,
        transactionIdParam: body.transaction_id_param,
        postbackUrl: body.postback_url,
        postbackMethod: body.postback_method,
        postbackEvents: body.postback_events,
        postbackContentType: body.postback_content_type,
        postbackHeaders: body.postback_headers,
        signingSecret: body.signing_secret,
        payout: body.payout,
        payoutCurrency: body.payout_currency,
        postbackDelaySeconds: body.postback_delay_seconds,
        postbackFailureLimit: body.postback_failure_limit,
      },
    });
    // After commit, so the edge can verify the partner's `/pb` conversions (its document says it exists).
    await publishPartners(c.var.db, c.env.EDGE_CONFIG, [partner.id]);
    const json = presentPartner(c.var.ids, partner);
    return c.json(json, 201, { location: `/api/v1/partners/${json.id}` });
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { updatePartner } from "../../domain/catalog/catalog.ts";
import { publishPartners } from "../../domain/routing/edge-publish.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { partnerSchema, presentPartner, updatePartnerBody } from "../schemas/catalog.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const updatePartnerRoute = createRoute({
  method: "patch",
  path: "/api/v1/partners/{id}",
  tags: ["Partners"],
  summary: "Change a partner's postback settings",
  description:
    "Changes the given fields (the slug stays): the postback URL template, method, body type, extra headers, signing secret (write-only; `null` removes it), events, payout and currency, firing delay and failure limit. Needs a key for all brands. Pausing and resuming are not changed here. A new or removed secret is published to the edge at once (503 if that fails after the change was saved).",
  security,
  request: {
    params: idParams("partner"),
    body: { required: true, content: { "application/json": { schema: updatePartnerBody } } },
  },
  responses: {
    200: {
      description: "The partner as changed.",
      content: { "application/json": { schema: partnerSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});

export type UpdatePartnerRequest = z.input<typeof updatePartnerBody>;
export type UpdatePartnerResponse = z.infer<typeof partnerSchema>;

export function registerUpdatePartner(app: ApiApp): void {
  app.openapi(updatePartnerRoute, async (c) => {
    const id = pathId(c.var.ids, "partner", c.req.valid("param").id);
    const body = c.req.valid("json");
    const partner = await updatePartner({
      ctx: verbContext(c),
      input: {
        id,
        name: body.name,
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
    // After commit: the edge verifies the partner's `/pb` conversions with the secret in its document.
    // The edge reads the partner's signing secret (/pb) and redirect postback (/l/*) from its KV document.
    await publishPartners(c.var.db, c.env.EDGE_CONFIG, [partner.id]);
    return c.json(presentPartner(c.var.ids, partner), 200);
  });
}

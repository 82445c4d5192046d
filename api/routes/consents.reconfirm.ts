import { createRoute, type z } from "@hono/zod-openapi";
import { FieldErrors } from "../../domain/core/errors.ts";
import { reconfirmConsents } from "../../domain/messaging/opt-outs.ts";
import { normalizeRecipient } from "../../domain/messaging/provider.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pathId, security } from "../schemas/common.ts";
import { brandParams, reconfirmAnswer, reconfirmBody } from "../schemas/messaging.ts";

export const reconfirmConsentsRoute = createRoute({
  method: "post",
  path: "/api/v1/brands/{brand}/consents/reconfirm",
  tags: ["Messaging"],
  summary: "Record a consent re-confirmation",
  description:
    "The answer to the two-yearly re-confirmation notice (Article 50(8)): the brand's granted consent of `channel` for the contact (or every contact of the brand's accounts with that phone) is re-confirmed at `at`, and the gate counts two years from then. Give `contact` or `phone`. A withdrawn consent is not revived.",
  security,
  request: {
    params: brandParams,
    body: { required: true, content: { "application/json": { schema: reconfirmBody } } },
  },
  responses: {
    200: {
      description: "What was re-confirmed.",
      content: { "application/json": { schema: reconfirmAnswer } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type ReconfirmConsentsRequest = z.input<typeof reconfirmBody>;

export function registerReconfirmConsents(app: ApiApp): void {
  app.openapi(reconfirmConsentsRoute, async (c) => {
    const brandId = pathId(c.var.ids, "brand", c.req.valid("param").brand);
    const body = c.req.valid("json");
    const errors = new FieldErrors();
    const contactId = body.contact === undefined ? null : c.var.ids.decode("contact", body.contact);
    if (body.contact !== undefined && contactId === null)
      errors.add("contact", "malformed", "Not a contact id.");
    const phone = body.phone === undefined ? null : normalizeRecipient(body.phone);
    if (body.phone !== undefined && phone === null)
      errors.add("phone", "malformed", "Not a Korean mobile number.");
    if (body.contact === undefined && body.phone === undefined)
      errors.add("contact", "missing", "Give the contact or the phone.");
    errors.throwIfAny();
    const at = new Date(body.at ?? Date.now()).toISOString();
    const { contactIds } = await reconfirmConsents({
      ctx: verbContext(c),
      input: { brandId, contactId, phone, channel: body.channel, at },
    });
    return c.json(
      {
        reconfirmed: contactIds.length,
        contacts: contactIds.map((id) => c.var.ids.encode("contact", id)),
        at,
      },
      200,
    );
  });
}

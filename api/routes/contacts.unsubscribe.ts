import { createRoute, z } from "@hono/zod-openapi";
import { unsubscribeContact } from "../../domain/contacts/contacts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, idParams, pathId, security } from "../schemas/common.ts";
import { presentRelationship, relationshipSchema } from "../schemas/contact.ts";

const body = z
  .strictObject({
    brand: hashId("The brand to unsubscribe from."),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .openapi("Unsubscribe");

export const unsubscribeContactRoute = createRoute({
  method: "post",
  path: "/api/v1/contacts/{id}/unsubscribe",
  tags: ["Contacts"],
  summary: "Unsubscribe a contact from a brand",
  description:
    "Soft-deletes the relationship (state `unsubscribed`, `deleted_at` set, history kept) and updates the edge's knowledge index. Idempotent: repeating it changes nothing and returns the same state.",
  security,
  request: {
    params: idParams("contact"),
    body: { required: true, content: { "application/json": { schema: body } } },
  },
  responses: {
    200: {
      description: "The relationship, unsubscribed.",
      content: { "application/json": { schema: relationshipSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});

export type UnsubscribeContactRequest = z.input<typeof body>;
export type UnsubscribeContactResponse = z.infer<typeof relationshipSchema>;

export function registerUnsubscribeContact(app: ApiApp): void {
  app.openapi(unsubscribeContactRoute, async (c) => {
    const contactId = pathId(c.var.ids, "contact", c.req.valid("param").id);
    const { brand, reason } = c.req.valid("json");
    const result = await unsubscribeContact({
      ctx: { ...verbContext(c), knowledge: c.env.KNOWLEDGE },
      input: { contactId, brand, reason },
    });
    return c.json(presentRelationship(c.var.ids, result.relationship), 200);
  });
}

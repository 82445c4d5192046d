import { createRoute, z } from "@hono/zod-openapi";
import { findContactByEmail } from "../../domain/contacts/contacts.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { contactSchema, presentContact } from "../schemas/contact.ts";

const query = z.object({
  email: z
    .string()
    .max(1024)
    .openapi({
      param: { name: "email", in: "query" },
      description:
        "Any spelling of the address: it is normalised (case, Gmail dots and +tags) before the lookup.",
      example: "Jane.Doe+promo@gmail.com",
    }),
});

export const lookupContactRoute = createRoute({
  method: "get",
  path: "/api/v1/contacts",
  tags: ["Contacts"],
  summary: "Find a contact by email",
  description:
    "The contact, its email hashes, its relationship with each brand (with state) and its recent events.",
  security,
  request: { query },
  responses: {
    200: { description: "The contact.", content: { "application/json": { schema: contactSchema } } },
    ...problemResponses(401, 404, 422),
  },
});

export type LookupContactResponse = z.infer<typeof contactSchema>;

export function registerLookupContact(app: ApiApp): void {
  app.openapi(lookupContactRoute, async (c) => {
    const contact = await findContactByEmail({
      ctx: verbContext(c),
      input: { email: c.req.valid("query").email },
    });
    return c.json(presentContact(c.var.ids, contact), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { createRelayTarget } from "../../domain/relay/targets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security } from "../schemas/common.ts";
import { createRelayTargetBody, presentRelayTarget, relayTargetSchema } from "../schemas/relay-target.ts";

export const createRelayTargetRoute = createRoute({
  method: "post",
  path: "/api/v1/relay-targets",
  tags: ["Relays"],
  summary: "Create a relay target (lead buyer)",
  description:
    "A buyer endpoint of a brand: its accepted (and restored) leads are forwarded there with the field mapping (outgoing name → lead value), by `post` (JSON or form) or `get`, with extra headers and an optional signature (`signing_secret` is write-only).",
  security,
  request: { body: { required: true, content: { "application/json": { schema: createRelayTargetBody } } } },
  responses: {
    201: {
      description: "The new relay target.",
      content: { "application/json": { schema: relayTargetSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type CreateRelayTargetRequest = z.input<typeof createRelayTargetBody>;
export type CreateRelayTargetResponse = z.infer<typeof relayTargetSchema>;

export function registerCreateRelayTarget(app: ApiApp): void {
  app.openapi(createRelayTargetRoute, async (c) => {
    const body = c.req.valid("json");
    const target = await createRelayTarget({
      ctx: verbContext(c),
      input: {
        brand: body.brand,
        name: body.name,
        url: body.url,
        method: body.method,
        contentType: body.content_type,
        headers: body.headers,
        signingSecret: body.signing_secret,
        fieldMapping: body.field_mapping,
        events: body.events,
        delaySeconds: body.delay_seconds,
        active: body.active,
      },
    });
    const json = presentRelayTarget(c.var.ids, target);
    return c.json(json, 201, { location: `/api/v1/relay-targets/${json.id}` });
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { updateRelayTarget } from "../../domain/relay/targets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import {
  presentRelayTarget,
  relayTargetSchema,
  relayTargetSettings,
  updateRelayTargetBody,
} from "../schemas/relay-target.ts";

export const updateRelayTargetRoute = createRoute({
  method: "patch",
  path: "/api/v1/relay-targets/{id}",
  tags: ["Relays"],
  summary: "Change a relay target",
  description:
    "Changes the given fields (the brand stays). `signing_secret: null` removes the secret; `active: false` stops new relays.",
  security,
  request: {
    params: idParams("relay target"),
    body: { required: true, content: { "application/json": { schema: updateRelayTargetBody } } },
  },
  responses: {
    200: {
      description: "The relay target as changed.",
      content: { "application/json": { schema: relayTargetSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type UpdateRelayTargetRequest = z.input<typeof updateRelayTargetBody>;
export type UpdateRelayTargetResponse = z.infer<typeof relayTargetSchema>;

export function registerUpdateRelayTarget(app: ApiApp): void {
  app.openapi(updateRelayTargetRoute, async (c) => {
    const id = pathId(c.var.ids, "relayTarget", c.req.valid("param").id, "relay target");
    const target = await updateRelayTarget({
      ctx: verbContext(c),
      input: { id, ...relayTargetSettings(c.req.valid("json")) },
    });
    return c.json(presentRelayTarget(c.var.ids, target), 200);
  });
}

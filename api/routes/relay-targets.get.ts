import { createRoute, type z } from "@hono/zod-openapi";
import { getRelayTarget } from "../../domain/relay/targets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentRelayTarget, relayTargetSchema } from "../schemas/relay-target.ts";

export const getRelayTargetRoute = createRoute({
  method: "get",
  path: "/api/v1/relay-targets/{id}",
  tags: ["Relays"],
  summary: "Get a relay target",
  description:
    "One lead buyer: URL, method, body type, headers (secret-looking values masked), field mapping, events, delay and whether it is active; the signing secret shows only as `has_signing_secret`.",
  security,
  request: { params: idParams("relay target") },
  responses: {
    200: { description: "The relay target.", content: { "application/json": { schema: relayTargetSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetRelayTargetResponse = z.infer<typeof relayTargetSchema>;

export function registerGetRelayTarget(app: ApiApp): void {
  app.openapi(getRelayTargetRoute, async (c) => {
    const id = pathId(c.var.ids, "relayTarget", c.req.valid("param").id, "relay target");
    const target = await getRelayTarget({ ctx: verbContext(c), input: { id } });
    return c.json(presentRelayTarget(c.var.ids, target), 200);
  });
}

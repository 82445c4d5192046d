import { createRoute, type z } from "@hono/zod-openapi";
import { deleteRelayTarget } from "../../domain/relay/targets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentRelayTarget, relayTargetSchema } from "../schemas/relay-target.ts";

export const deleteRelayTargetRoute = createRoute({
  method: "delete",
  path: "/api/v1/relay-targets/{id}",
  tags: ["Relays"],
  summary: "Delete a relay target",
  description:
    "Deletes a relay target that never had a relay job. One with jobs keeps them as history: 409, deactivate it instead (`PATCH` with `active: false`).",
  security,
  request: { params: idParams("relay target") },
  responses: {
    200: {
      description: "The relay target as it was.",
      content: { "application/json": { schema: relayTargetSchema } },
    },
    ...problemResponses(401, 403, 404, 409),
  },
});

export type DeleteRelayTargetResponse = z.infer<typeof relayTargetSchema>;

export function registerDeleteRelayTarget(app: ApiApp): void {
  app.openapi(deleteRelayTargetRoute, async (c) => {
    const id = pathId(c.var.ids, "relayTarget", c.req.valid("param").id, "relay target");
    const target = await deleteRelayTarget({ ctx: verbContext(c), input: { id } });
    return c.json(presentRelayTarget(c.var.ids, target), 200);
  });
}

import { createRoute, type z } from "@hono/zod-openapi";
import { getRelayJob } from "../../domain/relay/jobs.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";
import { presentRelayJobDetail, relayJobDetailSchema } from "../schemas/relay-job.ts";

export const getRelayJobRoute = createRoute({
  method: "get",
  path: "/api/v1/relays/{id}",
  tags: ["Relays"],
  summary: "Get a relay job with its attempts",
  description:
    "The job and every delivery attempt: URL, method, request headers (secrets masked) and body, response status, body (capped), latency and error.",
  security,
  request: { params: idParams("relay job") },
  responses: {
    200: {
      description: "The relay job.",
      content: { "application/json": { schema: relayJobDetailSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type GetRelayJobResponse = z.infer<typeof relayJobDetailSchema>;

export function registerGetRelayJob(app: ApiApp): void {
  app.openapi(getRelayJobRoute, async (c) => {
    const id = pathId(c.var.ids, "relayJob", c.req.valid("param").id, "relay job");
    const detail = await getRelayJob({ ctx: verbContext(c), input: { id } });
    return c.json(presentRelayJobDetail(c.var.ids, detail), 200);
  });
}

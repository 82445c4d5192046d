import { createRoute, type z } from "@hono/zod-openapi";
import { listRelayTargets } from "../../domain/relay/targets.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { presentRelayTarget, relayTargetSchema } from "../schemas/relay-target.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's relay targets.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});
const relayTargetPage = pageOf(relayTargetSchema, "RelayTargetPage");

export const listRelayTargetsRoute = createRoute({
  method: "get",
  path: "/api/v1/relay-targets",
  tags: ["Relays"],
  summary: "List relay targets",
  description: "A key limited to some brands sees only their relay targets.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of relay targets, oldest first.",
      content: { "application/json": { schema: relayTargetPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListRelayTargetsResponse = z.infer<typeof relayTargetPage>;

export function registerListRelayTargets(app: ApiApp): void {
  app.openapi(listRelayTargetsRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listRelayTargets({
      ctx: verbContext(c),
      input: {
        ...pageInput(c.var.ids, "relayTarget", query),
        brandId: query.brand === undefined ? undefined : queryId(c.var.ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(c.var.ids, "relayTarget", page, (item) => presentRelayTarget(c.var.ids, item)),
      200,
    );
  });
}

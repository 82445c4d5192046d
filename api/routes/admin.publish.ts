import { createRoute, z } from "@hono/zod-openapi";
import { republishEdgeConfig } from "../../domain/edge-publish.ts";
import type { ApiApp } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { security, timestamp } from "../schemas/common.ts";

const published = z
  .object({
    landings: z.number().int().openapi({ description: "Landing documents written." }),
    rules: z.number().int().openapi({ description: "Active rules in the rules document." }),
    published_at: timestamp,
  })
  .openapi("Published");

export const publishRoute = createRoute({
  method: "post",
  path: "/api/v1/admin/publish",
  tags: ["Admin"],
  summary: "Republish the edge configuration (admin)",
  description:
    "Writes every landing's document and the rules document from Postgres to KV. Run after seeding or restoring a database, or when a publish failed.",
  security,
  responses: {
    200: { description: "What was published.", content: { "application/json": { schema: published } } },
    ...problemResponses(401, 403, 503),
  },
});

export type PublishResponse = z.infer<typeof published>;

export function registerPublish(app: ApiApp): void {
  app.openapi(publishRoute, async (c) => {
    const result = await republishEdgeConfig({
      ctx: { db: c.var.db, principal: c.var.apiKey, edgeConfig: c.env.EDGE_CONFIG },
    });
    return c.json({ landings: result.landings, rules: result.rules, published_at: result.publishedAt }, 200);
  });
}

import { createRoute, z } from "@hono/zod-openapi";
import { maxLandingsPerPublish, republishEdgeConfig } from "../../domain/edge-publish.ts";
import type { ApiApp } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pageInput, pageQuery, security, timestamp } from "../schemas/common.ts";

const published = z
  .object({
    landings: z.number().int().openapi({ description: "Landing documents written." }),
    rules: z.number().int().openapi({ description: "Active rules in the rules document." }),
    published_at: timestamp,
    next_cursor: z.string().nullable().openapi({
      description:
        "More landings remain: call again with this as `cursor`. Null once every landing is published.",
    }),
  })
  .openapi("Published");

const publishQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxLandingsPerPublish)
    .default(maxLandingsPerPublish)
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Landings to publish in this call (1–${maxLandingsPerPublish}).`,
    }),
  cursor: pageQuery.shape.cursor,
});

export const publishRoute = createRoute({
  method: "post",
  path: "/api/v1/admin/publish",
  tags: ["Admin"],
  summary: "Republish the edge configuration (admin)",
  description:
    "Writes landing documents (one page, in id order) and the rules document from Postgres to KV. Run after seeding or restoring a database, or when a publish failed; repeat with `next_cursor` until it is null.",
  security,
  request: { query: publishQuery },
  responses: {
    200: { description: "What was published.", content: { "application/json": { schema: published } } },
    ...problemResponses(401, 403, 422, 503),
  },
});

export type PublishResponse = z.infer<typeof published>;

export function registerPublish(app: ApiApp): void {
  app.openapi(publishRoute, async (c) => {
    const result = await republishEdgeConfig({
      ctx: { db: c.var.db, principal: c.var.apiKey, edgeConfig: c.env.EDGE_CONFIG },
      input: pageInput(c.var.ids, "landing", c.req.valid("query")),
    });
    return c.json(
      {
        landings: result.landings,
        rules: result.rules,
        published_at: result.publishedAt,
        next_cursor: result.nextAfter === null ? null : c.var.ids.encode("landing", result.nextAfter),
      },
      200,
    );
  });
}

import { createRoute, z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import {
  maxLandingsPerPublish,
  type PublishCursor,
  republishEdgeConfig,
} from "../../domain/routing/edge-publish.ts";
import type { ApiApp } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pageQuery, security, timestamp } from "../schemas/common.ts";

const published = z
  .object({
    landings: z.number().int().openapi({ description: "Landing documents written." }),
    partners: z
      .number()
      .int()
      .openapi({ description: "Partner documents written (what the edge verifies `/pb` conversions with)." }),
    rules: z.number().int().openapi({ description: "Active rules in the rules document." }),
    published_at: timestamp,
    next_cursor: z.string().nullable().openapi({
      description:
        "More documents remain: call again with this as `cursor`. Null once every landing and partner is published.",
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
      description: `Landing and partner documents to publish in this call (1–${maxLandingsPerPublish}).`,
    }),
  cursor: pageQuery.shape.cursor,
});

export const publishRoute = createRoute({
  method: "post",
  path: "/api/v1/admin/publish",
  tags: ["Admin"],
  summary: "Republish the edge configuration (admin)",
  description:
    "Writes landing documents, then partner documents (one page, in id order), and the rules document from Postgres to KV. Run after seeding or restoring a database, or when a publish failed; repeat with `next_cursor` until it is null.",
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
    const query = c.req.valid("query");
    const result = await republishEdgeConfig({
      ctx: { db: c.var.db, principal: c.var.apiKey, edgeConfig: c.env.EDGE_CONFIG },
      input: { limit: query.limit, after: publishCursor(c.var.ids, query.cursor) },
    });
    return c.json(
      {
        landings: result.landings,
        partners: result.partners,
        rules: result.rules,
        published_at: result.publishedAt,
        next_cursor: result.next === null ? null : c.var.ids.encode(result.next.kind, result.next.id),
      },
      200,
    );
  });
}

/** The walk's cursor is a landing's hash id while landings remain, then a partner's. */
function publishCursor(ids: HashIds, cursor: string | undefined): PublishCursor | null {
  if (cursor === undefined) return null;
  const landing = ids.decode("landing", cursor);
  if (landing !== null) return { kind: "landing", id: landing };
  const partner = ids.decode("partner", cursor);
  if (partner !== null) return { kind: "partner", id: partner };
  throw new ValidationFailed([
    { field: "cursor", category: "malformed", message: "Not a cursor of this list." },
  ]);
}

import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { ApiApp } from "../hono-env.ts";

const health = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["ok", "unreachable"]),
    database_latency_ms: z.number().nullable(),
  })
  .openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Health"],
  summary: "Liveness and database reachability",
  description: "No authentication. 503 when the database does not answer within 3 s.",
  responses: {
    200: { description: "Up, database reachable.", content: { "application/json": { schema: health } } },
    503: { description: "Up, database unreachable.", content: { "application/json": { schema: health } } },
  },
});

export type HealthResponse = z.infer<typeof health>;

const timeoutMs = 3000;

export function registerHealth(app: ApiApp): void {
  app.openapi(healthRoute, async (c) => {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reachable = await Promise.race([
      c.var.db.execute(sql`SELECT 1`).then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    c.header("cache-control", "no-store");
    if (!reachable)
      return c.json({ status: "degraded", database: "unreachable", database_latency_ms: null }, 503);
    const latency = Math.round((performance.now() - started) * 10) / 10;
    return c.json({ status: "ok", database: "ok", database_latency_ms: latency }, 200);
  });
}

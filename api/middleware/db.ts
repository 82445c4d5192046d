import { createMiddleware } from "hono/factory";
import { openDb } from "../../db/client.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import type { HonoEnv } from "../hono-env.ts";

/**
 * Opens the request's database (a pool that connects on first query) and closes it after the
 * response, once any deferred work (e.g. `last_used_at`) has settled. Mounted only on the
 * routes that use the database.
 */
export const database = createMiddleware<HonoEnv>(async (c, next) => {
  const handle = openDb(dbConfig(c.env));
  const pending: Promise<unknown>[] = [];
  c.set("db", handle.db);
  c.set("defer", (work) => {
    pending.push(work);
  });
  try {
    await next();
  } finally {
    const done = Promise.allSettled(pending).then(() => handle.close());
    let waitUntil: ((work: Promise<unknown>) => void) | undefined;
    try {
      const ctx = c.executionCtx;
      waitUntil = (work) => ctx.waitUntil(work);
    } catch {
      // No execution context (a direct `app.request()`): close before answering.
      waitUntil = undefined;
    }
    if (waitUntil) waitUntil(done);
    else await done;
  }
});

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "../db/client.ts";
import type { HashIds } from "../domain/core/hash-ids.ts";
import type { Principal } from "../domain/core/scope.ts";
import type { VerbContext } from "../domain/core/verb.ts";
import type { Env } from "../domain/platform/env.ts";

/** Per-request services the middleware puts on the context. */
export interface ApiVariables {
  /** Correlates a response (and its problem+json) with the logs. */
  requestId: string;
  ids: HashIds;
  /** The request's database; set by the db middleware, only on routes that need it. */
  db: Database;
  /** Work to finish after the response (e.g. `last_used_at`); the db closes once it settled. */
  defer: (work: Promise<unknown>) => void;
  /** The authenticated API key. */
  apiKey: Principal;
}

export type HonoEnv = { Bindings: Env; Variables: ApiVariables };
export type ApiApp = OpenAPIHono<HonoEnv>;

/** The context every verb gets, from a request's services. */
export function verbContext(c: {
  var: Pick<ApiVariables, "db" | "apiKey" | "ids">;
}): VerbContext & { db: Database } {
  return { db: c.var.db, principal: c.var.apiKey, ids: c.var.ids };
}

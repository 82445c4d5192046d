import { createMiddleware } from "hono/factory";
import { assertAdmin, assertUnscoped } from "../../domain/core/scope.ts";
import { authenticateApiKey, needsTouch, touchApiKey } from "../../domain/ops/api-keys.ts";
import type { HonoEnv } from "../hono-env.ts";
import { ApiProblem } from "../problem.ts";

const challenge = (error?: string) => ({
  "www-authenticate": error ? `Bearer realm="leadrail", error="${error}"` : 'Bearer realm="leadrail"',
});

/**
 * `Authorization: Bearer <key>`: the key's SHA-256 is looked up (one indexed query); unknown or
 * revoked keys get 401. `last_used_at` is written after the response, at most once a minute.
 */
export const auth = createMiddleware<HonoEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new ApiProblem(
      "unauthorized",
      "Send an API key as `Authorization: Bearer <key>`.",
      undefined,
      challenge(),
    );
  }
  const result = await authenticateApiKey(c.var.db, match[1]);
  if (!result.ok) {
    const detail = result.reason === "revoked" ? "This API key has been revoked." : "Unknown API key.";
    throw new ApiProblem("unauthorized", detail, undefined, challenge("invalid_token"));
  }
  c.set("apiKey", result.principal);
  if (needsTouch(result.lastUsedAt)) {
    c.var.defer(
      touchApiKey(c.var.db, result.principal.apiKeyId).catch((error: unknown) => {
        console.error(JSON.stringify({ event: "api_key.touch_failed", error: String(error).split("\n")[0] }));
      }),
    );
  }
  await next();
});

/** Admin-only routes (keys, replay, publish): checked before the body is even parsed. */
export const requireAdmin = createMiddleware<HonoEnv>(async (c, next) => {
  assertAdmin(c.var.apiKey);
  await next();
});

/** Routes that cross brands (e.g. failed events carry any brand's data) need a key for every brand. */
export const requireUnscoped = createMiddleware<HonoEnv>(async (c, next) => {
  assertUnscoped(c.var.apiKey);
  await next();
});

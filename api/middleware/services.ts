import { createMiddleware } from "hono/factory";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { edgeConfig } from "../../domain/platform/env.ts";
import type { HonoEnv } from "../hono-env.ts";

/** Request id (Cloudflare's ray id when there is one) and the hash-id codec of this deployment. */
export const services = createMiddleware<HonoEnv>(async (c, next) => {
  c.set("requestId", c.req.header("cf-ray") ?? uuidv7());
  c.set("ids", hashIds(edgeConfig(c.env).SQIDS_ALPHABET));
  await next();
  c.header("x-request-id", c.get("requestId"));
});

import { type IRequest, IttyRouter } from "itty-router";
import type { Env } from "../env.ts";
import { captureLanding } from "./capture.ts";

type EdgeArgs = [env: Env, ctx: ExecutionContext];

const methodNotAllowed = (): Response =>
  new Response("Method Not Allowed", {
    status: 405,
    headers: { allow: "GET, POST", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
  });

const notFound = (): Response =>
  new Response("Not Found", {
    status: 404,
    headers: { "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
  });

const landing = (request: IRequest, env: Env, ctx: ExecutionContext): Promise<Response> =>
  captureLanding(request, env, ctx, request.params.landing ?? "");

const router = IttyRouter<IRequest, EdgeArgs>()
  .get("/l/:landing", landing)
  .post("/l/:landing", landing)
  .all("/l/:landing", methodNotAllowed)
  .all("*", notFound);

/** Paths the edge answers without building the API app. */
export const isEdgePath = (pathname: string): boolean => pathname.startsWith("/l/");

/**
 * The edge's fetch handler: `GET|POST /l/:landing` captures and redirects (see {@link captureLanding}),
 * any other method there is 405, any other `/l/…` path 404.
 */
export async function handleEdgeRequest(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const response: unknown = await router.fetch(request, env, ctx);
  return response instanceof Response ? response : notFound();
}

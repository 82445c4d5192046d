import { type IRequest, IttyRouter } from "itty-router";
import type { Env } from "../../domain/platform/env.ts";
import { captureLanding } from "./capture.ts";
import { followMessageLink } from "./message-link.ts";
import { receiveConversion } from "./pb.ts";
import { collectBeacon, collectPreflight, serveTrackerScript } from "./tracker.ts";

type EdgeArgs = [request: Request, url: URL, env: Env, ctx: ExecutionContext];

const methodNotAllowed = (): Response =>
  new Response("Method Not Allowed", {
    status: 405,
    headers: { allow: "GET, POST", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
  });

const getOnly = (): Response =>
  new Response("Method Not Allowed", {
    status: 405,
    headers: { allow: "GET", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
  });

const notFound = (): Response =>
  new Response("Not Found", {
    status: 404,
    headers: { "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
  });

const landing = (route: IRequest, request: Request, url: URL, env: Env, ctx: ExecutionContext) =>
  captureLanding(request, url, env, ctx, route.params.landing ?? "");

const conversion = (_route: IRequest, request: Request, url: URL, env: Env) =>
  receiveConversion(request, url, env);

const messageLink = (route: IRequest, request: Request, _url: URL, env: Env, ctx: ExecutionContext) =>
  followMessageLink(request, env, ctx, route.params.token ?? "");

const trackerScriptRoute = (_route: IRequest, request: Request) => serveTrackerScript(request);
const collect = (_route: IRequest, request: Request, _url: URL, env: Env, ctx: ExecutionContext) =>
  collectBeacon(request, env, ctx);
const preflight = (_route: IRequest, request: Request) => collectPreflight(request);

const postOnly = (): Response =>
  new Response("Method Not Allowed", {
    status: 405,
    headers: {
      allow: "POST, OPTIONS",
      "cache-control": "no-store",
      "content-type": "text/plain; charset=utf-8",
    },
  });

const router = IttyRouter<IRequest, EdgeArgs>()
  .get("/l/:landing", landing)
  .post("/l/:landing", landing)
  .all("/l/:landing", methodNotAllowed)
  .get("/pb", conversion)
  .post("/pb", conversion)
  .all("/pb", methodNotAllowed)
  .get("/m/:token", messageLink)
  .all("/m/:token", getOnly)
  .get("/t.js", trackerScriptRoute)
  .head("/t.js", trackerScriptRoute)
  .all("/t.js", getOnly)
  .post("/collect", collect)
  .options("/collect", preflight)
  .all("/collect", postOnly)
  .all("*", notFound);

/** Paths the edge answers without building the API app. */
export const isEdgePath = (pathname: string): boolean =>
  pathname.startsWith("/l/") ||
  pathname.startsWith("/m/") ||
  pathname === "/pb" ||
  pathname === "/t.js" ||
  pathname === "/collect";

/**
 * The edge's fetch handler: `GET|POST /l/:landing` captures and redirects (see {@link captureLanding}),
 * `GET|POST /pb` takes a partner's signed conversion (see {@link receiveConversion}), `GET /m/:token`
 * follows a message's tracked link (see {@link followMessageLink}), `GET /t.js` serves the tracker script and
 * `POST /collect` takes its beacons (see {@link collectBeacon}); any other method there is 405, any
 * other `/l/…` or `/m/…` path 404.
 */
export async function handleEdgeRequest(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  /** The request's URL when the caller has parsed it already (the Worker's entry has, to route). */
  url: URL = new URL(request.url),
): Promise<Response> {
  // The router matches on method and path only; the URL is parsed once here and its query read by the
  // capture itself, so itty's own query parsing gets nothing to do on the hot path.
  const route = { method: request.method, url: `${url.origin}${url.pathname}` };
  const response: unknown = await router.fetch(route, request, url, env, ctx);
  return response instanceof Response ? response : notFound();
}

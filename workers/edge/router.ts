// PLACEHOLDER owned by the edge work: replaced with the itty-router edge.
import type { Env } from "../env.ts";

export const isEdgePath = (pathname: string): boolean => pathname.startsWith("/l/");

export async function handleEdgeRequest(
  _request: Request,
  _env: Env,
  _ctx: ExecutionContext,
): Promise<Response> {
  return new Response("not yet", { status: 501 });
}

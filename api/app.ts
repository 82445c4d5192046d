// PLACEHOLDER owned by the API work: replaced with the Hono app factory.
import { Hono } from "hono";
import type { Env } from "../workers/env.ts";

export function apiApp() {
  return new Hono<{ Bindings: Env }>();
}

import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** test/global-setup.ts starts the sink (test/relay-sink.ts, Node-side); its base URL. */
    relaySinkUrl: string;
  }
}

/**
 * The loopback HTTP server standing in for partners and lead buyers, seen from inside workerd.
 * Paths are `/sink/<key>/<behaviour>…` with behaviours `ok` (200), `fail` (500, 5000-byte body),
 * `slow` (200 after 3 s), `drop` (socket destroyed), `status/<n>`; use a fresh key per test.
 */
export const relaySink = inject("relaySinkUrl");

/** A request as the sink received it. */
export interface SeenRequest {
  method: string;
  /** Path and query as sent on the request line. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Every request the sink received under `key`, in arrival order. */
export const seenBySink = async (key: string): Promise<SeenRequest[]> =>
  (await fetch(`${relaySink}/__seen/${key}`)).json<SeenRequest[]>();

/**
 * The floor of the orders benchmark: everything an order request pays for that is not the ingestion
 * itself. It reads the same JSON body, opens a database connection the way the API does (a Pool for this
 * request, through the same driver and bridge), makes the same number of round trips with trivial
 * queries, closes it, and answers 201 with a body as large as the API's. The difference between this and
 * the real endpoint is the API's own work: validation, the two ingestion statements and the order read.
 */
import { openDb } from "../../db/client.ts";

interface FloorEnv {
  DATABASE_URL: string;
  DB_WS_PROXY: string;
  /** Round trips after connection start-up, as the real endpoint makes them. */
  ROUND_TRIPS: string;
}

export default {
  async fetch(
    request: Request,
    env: FloorEnv,
    ctx: { waitUntil(work: Promise<unknown>): void },
  ): Promise<Response> {
    const body = (await request.json()) as Record<string, unknown>;
    const handle = openDb(env, 1);
    try {
      for (let i = 0; i < Number(env.ROUND_TRIPS); i += 1)
        await handle.pool.query("SELECT $1::int AS n", [i]);
    } finally {
      ctx.waitUntil(handle.close());
    }
    const answer = JSON.stringify({ ...body, echoed: true, items: body.items, copy: body });
    return new Response(answer, { status: 201, headers: { "content-type": "application/json" } });
  },
};

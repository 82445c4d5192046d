import { openDb } from "../db/client.ts";
import { dbConfig, type Env } from "./env.ts";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const handle = openDb(dbConfig(env));
    try {
      const result = await handle.pool.query("select count(*)::int as n from brands");
      return Response.json({ path: new URL(request.url).pathname, brands: result.rows[0] });
    } finally {
      await handle.close();
    }
  },
} satisfies ExportedHandler<Env>;

import { sql } from "drizzle-orm";
import { withTransaction } from "../domain/core/transaction.ts";
import { recomputeRfm } from "../domain/rfm/recompute.ts";
import { openBatchDatabase } from "./lib/batch.ts";
const { handle, close } = await openBatchDatabase(process.env.DATABASE_URL ?? "", undefined);
const brands = (await handle.db.execute<{ id: string }>(sql`SELECT id FROM brands ORDER BY id`)).rows.map((b) => Number(b.id));
for (const wm of process.argv.slice(2)) {
  const t0 = performance.now();
  const r = await withTransaction(handle.db, async (tx) => {
    if (wm !== "default") await tx.execute(sql.raw(`SET LOCAL work_mem = '${wm}'`));
    return recomputeRfm(tx, brands, "2026-12-07");
  });
  console.log(wm, JSON.stringify(r), (performance.now() - t0).toFixed(0), "ms");
}
await close();

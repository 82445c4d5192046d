import { sql } from "drizzle-orm";
import { recomputeRfm } from "../rfm/recompute.ts";
import type { BatchJob } from "./job.ts";

/**
 * RFM scores as of the run date (SPEC §10, §11; domain/rfm/recompute.ts), one brand per chunk in brand id
 * order: a brand's scores are quintiles over all its accounts, so a brand is the smallest unit that can be
 * scored on its own, and one set-based statement scores it and replaces its rows. The chunk's cursor is
 * the last brand done, so a run that failed part-way is finished by a re-run, and no transaction holds
 * more than one brand's accounts. Idempotent for a date: a re-run over unchanged data writes nothing.
 * The chunk size only caps the rows a chunk may report (up to twice a brand's accounts when every score
 * moves: new values written and rows of accounts no longer scored deleted, plus its heatmap cells and
 * scatter bins).
 * It runs at 03:00, on its own trigger, after the other jobs of the night.
 */
export const rfmScoresJob: BatchJob = {
  name: "rfm-scores",
  summary:
    "Scores every account's recency, frequency and monetary value (quintiles per brand) as of the date.",
  cron: "0 3 * * *",
  chunkSize: 5_000_000,
  async chunk({ tx, date, after }) {
    // The next brand, and whether there is one after it (so the last chunk says it is done).
    const next = await tx.execute<{ id: number | string }>(
      sql`SELECT id FROM brands WHERE id > ${after ?? 0} ORDER BY id LIMIT 2`,
    );
    const [brand, more] = next.rows;
    if (!brand) return { rows: 0, done: true, next: null };
    const brandId = Number(brand.id);
    const result = await recomputeRfm(tx, [brandId], date);
    return { rows: result.changed, done: more === undefined, next: brandId };
  },
};

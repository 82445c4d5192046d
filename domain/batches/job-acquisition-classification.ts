import { classifyAccountsChunk } from "../acquisition/classify-accounts.ts";
import type { BatchJob } from "./job.ts";

/**
 * Every account's acquisition source, recomputed from the rules and influencers as they are now
 * (domain/acquisition/classify-accounts.ts), chunk after chunk in account id order; only changes are
 * written, each with a history row. This is how a rule change reaches customers: never silently at edit
 * time, always here, recorded. It does not depend on the date: a re-run for any date changes nothing more.
 * `brandIds` limits it to some brands (`null`, the nightly job: every brand).
 */
export function acquisitionClassification(brandIds: readonly number[] | null): BatchJob {
  return {
    name: "acquisition-classification",
    summary:
      "Reclassifies every account's acquisition source (organic or influencer) from the current rules.",
    cron: "0 2 * * *",
    chunkSize: 5000,
    async chunk({ tx, limit, after }) {
      const result = await classifyAccountsChunk(tx, brandIds, { limit, afterId: after });
      return { rows: result.changed, done: result.nextAfterId === null, next: result.nextAfterId };
    },
  };
}

export const acquisitionClassificationJob = acquisitionClassification(null);

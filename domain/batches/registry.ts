import type { BatchJob } from "./job.ts";
import { acquisitionClassificationJob } from "./job-acquisition-classification.ts";
import { cohortSnapshotsJob } from "./job-cohort-snapshots.ts";
import { dailyRevenueJob } from "./job-daily-revenue.ts";
import { experimentEvaluationJob } from "./job-experiment-evaluation.ts";
import { ltvByAcquisitionMonthJob } from "./job-ltv-by-acquisition-month.ts";
import { messageFunnelJob } from "./job-message-funnel.ts";
import { retentionCleanupJob } from "./job-retention-cleanup.ts";
import { rfmScoresJob } from "./job-rfm-scores.ts";
import { subscriptionExpiryJob } from "./job-subscription-expiry.ts";

/** A set of jobs by name. The Worker and `npm run batch` use {@link nightlyJobs}; tests build their own. */
export interface BatchRegistry {
  readonly jobs: readonly BatchJob[];
}

const jobName = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** A registry of `jobs`; refuses two jobs of one name or a name that is not kebab-case. */
export function batchRegistry(jobs: readonly BatchJob[]): BatchRegistry {
  const seen = new Set<string>();
  for (const job of jobs) {
    if (!jobName.test(job.name))
      throw new Error(`batch job name ${JSON.stringify(job.name)} is not kebab-case`);
    if (seen.has(job.name)) throw new Error(`two batch jobs are named ${job.name}`);
    seen.add(job.name);
  }
  return { jobs: [...jobs] };
}

/**
 * Every nightly job (SPEC §10). Adding one: its file (a {@link BatchJob} with its cron) and a line here;
 * a cron expression no job used before goes into wrangler.toml's `[triggers] crons` too (a test checks).
 */
export const nightlyJobs = batchRegistry([
  subscriptionExpiryJob,
  acquisitionClassificationJob,
  dailyRevenueJob,
  ltvByAcquisitionMonthJob,
  rfmScoresJob,
  cohortSnapshotsJob,
  retentionCleanupJob,
  // The experiment counts read the night's orders; the funnel first, so both see the same night.
  messageFunnelJob,
  experimentEvaluationJob,
]);

export const findJob = (registry: BatchRegistry, name: string): BatchJob | undefined =>
  registry.jobs.find((job) => job.name === name);

/** The jobs a Cron Trigger runs, in registry order. */
export const jobsForCron = (registry: BatchRegistry, cron: string): BatchJob[] =>
  registry.jobs.filter((job) => job.cron === cron);

/** Cron expression → the names of the jobs it runs, in registry order. */
export function cronTable(registry: BatchRegistry): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const job of registry.jobs) table[job.cron] = [...(table[job.cron] ?? []), job.name];
  return table;
}

import { openDb } from "../../db/client.ts";
import { campaignDispatchCron, handleCampaignDispatch } from "../campaigns/dispatch.ts";
import { dbConfig, type Env } from "../platform/env.ts";
import { batchSettings } from "./job.ts";
import { type BatchRegistry, jobsForCron, nightlyJobs } from "./registry.ts";
import { type BatchRunResult, runScheduledJobs } from "./runner.ts";

/**
 * The Worker's `scheduled` handler: runs the jobs of the trigger's cron and logs each result. Throws when
 * any job failed (after all of them ran), so the Cron Trigger's invocation shows as failed in Cloudflare.
 * The per-minute cron is the campaign dispatcher's (domain/campaigns/dispatch.ts), not a nightly job: it
 * has no run date to claim, so it runs beside the registry, not in it.
 */
export async function handleScheduled(
  controller: { cron: string; scheduledTime: number },
  env: Env,
  registry: BatchRegistry = nightlyJobs,
): Promise<BatchRunResult[]> {
  if (controller.cron === campaignDispatchCron) {
    await handleCampaignDispatch(controller, env);
    return [];
  }
  if (jobsForCron(registry, controller.cron).length === 0) {
    console.error(JSON.stringify({ event: "batch.unknown_cron", cron: controller.cron }));
    return [];
  }
  const config = dbConfig(env);
  const handle = openDb(config, 2);
  let results: BatchRunResult[];
  try {
    results = await runScheduledJobs(
      handle.db,
      registry,
      { cron: controller.cron, scheduledTime: new Date(controller.scheduledTime) },
      batchSettings(config),
    );
  } finally {
    await handle.close();
  }
  for (const result of results) console.log(JSON.stringify({ event: "batch.run", ...result }));
  const failed = results.filter((result) => result.outcome === "failed");
  if (failed.length > 0)
    throw new Error(
      `batch jobs failed: ${failed.map((result) => `${result.job} ${result.date}`).join(", ")}`,
    );
  return results;
}

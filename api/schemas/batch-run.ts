import { z } from "@hono/zod-openapi";
import { parseBatchDate } from "../../domain/batches/dates.ts";
import type { BatchRun } from "../../domain/batches/runs.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { hashId, iso, isoOrNull, timestamp } from "./common.ts";

export const batchRunOutcomes = ["running", "succeeded", "failed"] as const;

/** A run date, `YYYY-MM-DD` (UTC). */
export const batchDate = z
  .string()
  .refine((value) => parseBatchDate(value) !== null, {
    message: "Must be a calendar date, YYYY-MM-DD.",
    params: { category: "malformed" },
  })
  .openapi({ example: "2026-11-30" });

export const batchJobName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/, "A job name: lower-case letters, digits and hyphens.")
  .openapi({ example: "subscription-expiry" });

export const batchRunSchema = z
  .object({
    id: hashId("Run id."),
    job: batchJobName,
    date: batchDate.openapi({ description: "The UTC day the run worked on." }),
    trigger: z.enum(["cron", "manual"]).openapi({ description: "A Cron Trigger, or `npm run batch`." }),
    outcome: z.enum(batchRunOutcomes),
    rows: z.number().int().openapi({ description: "Rows the job changed, over all its chunks." }),
    chunks: z.number().int().openapi({ description: "Transactions committed." }),
    error: z.string().nullable().openapi({ description: "Why it failed; null otherwise." }),
    started_at: timestamp,
    heartbeat_at: timestamp.openapi({
      description: "The last chunk's start: a running run renews its claim there.",
    }),
    lease_expires_at: timestamp.openapi({
      description:
        "A running run not heard from by then may be taken over by the next run of the job and date.",
    }),
    finished_at: timestamp.nullable(),
  })
  .openapi("BatchRun");
export type BatchRunJson = z.infer<typeof batchRunSchema>;

export const presentBatchRun = (ids: HashIds, run: BatchRun): BatchRunJson => ({
  id: ids.encode("batchRun", run.id),
  job: run.job,
  date: run.runDate,
  trigger: run.trigger === "cron" ? "cron" : "manual",
  outcome: run.outcome,
  rows: run.rows,
  chunks: run.chunks,
  error: run.error,
  started_at: iso(run.startedAt),
  heartbeat_at: iso(run.heartbeatAt),
  lease_expires_at: iso(run.leaseExpiresAt),
  finished_at: isoOrNull(run.finishedAt),
});

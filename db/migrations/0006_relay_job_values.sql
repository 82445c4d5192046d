ALTER TABLE "relay_jobs" ALTER COLUMN "payload" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD COLUMN "job_values" jsonb;
CREATE TYPE "public"."batch_run_outcome" AS ENUM('running', 'succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "batch_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "batch_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job" text NOT NULL,
	"run_date" date NOT NULL,
	"trigger" text NOT NULL,
	"outcome" "batch_run_outcome" DEFAULT 'running' NOT NULL,
	"rows" bigint DEFAULT 0 NOT NULL,
	"chunks" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "batch_runs_finished" CHECK (("batch_runs"."outcome" = 'running') = ("batch_runs"."finished_at" IS NULL)),
	CONSTRAINT "batch_runs_rows" CHECK ("batch_runs"."rows" >= 0 AND "batch_runs"."chunks" >= 0)
);
--> statement-breakpoint
ALTER TABLE "capture_http_logs" ADD COLUMN "cleared_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "relay_attempts" ADD COLUMN "bodies_cleared_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "batch_runs_running_key" ON "batch_runs" USING btree ("job","run_date") WHERE "batch_runs"."outcome" = 'running';--> statement-breakpoint
CREATE INDEX "batch_runs_job_date_idx" ON "batch_runs" USING btree ("job","run_date");--> statement-breakpoint
CREATE INDEX "capture_http_logs_retention_idx" ON "capture_http_logs" USING btree ("created_at") WHERE "capture_http_logs"."cleared_at" IS NULL;--> statement-breakpoint
CREATE INDEX "relay_attempts_retention_idx" ON "relay_attempts" USING btree ("attempted_at") WHERE "relay_attempts"."bodies_cleared_at" IS NULL;
CREATE TYPE "public"."email_event_type" AS ENUM('processed', 'deferred', 'delivered', 'dropped', 'bounce', 'open', 'click', 'spam_report', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe');--> statement-breakpoint
CREATE TABLE "email_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "email_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"platform" text NOT NULL,
	"event_id" text NOT NULL,
	"type" "email_event_type" NOT NULL,
	"email_sha256" char(64) NOT NULL,
	"email_id" bigint,
	"contact_id" bigint,
	"brand_id" bigint,
	"message_id" text,
	"bounce_type" text,
	"url" text,
	"reason" text,
	"group_id" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_conversions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "inbound_conversions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"partner_id" bigint NOT NULL,
	"transaction_id" text NOT NULL,
	"click_id" text,
	"capture_id" uuid,
	"event" text NOT NULL,
	"amount" bigint,
	"currency" char(3),
	"raw" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operator_alerts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "operator_alerts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"partner_id" bigint,
	"message" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "relay_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "relay_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_id" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"url" text NOT NULL,
	"method" text NOT NULL,
	"request_headers" jsonb NOT NULL,
	"request_body" text,
	"response_status" integer,
	"response_body" text,
	"response_truncated" boolean DEFAULT false NOT NULL,
	"latency_ms" integer,
	"error" text,
	"succeeded" boolean NOT NULL,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "relay_jobs" DROP CONSTRAINT "relay_jobs_capture_dedup_key";--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "postback_content_type" text DEFAULT 'json' NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "postback_headers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "signing_secret" text;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "payout" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "payout_currency" char(3);--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "postback_delay_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "postback_consecutive_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "postback_failure_limit" integer DEFAULT 25 NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "postbacks_paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD COLUMN "order_id" bigint;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD COLUMN "refund_id" bigint;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD COLUMN "succeeded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "relay_targets" ADD COLUMN "content_type" text DEFAULT 'json' NOT NULL;--> statement-breakpoint
ALTER TABLE "relay_targets" ADD COLUMN "headers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "relay_targets" ADD COLUMN "signing_secret" text;--> statement-breakpoint
ALTER TABLE "relay_targets" ADD COLUMN "events" text[] DEFAULT ARRAY['lead_accepted']::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "relay_targets" ADD COLUMN "delay_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "email_events" ADD CONSTRAINT "email_events_email_id_emails_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."emails"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_events" ADD CONSTRAINT "email_events_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_events" ADD CONSTRAINT "email_events_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_conversions" ADD CONSTRAINT "inbound_conversions_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_conversions" ADD CONSTRAINT "inbound_conversions_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operator_alerts" ADD CONSTRAINT "operator_alerts_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relay_attempts" ADD CONSTRAINT "relay_attempts_job_id_relay_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."relay_jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_events_platform_event_key" ON "email_events" USING btree ("platform","event_id");--> statement-breakpoint
CREATE INDEX "email_events_email_idx" ON "email_events" USING btree ("email_sha256","occurred_at");--> statement-breakpoint
CREATE INDEX "email_events_contact_idx" ON "email_events" USING btree ("contact_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_conversions_partner_transaction_key" ON "inbound_conversions" USING btree ("partner_id","transaction_id");--> statement-breakpoint
CREATE INDEX "inbound_conversions_capture_idx" ON "inbound_conversions" USING btree ("capture_id");--> statement-breakpoint
CREATE INDEX "operator_alerts_open_idx" ON "operator_alerts" USING btree ("resolved_at","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "relay_attempts_job_attempt_key" ON "relay_attempts" USING btree ("job_id","attempt");--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD CONSTRAINT "relay_jobs_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD CONSTRAINT "relay_jobs_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "relay_jobs_partner_created_idx" ON "relay_jobs" USING btree ("partner_id","created_at");--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD CONSTRAINT "relay_jobs_capture_dedup_key" UNIQUE NULLS NOT DISTINCT("capture_id","order_id","refund_id","kind","event","partner_id","relay_target_id");
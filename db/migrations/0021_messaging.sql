CREATE TYPE "public"."experiment_analysis" AS ENUM('fixed', 'sequential');--> statement-breakpoint
CREATE TYPE "public"."experiment_arm_role" AS ENUM('control', 'variant', 'holdout');--> statement-breakpoint
CREATE TYPE "public"."message_campaign_status" AS ENUM('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."message_campaign_target" AS ENUM('cohort', 'snapshot');--> statement-breakpoint
CREATE TYPE "public"."message_channel" AS ENUM('sms', 'lms', 'alimtalk', 'brand_message');--> statement-breakpoint
CREATE TYPE "public"."message_class" AS ENUM('advertising', 'informational');--> statement-breakpoint
CREATE TYPE "public"."message_send_status" AS ENUM('queued', 'held', 'refused', 'reconfirm', 'accepted', 'rejected', 'pending', 'delivered', 'failed');--> statement-breakpoint
CREATE TYPE "public"."message_template_status" AS ENUM('in_review', 'approved', 'rejected', 'suspended');--> statement-breakpoint
CREATE TABLE "brand_messaging_settings" (
	"brand_id" bigint PRIMARY KEY NOT NULL,
	"sender_name" text NOT NULL,
	"sender_contact" text NOT NULL,
	"opt_out_number" text NOT NULL,
	"sender_number" text NOT NULL,
	"kakao_sender_key" text,
	"frequency_caps" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"reconfirm_text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "experiment_daily_counts" (
	"experiment_id" bigint NOT NULL,
	"as_of" date NOT NULL,
	"arm" smallint NOT NULL,
	"n" integer NOT NULL,
	"conversions" integer NOT NULL,
	CONSTRAINT "experiment_daily_counts_experiment_id_as_of_arm_pk" PRIMARY KEY("experiment_id","as_of","arm"),
	CONSTRAINT "experiment_daily_counts_values" CHECK ("experiment_daily_counts"."n" >= 0 AND "experiment_daily_counts"."conversions" >= 0 AND "experiment_daily_counts"."conversions" <= "experiment_daily_counts"."n")
);
--> statement-breakpoint
CREATE TABLE "experiment_evaluations" (
	"experiment_id" bigint NOT NULL,
	"as_of" date NOT NULL,
	"verdict" text NOT NULL,
	"result" jsonb NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "experiment_evaluations_experiment_id_as_of_pk" PRIMARY KEY("experiment_id","as_of")
);
--> statement-breakpoint
CREATE TABLE "experiments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "experiments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"message_campaign_id" bigint NOT NULL,
	"key" text NOT NULL,
	"alpha" double precision DEFAULT 0.05 NOT NULL,
	"power" double precision DEFAULT 0.8 NOT NULL,
	"baseline_rate" double precision NOT NULL,
	"target_rate" double precision NOT NULL,
	"analysis" "experiment_analysis" DEFAULT 'fixed' NOT NULL,
	"mixing_variance" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "experiments_alpha" CHECK ("experiments"."alpha" > 0 AND "experiments"."alpha" < 1),
	CONSTRAINT "experiments_power" CHECK ("experiments"."power" > 0 AND "experiments"."power" < 1),
	CONSTRAINT "experiments_rates" CHECK ("experiments"."baseline_rate" > 0 AND "experiments"."baseline_rate" < 1 AND "experiments"."target_rate" > 0 AND "experiments"."target_rate" < 1 AND "experiments"."baseline_rate" <> "experiments"."target_rate")
);
--> statement-breakpoint
CREATE TABLE "message_campaign_arms" (
	"message_campaign_id" bigint NOT NULL,
	"position" smallint NOT NULL,
	"name" text NOT NULL,
	"role" "experiment_arm_role" NOT NULL,
	"weight" integer NOT NULL,
	"bucket_from" integer NOT NULL,
	"bucket_to" integer NOT NULL,
	"channel" "message_channel",
	"class" "message_class",
	"text" text,
	"subject" text,
	"template_id" bigint,
	"variables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"link_url" text,
	CONSTRAINT "message_campaign_arms_message_campaign_id_position_pk" PRIMARY KEY("message_campaign_id","position"),
	CONSTRAINT "message_campaign_arms_weight" CHECK ("message_campaign_arms"."weight" > 0 AND "message_campaign_arms"."weight" <= 10000),
	CONSTRAINT "message_campaign_arms_buckets" CHECK ("message_campaign_arms"."bucket_from" >= 0 AND "message_campaign_arms"."bucket_from" <= "message_campaign_arms"."bucket_to" AND "message_campaign_arms"."bucket_to" <= 10000),
	CONSTRAINT "message_campaign_arms_message" CHECK (("message_campaign_arms"."role" = 'holdout') = ("message_campaign_arms"."channel" IS NULL) AND ("message_campaign_arms"."channel" IS NULL) = ("message_campaign_arms"."class" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "message_campaign_members" (
	"message_campaign_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"contact_id" bigint NOT NULL,
	"bucket" smallint NOT NULL,
	"arm" smallint NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL,
	CONSTRAINT "message_campaign_members_message_campaign_id_account_id_pk" PRIMARY KEY("message_campaign_id","account_id"),
	CONSTRAINT "message_campaign_members_bucket" CHECK ("message_campaign_members"."bucket" >= 0 AND "message_campaign_members"."bucket" < 10000)
);
--> statement-breakpoint
CREATE TABLE "message_campaigns" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_campaigns_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"campaign_id" bigint NOT NULL,
	"name" text NOT NULL,
	"status" "message_campaign_status" DEFAULT 'draft' NOT NULL,
	"target" "message_campaign_target" NOT NULL,
	"cohort_id" bigint,
	"snapshot_id" bigint,
	"scheduled_at" timestamp with time zone,
	"goal_window_days" integer DEFAULT 7 NOT NULL,
	"launched_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"member_count" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "message_campaigns_target" CHECK (("message_campaigns"."target" = 'cohort' AND "message_campaigns"."cohort_id" IS NOT NULL AND "message_campaigns"."snapshot_id" IS NULL) OR ("message_campaigns"."target" = 'snapshot' AND "message_campaigns"."snapshot_id" IS NOT NULL AND "message_campaigns"."cohort_id" IS NULL)),
	CONSTRAINT "message_campaigns_goal_window" CHECK ("message_campaigns"."goal_window_days" BETWEEN 1 AND 90)
);
--> statement-breakpoint
CREATE TABLE "message_clicks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"send_id" bigint NOT NULL,
	"message_campaign_id" bigint NOT NULL,
	"arm" smallint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"bot" boolean NOT NULL,
	"user_agent" text,
	"country" text
);
--> statement-breakpoint
CREATE TABLE "message_funnel_daily" (
	"message_campaign_id" bigint NOT NULL,
	"arm" smallint NOT NULL,
	"as_of" date NOT NULL,
	"targeted" integer NOT NULL,
	"sent" integer NOT NULL,
	"delivered" integer NOT NULL,
	"opened" integer NOT NULL,
	"clicked" integer NOT NULL,
	"visited" integer NOT NULL,
	"carted" integer NOT NULL,
	"purchased" integer NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "message_funnel_daily_message_campaign_id_arm_as_of_pk" PRIMARY KEY("message_campaign_id","arm","as_of")
);
--> statement-breakpoint
CREATE TABLE "message_opt_outs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_opt_outs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"phone" text NOT NULL,
	"contact_id" bigint,
	"via" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"source_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "message_opt_outs_via" CHECK ("message_opt_outs"."via" IN ('080', 'reply'))
);
--> statement-breakpoint
CREATE TABLE "message_send_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_send_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"send_id" bigint NOT NULL,
	"status" "message_send_status" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"rule" text,
	"provider_code" text,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "message_sends" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_sends_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"message_campaign_id" bigint NOT NULL,
	"arm" smallint NOT NULL,
	"brand_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"contact_id" bigint NOT NULL,
	"channel" "message_channel" NOT NULL,
	"class" "message_class" NOT NULL,
	"status" "message_send_status" DEFAULT 'queued' NOT NULL,
	"rule" text,
	"detail" text,
	"held_until" timestamp with time zone,
	"to_number" text,
	"text" text,
	"provider" text,
	"provider_message_id" text,
	"provider_code" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"queued_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"final_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "message_templates" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "message_templates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"channel" "message_channel" NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"class" "message_class" NOT NULL,
	"status" "message_template_status" NOT NULL,
	"text" text NOT NULL,
	"variables" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "message_templates_channel" CHECK ("message_templates"."channel" IN ('alimtalk', 'brand_message'))
);
--> statement-breakpoint
ALTER TABLE "consents" ADD COLUMN "reconfirmed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "brand_messaging_settings" ADD CONSTRAINT "brand_messaging_settings_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experiment_daily_counts" ADD CONSTRAINT "experiment_daily_counts_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experiment_evaluations" ADD CONSTRAINT "experiment_evaluations_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_message_campaign_id_message_campaigns_id_fk" FOREIGN KEY ("message_campaign_id") REFERENCES "public"."message_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaign_arms" ADD CONSTRAINT "message_campaign_arms_message_campaign_id_message_campaigns_id_fk" FOREIGN KEY ("message_campaign_id") REFERENCES "public"."message_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaign_arms" ADD CONSTRAINT "message_campaign_arms_template_id_message_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."message_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaign_members" ADD CONSTRAINT "message_campaign_members_message_campaign_id_message_campaigns_id_fk" FOREIGN KEY ("message_campaign_id") REFERENCES "public"."message_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaign_members" ADD CONSTRAINT "message_campaign_members_account_id_brand_client_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."brand_client_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaign_members" ADD CONSTRAINT "message_campaign_members_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaigns" ADD CONSTRAINT "message_campaigns_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaigns" ADD CONSTRAINT "message_campaigns_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaigns" ADD CONSTRAINT "message_campaigns_cohort_id_cohorts_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohorts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_campaigns" ADD CONSTRAINT "message_campaigns_snapshot_id_cohort_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."cohort_snapshots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_clicks" ADD CONSTRAINT "message_clicks_send_id_message_sends_id_fk" FOREIGN KEY ("send_id") REFERENCES "public"."message_sends"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_clicks" ADD CONSTRAINT "message_clicks_message_campaign_id_message_campaigns_id_fk" FOREIGN KEY ("message_campaign_id") REFERENCES "public"."message_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_funnel_daily" ADD CONSTRAINT "message_funnel_daily_message_campaign_id_message_campaigns_id_fk" FOREIGN KEY ("message_campaign_id") REFERENCES "public"."message_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_opt_outs" ADD CONSTRAINT "message_opt_outs_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_opt_outs" ADD CONSTRAINT "message_opt_outs_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_send_history" ADD CONSTRAINT "message_send_history_send_id_message_sends_id_fk" FOREIGN KEY ("send_id") REFERENCES "public"."message_sends"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_sends" ADD CONSTRAINT "message_sends_message_campaign_id_message_campaigns_id_fk" FOREIGN KEY ("message_campaign_id") REFERENCES "public"."message_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_sends" ADD CONSTRAINT "message_sends_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_sends" ADD CONSTRAINT "message_sends_account_id_brand_client_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."brand_client_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_sends" ADD CONSTRAINT "message_sends_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_templates" ADD CONSTRAINT "message_templates_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "experiments_campaign_key" ON "experiments" USING btree ("message_campaign_id");--> statement-breakpoint
CREATE UNIQUE INDEX "experiments_brand_key_key" ON "experiments" USING btree ("brand_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "message_campaign_arms_name_key" ON "message_campaign_arms" USING btree ("message_campaign_id","name");--> statement-breakpoint
CREATE INDEX "message_campaign_members_arm_idx" ON "message_campaign_members" USING btree ("message_campaign_id","arm");--> statement-breakpoint
CREATE UNIQUE INDEX "message_campaigns_campaign_key" ON "message_campaigns" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "message_campaigns_brand_idx" ON "message_campaigns" USING btree ("brand_id","id");--> statement-breakpoint
CREATE INDEX "message_campaigns_due_idx" ON "message_campaigns" USING btree ("scheduled_at") WHERE "message_campaigns"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "message_clicks_campaign_send_idx" ON "message_clicks" USING btree ("message_campaign_id","send_id");--> statement-breakpoint
CREATE UNIQUE INDEX "message_opt_outs_brand_source_key" ON "message_opt_outs" USING btree ("brand_id","source_id");--> statement-breakpoint
CREATE INDEX "message_opt_outs_brand_phone_idx" ON "message_opt_outs" USING btree ("brand_id","phone","at");--> statement-breakpoint
CREATE INDEX "message_opt_outs_brand_contact_idx" ON "message_opt_outs" USING btree ("brand_id","contact_id");--> statement-breakpoint
CREATE INDEX "message_send_history_send_idx" ON "message_send_history" USING btree ("send_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "message_sends_campaign_account_key" ON "message_sends" USING btree ("message_campaign_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "message_sends_provider_message_key" ON "message_sends" USING btree ("provider","provider_message_id") WHERE "message_sends"."provider_message_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "message_sends_contact_sent_idx" ON "message_sends" USING btree ("brand_id","contact_id","sent_at");--> statement-breakpoint
CREATE INDEX "message_sends_held_idx" ON "message_sends" USING btree ("held_until") WHERE "message_sends"."status" = 'held';--> statement-breakpoint
CREATE UNIQUE INDEX "message_templates_brand_code_key" ON "message_templates" USING btree ("brand_id","code");
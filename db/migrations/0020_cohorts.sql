CREATE TYPE "public"."cohort_refresh" AS ENUM('none', 'daily');--> statement-breakpoint
CREATE TYPE "public"."cohort_snapshot_source" AS ENUM('manual', 'nightly');--> statement-breakpoint
CREATE TABLE "cohort_snapshot_members" (
	"snapshot_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	CONSTRAINT "cohort_snapshot_members_snapshot_id_account_id_pk" PRIMARY KEY("snapshot_id","account_id")
);
--> statement-breakpoint
CREATE TABLE "cohort_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cohort_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"cohort_id" bigint NOT NULL,
	"source" "cohort_snapshot_source" NOT NULL,
	"as_of" date,
	"taken_at" timestamp with time zone NOT NULL,
	"member_count" integer NOT NULL,
	CONSTRAINT "cohort_snapshots_as_of" CHECK (("cohort_snapshots"."source" = 'nightly') = ("cohort_snapshots"."as_of" IS NOT NULL)),
	CONSTRAINT "cohort_snapshots_member_count" CHECK ("cohort_snapshots"."member_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cohorts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cohorts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"resolved_definition" jsonb NOT NULL,
	"refresh" "cohort_refresh" DEFAULT 'none' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "cohort_snapshot_members" ADD CONSTRAINT "cohort_snapshot_members_snapshot_id_cohort_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."cohort_snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort_snapshot_members" ADD CONSTRAINT "cohort_snapshot_members_account_id_brand_client_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."brand_client_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort_snapshots" ADD CONSTRAINT "cohort_snapshots_cohort_id_cohorts_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohorts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohorts" ADD CONSTRAINT "cohorts_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cohort_snapshots_cohort_as_of_key" ON "cohort_snapshots" USING btree ("cohort_id","as_of");--> statement-breakpoint
CREATE INDEX "cohort_snapshots_cohort_idx" ON "cohort_snapshots" USING btree ("cohort_id","id");--> statement-breakpoint
CREATE INDEX "cohorts_brand_idx" ON "cohorts" USING btree ("brand_id","id");--> statement-breakpoint
CREATE INDEX "cohorts_daily_idx" ON "cohorts" USING btree ("id") WHERE "cohorts"."refresh" = 'daily' AND "cohorts"."deleted_at" IS NULL;
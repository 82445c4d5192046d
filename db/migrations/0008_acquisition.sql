CREATE TYPE "public"."acquisition_change_reason" AS ENUM('initial', 'reclassified');--> statement-breakpoint
CREATE TYPE "public"."acquisition_rule_type" AS ENUM('influencer_coupon', 'referral_code', 'utm', 'referrer_domain');--> statement-breakpoint
CREATE TYPE "public"."acquisition_source" AS ENUM('organic', 'influencer');--> statement-breakpoint
CREATE TYPE "public"."influencer_code_kind" AS ENUM('coupon', 'referral');--> statement-breakpoint
CREATE TYPE "public"."utm_match_kind" AS ENUM('equals', 'prefix', 'contains', 'regex');--> statement-breakpoint
CREATE TABLE "account_acquisition" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"brand_id" bigint NOT NULL,
	"source" "acquisition_source" NOT NULL,
	"influencer_id" bigint,
	"rule_id" bigint,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"classified_at" timestamp with time zone NOT NULL,
	CONSTRAINT "account_acquisition_influencer" CHECK (("account_acquisition"."source" = 'influencer') = ("account_acquisition"."influencer_id" IS NOT NULL AND "account_acquisition"."rule_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "account_acquisition_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "account_acquisition_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"brand_id" bigint NOT NULL,
	"reason" "acquisition_change_reason" NOT NULL,
	"old_source" "acquisition_source",
	"old_influencer_id" bigint,
	"old_rule_id" bigint,
	"old_evidence" jsonb,
	"new_source" "acquisition_source" NOT NULL,
	"new_influencer_id" bigint,
	"new_rule_id" bigint,
	"new_evidence" jsonb NOT NULL,
	"changed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "acquisition_rules" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "acquisition_rules_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"type" "acquisition_rule_type" NOT NULL,
	"priority" integer NOT NULL,
	"influencer_id" bigint,
	"param_names" text[],
	"field" text,
	"match" "utm_match_kind",
	"value" text,
	"domain" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "acquisition_rules_shape" CHECK (CASE "acquisition_rules"."type"
        WHEN 'influencer_coupon' THEN num_nonnulls("acquisition_rules"."influencer_id", "acquisition_rules"."param_names", "acquisition_rules"."field", "acquisition_rules"."match", "acquisition_rules"."value", "acquisition_rules"."domain") = 0
        WHEN 'referral_code' THEN "acquisition_rules"."param_names" IS NOT NULL
          AND num_nonnulls("acquisition_rules"."influencer_id", "acquisition_rules"."field", "acquisition_rules"."match", "acquisition_rules"."value", "acquisition_rules"."domain") = 0
        WHEN 'utm' THEN num_nonnulls("acquisition_rules"."influencer_id", "acquisition_rules"."field", "acquisition_rules"."match", "acquisition_rules"."value") = 4
          AND num_nonnulls("acquisition_rules"."param_names", "acquisition_rules"."domain") = 0
        WHEN 'referrer_domain' THEN num_nonnulls("acquisition_rules"."influencer_id", "acquisition_rules"."domain") = 2
          AND num_nonnulls("acquisition_rules"."param_names", "acquisition_rules"."field", "acquisition_rules"."match", "acquisition_rules"."value") = 0
      END)
);
--> statement-breakpoint
CREATE TABLE "influencer_codes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "influencer_codes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"influencer_id" bigint NOT NULL,
	"kind" "influencer_code_kind" NOT NULL,
	"code" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "influencers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "influencers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"name" text NOT NULL,
	"handle" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_acquisition" ADD CONSTRAINT "account_acquisition_account_id_brand_client_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."brand_client_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition" ADD CONSTRAINT "account_acquisition_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition" ADD CONSTRAINT "account_acquisition_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition" ADD CONSTRAINT "account_acquisition_rule_id_acquisition_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."acquisition_rules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition_history" ADD CONSTRAINT "account_acquisition_history_account_id_brand_client_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."brand_client_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition_history" ADD CONSTRAINT "account_acquisition_history_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition_history" ADD CONSTRAINT "account_acquisition_history_old_influencer_id_influencers_id_fk" FOREIGN KEY ("old_influencer_id") REFERENCES "public"."influencers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition_history" ADD CONSTRAINT "account_acquisition_history_old_rule_id_acquisition_rules_id_fk" FOREIGN KEY ("old_rule_id") REFERENCES "public"."acquisition_rules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition_history" ADD CONSTRAINT "account_acquisition_history_new_influencer_id_influencers_id_fk" FOREIGN KEY ("new_influencer_id") REFERENCES "public"."influencers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_acquisition_history" ADD CONSTRAINT "account_acquisition_history_new_rule_id_acquisition_rules_id_fk" FOREIGN KEY ("new_rule_id") REFERENCES "public"."acquisition_rules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acquisition_rules" ADD CONSTRAINT "acquisition_rules_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acquisition_rules" ADD CONSTRAINT "acquisition_rules_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "influencer_codes" ADD CONSTRAINT "influencer_codes_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "influencer_codes" ADD CONSTRAINT "influencer_codes_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "influencers" ADD CONSTRAINT "influencers_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_acquisition_brand_source_idx" ON "account_acquisition" USING btree ("brand_id","source","account_id");--> statement-breakpoint
CREATE INDEX "account_acquisition_influencer_idx" ON "account_acquisition" USING btree ("influencer_id","account_id");--> statement-breakpoint
CREATE INDEX "account_acquisition_history_account_idx" ON "account_acquisition_history" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "acquisition_rules_brand_idx" ON "acquisition_rules" USING btree ("brand_id","priority","id");--> statement-breakpoint
CREATE UNIQUE INDEX "influencer_codes_brand_kind_code_key" ON "influencer_codes" USING btree ("brand_id","kind",lower("code"));--> statement-breakpoint
CREATE INDEX "influencer_codes_influencer_idx" ON "influencer_codes" USING btree ("influencer_id");--> statement-breakpoint
CREATE INDEX "influencers_brand_idx" ON "influencers" USING btree ("brand_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "influencers_brand_handle_key" ON "influencers" USING btree ("brand_id",lower("handle"));
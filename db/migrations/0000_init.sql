CREATE TYPE "public"."capture_outcome" AS ENUM('new', 'duplicate', 'restored', 'invalid', 'bot');--> statement-breakpoint
CREATE TYPE "public"."field_error_category" AS ENUM('missing', 'malformed', 'too_short', 'too_long', 'out_of_range', 'not_allowed', 'disposable', 'suspicious');--> statement-breakpoint
CREATE TYPE "public"."knowledge_level" AS ENUM('unknown', 'known', 'known_active', 'known_active_same_brand');--> statement-breakpoint
CREATE TYPE "public"."postback_method" AS ENUM('redirect', 'get', 'post');--> statement-breakpoint
CREATE TYPE "public"."rule_knowledge" AS ENUM('any', 'unknown', 'known', 'known_active', 'known_active_same_brand');--> statement-breakpoint
CREATE TYPE "public"."contact_event_type" AS ENUM('created', 'captured', 'duplicate', 'unsubscribed', 'restored');--> statement-breakpoint
CREATE TYPE "public"."relationship_state" AS ENUM('active', 'unsubscribed', 'restored');--> statement-breakpoint
CREATE TYPE "public"."relay_event" AS ENUM('lead_accepted', 'lead_restored', 'sale', 'refund');--> statement-breakpoint
CREATE TYPE "public"."relay_kind" AS ENUM('postback', 'lead_relay');--> statement-breakpoint
CREATE TYPE "public"."relay_status" AS ENUM('pending', 'sending', 'succeeded', 'failed', 'paused');--> statement-breakpoint
CREATE TABLE "capture_field_errors" (
	"capture_id" uuid NOT NULL,
	"field" text NOT NULL,
	"category" "field_error_category" NOT NULL,
	"message" text NOT NULL,
	CONSTRAINT "capture_field_errors_capture_id_field_category_pk" PRIMARY KEY("capture_id","field","category")
);
--> statement-breakpoint
CREATE TABLE "capture_geo" (
	"capture_id" uuid PRIMARY KEY NOT NULL,
	"country" text,
	"region" text,
	"region_code" text,
	"city" text,
	"postal_code" text,
	"continent" text,
	"latitude" double precision,
	"longitude" double precision,
	"timezone" text,
	"asn" integer,
	"as_organization" text,
	"colo" text,
	"bot_score" smallint,
	"verified_bot" boolean
);
--> statement-breakpoint
CREATE TABLE "capture_http_logs" (
	"capture_id" uuid PRIMARY KEY NOT NULL,
	"method" text NOT NULL,
	"url" text NOT NULL,
	"request_headers" jsonb NOT NULL,
	"request_body" text,
	"request_body_bytes" integer DEFAULT 0 NOT NULL,
	"request_body_truncated" boolean DEFAULT false NOT NULL,
	"user_agent" text,
	"ip" text,
	"response_status" smallint NOT NULL,
	"response_location" text NOT NULL,
	"response_headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"edge_duration_ms" double precision NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "capture_knowledge" (
	"capture_id" uuid PRIMARY KEY NOT NULL,
	"edge_level" "knowledge_level" NOT NULL,
	"edge_source" text NOT NULL,
	"edge_known" boolean NOT NULL,
	"edge_known_active" boolean NOT NULL,
	"edge_known_active_same_brand" boolean NOT NULL,
	"after_level" "knowledge_level" NOT NULL,
	"after_known" boolean NOT NULL,
	"after_known_active" boolean NOT NULL,
	"after_known_active_same_brand" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "capture_marketing" (
	"capture_id" uuid PRIMARY KEY NOT NULL,
	"utm_source" text,
	"utm_medium" text,
	"utm_campaign" text,
	"utm_term" text,
	"utm_content" text,
	"gclid" text,
	"fbclid" text,
	"ttclid" text,
	"msclkid" text,
	"click_id" text,
	"transaction_id" text,
	"sub1" text,
	"sub2" text,
	"sub3" text,
	"sub4" text,
	"sub5" text,
	"referrer" text,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "captures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"landing_ref" text NOT NULL,
	"landing_id" bigint,
	"brand_id" bigint,
	"theme_id" bigint,
	"partner_id" bigint,
	"product_id" bigint,
	"email_id" bigint,
	"contact_id" bigint,
	"outcome" "capture_outcome" NOT NULL,
	"is_bot" boolean DEFAULT false NOT NULL,
	"bot_reason" text,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"rule_id" bigint,
	"fallback_reason" text
);
--> statement-breakpoint
CREATE TABLE "brands" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "brands_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"domain" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "landings" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "landings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"brand_id" bigint NOT NULL,
	"theme_id" bigint NOT NULL,
	"partner_id" bigint NOT NULL,
	"product_id" bigint NOT NULL,
	"fallback_url" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "partners_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"click_id_param" text DEFAULT 'click_id' NOT NULL,
	"transaction_id_param" text DEFAULT 'transaction_id' NOT NULL,
	"postback_url" text,
	"postback_method" "postback_method" DEFAULT 'get' NOT NULL,
	"postback_events" text[] DEFAULT ARRAY['lead_accepted']::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "products_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"name" text NOT NULL,
	"sku" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "redirect_rules" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "redirect_rules_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint,
	"theme_id" bigint,
	"partner_id" bigint,
	"product_id" bigint,
	"knowledge" "rule_knowledge" DEFAULT 'any' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"target_url" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "redirect_rules_target_url_http" CHECK ("redirect_rules"."target_url" ~ '^https?://')
);
--> statement-breakpoint
CREATE TABLE "themes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "themes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contact_brands" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "contact_brands_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"contact_id" bigint NOT NULL,
	"brand_id" bigint NOT NULL,
	"state" "relationship_state" DEFAULT 'active' NOT NULL,
	"first_capture_id" uuid,
	"last_capture_id" uuid,
	"capture_count" integer DEFAULT 1 NOT NULL,
	"duplicate_count" integer DEFAULT 0 NOT NULL,
	"unsubscribed_at" timestamp with time zone,
	"unsubscribe_source" text,
	"restored_at" timestamp with time zone,
	"restore_count" integer DEFAULT 0 NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contact_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "contact_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"contact_id" bigint NOT NULL,
	"brand_id" bigint,
	"type" "contact_event_type" NOT NULL,
	"capture_id" uuid,
	"source" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "contacts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"email_id" bigint NOT NULL,
	"first_capture_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "emails" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "emails_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"address" text NOT NULL,
	"domain" text NOT NULL,
	"sha256" char(64) NOT NULL,
	"md5" char(32) NOT NULL,
	"hard_bounced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "api_keys_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" char(64) NOT NULL,
	"brand_ids" bigint[],
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "failed_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "failed_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"queue" text NOT NULL,
	"message_id" text NOT NULL,
	"body" jsonb NOT NULL,
	"attempts" integer NOT NULL,
	"error" text,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replay_count" integer DEFAULT 0 NOT NULL,
	"replayed_at" timestamp with time zone,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "relay_jobs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "relay_jobs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" "relay_kind" NOT NULL,
	"event" "relay_event" NOT NULL,
	"capture_id" uuid,
	"partner_id" bigint,
	"relay_target_id" bigint,
	"status" "relay_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"payload" jsonb NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "relay_jobs_capture_dedup_key" UNIQUE NULLS NOT DISTINCT("capture_id","kind","event","partner_id","relay_target_id")
);
--> statement-breakpoint
CREATE TABLE "relay_targets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "relay_targets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"brand_id" bigint NOT NULL,
	"url" text NOT NULL,
	"method" text DEFAULT 'post' NOT NULL,
	"field_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "capture_field_errors" ADD CONSTRAINT "capture_field_errors_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capture_geo" ADD CONSTRAINT "capture_geo_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capture_http_logs" ADD CONSTRAINT "capture_http_logs_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capture_knowledge" ADD CONSTRAINT "capture_knowledge_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capture_marketing" ADD CONSTRAINT "capture_marketing_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_landing_id_landings_id_fk" FOREIGN KEY ("landing_id") REFERENCES "public"."landings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_theme_id_themes_id_fk" FOREIGN KEY ("theme_id") REFERENCES "public"."themes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_email_id_emails_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."emails"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_rule_id_redirect_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."redirect_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "landings" ADD CONSTRAINT "landings_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "landings" ADD CONSTRAINT "landings_theme_id_themes_id_fk" FOREIGN KEY ("theme_id") REFERENCES "public"."themes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "landings" ADD CONSTRAINT "landings_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "landings" ADD CONSTRAINT "landings_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redirect_rules" ADD CONSTRAINT "redirect_rules_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redirect_rules" ADD CONSTRAINT "redirect_rules_theme_id_themes_id_fk" FOREIGN KEY ("theme_id") REFERENCES "public"."themes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redirect_rules" ADD CONSTRAINT "redirect_rules_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redirect_rules" ADD CONSTRAINT "redirect_rules_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_brands" ADD CONSTRAINT "contact_brands_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_brands" ADD CONSTRAINT "contact_brands_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_events" ADD CONSTRAINT "contact_events_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_events" ADD CONSTRAINT "contact_events_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_email_id_emails_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."emails"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD CONSTRAINT "relay_jobs_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD CONSTRAINT "relay_jobs_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relay_jobs" ADD CONSTRAINT "relay_jobs_relay_target_id_relay_targets_id_fk" FOREIGN KEY ("relay_target_id") REFERENCES "public"."relay_targets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relay_targets" ADD CONSTRAINT "relay_targets_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "capture_marketing_click_idx" ON "capture_marketing" USING btree ("click_id");--> statement-breakpoint
CREATE INDEX "captures_received_idx" ON "captures" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "captures_contact_idx" ON "captures" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "captures_landing_idx" ON "captures" USING btree ("landing_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "brands_slug_key" ON "brands" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "landings_brand_idx" ON "landings" USING btree ("brand_id");--> statement-breakpoint
CREATE UNIQUE INDEX "partners_slug_key" ON "partners" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "products_brand_sku_key" ON "products" USING btree ("brand_id","sku");--> statement-breakpoint
CREATE UNIQUE INDEX "themes_slug_key" ON "themes" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "contact_brands_contact_brand_key" ON "contact_brands" USING btree ("contact_id","brand_id");--> statement-breakpoint
CREATE INDEX "contact_brands_brand_idx" ON "contact_brands" USING btree ("brand_id");--> statement-breakpoint
CREATE INDEX "contact_events_contact_idx" ON "contact_events" USING btree ("contact_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_email_key" ON "contacts" USING btree ("email_id");--> statement-breakpoint
CREATE UNIQUE INDEX "emails_sha256_key" ON "emails" USING btree ("sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "emails_address_key" ON "emails" USING btree ("address");--> statement-breakpoint
CREATE INDEX "emails_md5_idx" ON "emails" USING btree ("md5");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "failed_events_queue_message_key" ON "failed_events" USING btree ("queue","message_id");--> statement-breakpoint
CREATE INDEX "relay_jobs_status_idx" ON "relay_jobs" USING btree ("status","next_attempt_at");
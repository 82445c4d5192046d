CREATE TYPE "public"."commerce_event_status" AS ENUM('applied', 'pending', 'unapplied', 'failed');--> statement-breakpoint
CREATE TYPE "public"."commerce_event_type" AS ENUM('order.created', 'order.paid', 'order.shipped', 'order.delivered', 'order.cancelled', 'order.returned', 'order.exchanged', 'order.refunded', 'member.joined', 'member.updated', 'member.withdrawn', 'consent.changed', 'product.created', 'product.updated', 'coupon.issued', 'coupon.used', 'points.changed', 'review.posted', 'cart.abandoned');--> statement-breakpoint
CREATE TYPE "public"."consent_channel" AS ENUM('sms', 'kakao', 'email', 'night_ads');--> statement-breakpoint
CREATE TYPE "public"."consent_status" AS ENUM('granted', 'withdrawn');--> statement-breakpoint
CREATE TABLE "commerce_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "commerce_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"store_id" bigint NOT NULL,
	"brand_id" bigint NOT NULL,
	"platform" text NOT NULL,
	"platform_event_id" text NOT NULL,
	"type" "commerce_event_type" NOT NULL,
	"order_external_id" text,
	"order_id" bigint,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"payload" jsonb NOT NULL,
	"status" "commerce_event_status" NOT NULL,
	"applied_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "consent_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "consent_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"contact_id" bigint NOT NULL,
	"channel" "consent_channel" NOT NULL,
	"status" "consent_status" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"event_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "consents_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"contact_id" bigint NOT NULL,
	"channel" "consent_channel" NOT NULL,
	"status" "consent_status" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"event_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "commerce_events" ADD CONSTRAINT "commerce_events_store_id_stores_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."stores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commerce_events" ADD CONSTRAINT "commerce_events_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commerce_events" ADD CONSTRAINT "commerce_events_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_history" ADD CONSTRAINT "consent_history_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_history" ADD CONSTRAINT "consent_history_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_history" ADD CONSTRAINT "consent_history_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_events_store_event_key" ON "commerce_events" USING btree ("store_id","platform_event_id");--> statement-breakpoint
CREATE INDEX "commerce_events_pending_idx" ON "commerce_events" USING btree ("store_id","order_external_id") WHERE "commerce_events"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "commerce_events_status_type_idx" ON "commerce_events" USING btree ("status","type");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_history_event_channel_key" ON "consent_history" USING btree ("event_id","channel");--> statement-breakpoint
CREATE INDEX "consent_history_contact_idx" ON "consent_history" USING btree ("brand_id","contact_id","channel","at");--> statement-breakpoint
CREATE UNIQUE INDEX "consents_brand_contact_channel_key" ON "consents" USING btree ("brand_id","contact_id","channel");
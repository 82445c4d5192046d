CREATE TABLE "brand_ga4_settings" (
	"brand_id" bigint PRIMARY KEY NOT NULL,
	"measurement_id" text NOT NULL,
	"api_secret" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ga4_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ga4_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"event_ids" uuid[] NOT NULL,
	"attempt" integer NOT NULL,
	"response_status" integer,
	"response_body" text,
	"error" text,
	"succeeded" boolean NOT NULL,
	"latency_ms" integer,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"request_bytes" integer
);
--> statement-breakpoint
CREATE TABLE "tracker_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"brand_id" bigint NOT NULL,
	"visitor_id" text NOT NULL,
	"session_id" text NOT NULL,
	"type" text NOT NULL,
	"url" text NOT NULL,
	"referrer" text,
	"title" text,
	"element" jsonb,
	"capture_id" uuid,
	"contact_id" bigint,
	"message_send_id" bigint,
	"click_ids" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"country" text,
	"user_agent" text,
	"bot" boolean DEFAULT false NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"ga4_forwarded_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "brand_ga4_settings" ADD CONSTRAINT "brand_ga4_settings_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ga4_deliveries" ADD CONSTRAINT "ga4_deliveries_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_events" ADD CONSTRAINT "tracker_events_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_events" ADD CONSTRAINT "tracker_events_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_events" ADD CONSTRAINT "tracker_events_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracker_events" ADD CONSTRAINT "tracker_events_message_send_id_message_sends_id_fk" FOREIGN KEY ("message_send_id") REFERENCES "public"."message_sends"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ga4_deliveries_brand_attempted_idx" ON "ga4_deliveries" USING btree ("brand_id","attempted_at");--> statement-breakpoint
CREATE INDEX "tracker_events_brand_occurred_idx" ON "tracker_events" USING btree ("brand_id","occurred_at");--> statement-breakpoint
CREATE INDEX "tracker_events_visitor_idx" ON "tracker_events" USING btree ("visitor_id","occurred_at");
CREATE TYPE "public"."order_fulfilment_status" AS ENUM('shipped', 'delivered', 'returned', 'exchanged');--> statement-breakpoint
CREATE TABLE "order_fulfilment_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "order_fulfilment_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"order_id" bigint NOT NULL,
	"status" "order_fulfilment_status" NOT NULL,
	"event_id" bigint NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"shipment_id" text,
	"carrier" text,
	"tracking_number" text,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "fulfilment_status" "order_fulfilment_status";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "fulfilment_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "order_fulfilment_history" ADD CONSTRAINT "order_fulfilment_history_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_fulfilment_history" ADD CONSTRAINT "order_fulfilment_history_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "order_fulfilment_history_event_key" ON "order_fulfilment_history" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "order_fulfilment_history_order_idx" ON "order_fulfilment_history" USING btree ("order_id","occurred_at");
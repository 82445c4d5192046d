CREATE TABLE "abandoned_carts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "abandoned_carts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"store_id" bigint NOT NULL,
	"platform_cart_id" text NOT NULL,
	"contact_id" bigint,
	"member_external_id" text,
	"currency" char(3) NOT NULL,
	"total" bigint,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"abandoned_at" timestamp with time zone NOT NULL,
	"recovered_order_id" bigint,
	"recovered_at" timestamp with time zone,
	"event_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "abandoned_carts_total" CHECK ("abandoned_carts"."total" >= 0),
	CONSTRAINT "abandoned_carts_recovered" CHECK (("abandoned_carts"."recovered_order_id" IS NULL) = ("abandoned_carts"."recovered_at" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reviews_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"brand_id" bigint NOT NULL,
	"store_id" bigint NOT NULL,
	"platform_review_id" text NOT NULL,
	"platform_product_id" text,
	"product_id" bigint,
	"member_external_id" text,
	"rating" smallint,
	"posted_at" timestamp with time zone NOT NULL,
	"event_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reviews_rating" CHECK ("reviews"."rating" BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE TABLE "store_product_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "store_product_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"store_id" bigint NOT NULL,
	"platform_product_id" text NOT NULL,
	"product_id" bigint NOT NULL,
	"event_id" bigint NOT NULL,
	"type" "commerce_event_type" NOT NULL,
	"sku" text,
	"name" text,
	"price" bigint,
	"currency" char(3),
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_products" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "store_products_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"store_id" bigint NOT NULL,
	"platform_product_id" text NOT NULL,
	"product_id" bigint NOT NULL,
	"price" bigint,
	"currency" char(3),
	"changed_at" timestamp with time zone NOT NULL,
	"event_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "store_products_price" CHECK (("store_products"."price" IS NULL) = ("store_products"."currency" IS NULL) AND "store_products"."price" >= 0)
);
--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "name_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "abandoned_carts" ADD CONSTRAINT "abandoned_carts_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "abandoned_carts" ADD CONSTRAINT "abandoned_carts_store_id_stores_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."stores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "abandoned_carts" ADD CONSTRAINT "abandoned_carts_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "abandoned_carts" ADD CONSTRAINT "abandoned_carts_recovered_order_id_orders_id_fk" FOREIGN KEY ("recovered_order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "abandoned_carts" ADD CONSTRAINT "abandoned_carts_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_store_id_stores_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."stores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_product_history" ADD CONSTRAINT "store_product_history_store_id_stores_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."stores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_product_history" ADD CONSTRAINT "store_product_history_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_product_history" ADD CONSTRAINT "store_product_history_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_products" ADD CONSTRAINT "store_products_store_id_stores_id_fk" FOREIGN KEY ("store_id") REFERENCES "public"."stores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_products" ADD CONSTRAINT "store_products_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_products" ADD CONSTRAINT "store_products_event_id_commerce_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."commerce_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "abandoned_carts_store_cart_key" ON "abandoned_carts" USING btree ("store_id","platform_cart_id");--> statement-breakpoint
CREATE INDEX "abandoned_carts_brand_abandoned_idx" ON "abandoned_carts" USING btree ("brand_id","abandoned_at");--> statement-breakpoint
CREATE INDEX "abandoned_carts_unrecovered_idx" ON "abandoned_carts" USING btree ("brand_id","contact_id") WHERE "abandoned_carts"."recovered_order_id" IS NULL AND "abandoned_carts"."contact_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "reviews_store_review_key" ON "reviews" USING btree ("store_id","platform_review_id");--> statement-breakpoint
CREATE INDEX "reviews_store_product_idx" ON "reviews" USING btree ("store_id","platform_product_id");--> statement-breakpoint
CREATE INDEX "reviews_product_idx" ON "reviews" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "reviews_brand_posted_idx" ON "reviews" USING btree ("brand_id","posted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "store_product_history_event_key" ON "store_product_history" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "store_product_history_product_idx" ON "store_product_history" USING btree ("store_id","platform_product_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "store_products_store_product_key" ON "store_products" USING btree ("store_id","platform_product_id");--> statement-breakpoint
CREATE INDEX "store_products_product_idx" ON "store_products" USING btree ("product_id");
CREATE TABLE "daily_revenue" (
	"brand_id" bigint NOT NULL,
	"market_id" bigint NOT NULL,
	"day" date NOT NULL,
	"source" text NOT NULL,
	"currency" char(3) NOT NULL,
	"orders" integer NOT NULL,
	"revenue" bigint NOT NULL,
	"refunded" bigint NOT NULL,
	"new_customers" integer NOT NULL,
	"returning_customers" integer NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "daily_revenue_source" CHECK ("daily_revenue"."source" IN ('organic', 'influencer', 'unclassified')),
	CONSTRAINT "daily_revenue_counts" CHECK ("daily_revenue"."orders" >= 0 AND "daily_revenue"."revenue" >= 0 AND "daily_revenue"."refunded" >= 0 AND "daily_revenue"."new_customers" >= 0 AND "daily_revenue"."returning_customers" >= 0)
);
--> statement-breakpoint
ALTER TABLE "daily_revenue" ADD CONSTRAINT "daily_revenue_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "daily_revenue" ADD CONSTRAINT "daily_revenue_market_id_markets_id_fk" FOREIGN KEY ("market_id") REFERENCES "public"."markets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "daily_revenue_key" ON "daily_revenue" USING btree ("brand_id","market_id","day","source","currency");--> statement-breakpoint
CREATE INDEX "daily_revenue_day_idx" ON "daily_revenue" USING btree ("day");
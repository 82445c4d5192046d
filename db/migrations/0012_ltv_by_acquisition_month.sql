CREATE TABLE "ltv_by_acquisition_month" (
	"as_of" date NOT NULL,
	"brand_id" bigint NOT NULL,
	"acquisition_month" date NOT NULL,
	"source" text NOT NULL,
	"currency" char(3) NOT NULL,
	"accounts" integer NOT NULL,
	"net_revenue" bigint NOT NULL,
	"avg_ltv" bigint NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ltv_by_acquisition_month_source" CHECK ("ltv_by_acquisition_month"."source" IN ('organic', 'influencer', 'unclassified')),
	CONSTRAINT "ltv_by_acquisition_month_month" CHECK ("ltv_by_acquisition_month"."acquisition_month" = date_trunc('month', "ltv_by_acquisition_month"."acquisition_month")::date),
	CONSTRAINT "ltv_by_acquisition_month_counts" CHECK ("ltv_by_acquisition_month"."accounts" > 0 AND "ltv_by_acquisition_month"."net_revenue" >= 0 AND "ltv_by_acquisition_month"."avg_ltv" >= 0)
);
--> statement-breakpoint
ALTER TABLE "ltv_by_acquisition_month" ADD CONSTRAINT "ltv_by_acquisition_month_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ltv_by_acquisition_month_key" ON "ltv_by_acquisition_month" USING btree ("as_of","brand_id","acquisition_month","source","currency");
CREATE TYPE "public"."rfm_segment" AS ENUM('champions', 'loyal_customers', 'potential_loyalists', 'new_customers', 'promising', 'need_attention', 'about_to_sleep', 'at_risk', 'cannot_lose_them', 'hibernating');--> statement-breakpoint
CREATE TABLE "account_rfm" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"brand_id" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"as_of" date NOT NULL,
	"recency_days" integer NOT NULL,
	"frequency" integer NOT NULL,
	"monetary" bigint NOT NULL,
	"r" smallint NOT NULL,
	"f" smallint NOT NULL,
	"m" smallint NOT NULL,
	"segment" "rfm_segment" NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "account_rfm_scores" CHECK ("account_rfm"."r" BETWEEN 1 AND 5 AND "account_rfm"."f" BETWEEN 1 AND 5 AND "account_rfm"."m" BETWEEN 1 AND 5),
	CONSTRAINT "account_rfm_inputs" CHECK ("account_rfm"."recency_days" >= 0 AND "account_rfm"."frequency" >= 0 AND "account_rfm"."monetary" >= 0)
);
--> statement-breakpoint
ALTER TABLE "account_rfm" ADD CONSTRAINT "account_rfm_account_id_brand_client_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."brand_client_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_rfm" ADD CONSTRAINT "account_rfm_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_rfm_brand_cell_idx" ON "account_rfm" USING btree ("brand_id","r","f","account_id");--> statement-breakpoint
CREATE INDEX "account_rfm_brand_segment_idx" ON "account_rfm" USING btree ("brand_id","segment","account_id");
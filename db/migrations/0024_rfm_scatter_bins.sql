CREATE TABLE "rfm_scatter_bins" (
	"brand_id" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"f_bin" smallint NOT NULL,
	"m_bin" smallint NOT NULL,
	"as_of" date NOT NULL,
	"accounts" integer NOT NULL,
	"monetary" bigint NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rfm_scatter_bins_brand_id_currency_f_bin_m_bin_pk" PRIMARY KEY("brand_id","currency","f_bin","m_bin"),
	CONSTRAINT "rfm_scatter_bins_bin" CHECK ("rfm_scatter_bins"."f_bin" >= 0 AND "rfm_scatter_bins"."m_bin" >= 0),
	CONSTRAINT "rfm_scatter_bins_values" CHECK ("rfm_scatter_bins"."accounts" > 0 AND "rfm_scatter_bins"."monetary" >= 0)
);
--> statement-breakpoint
ALTER TABLE "rfm_scatter_bins" ADD CONSTRAINT "rfm_scatter_bins_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;
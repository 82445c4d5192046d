CREATE TABLE "rfm_cells" (
	"brand_id" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"r" smallint NOT NULL,
	"f" smallint NOT NULL,
	"as_of" date NOT NULL,
	"accounts" integer NOT NULL,
	"monetary" bigint NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rfm_cells_brand_id_currency_r_f_pk" PRIMARY KEY("brand_id","currency","r","f"),
	CONSTRAINT "rfm_cells_cell" CHECK ("rfm_cells"."r" BETWEEN 1 AND 5 AND "rfm_cells"."f" BETWEEN 1 AND 5),
	CONSTRAINT "rfm_cells_values" CHECK ("rfm_cells"."accounts" > 0 AND "rfm_cells"."monetary" >= 0)
);
--> statement-breakpoint
ALTER TABLE "rfm_cells" ADD CONSTRAINT "rfm_cells_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE no action ON UPDATE no action;
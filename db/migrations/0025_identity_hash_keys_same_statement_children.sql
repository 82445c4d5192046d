ALTER TABLE "invoice_items" DROP CONSTRAINT "invoice_items_invoice_id_invoices_id_fk";
--> statement-breakpoint
ALTER TABLE "invoice_items" DROP CONSTRAINT "invoice_items_order_item_id_order_items_id_fk";
--> statement-breakpoint
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_order_id_orders_id_fk";
--> statement-breakpoint
ALTER TABLE "capture_field_errors" DROP CONSTRAINT "capture_field_errors_capture_id_captures_id_fk";
--> statement-breakpoint
ALTER TABLE "capture_geo" DROP CONSTRAINT "capture_geo_capture_id_captures_id_fk";
--> statement-breakpoint
ALTER TABLE "capture_http_logs" DROP CONSTRAINT "capture_http_logs_capture_id_captures_id_fk";
--> statement-breakpoint
ALTER TABLE "capture_knowledge" DROP CONSTRAINT "capture_knowledge_capture_id_captures_id_fk";
--> statement-breakpoint
ALTER TABLE "capture_marketing" DROP CONSTRAINT "capture_marketing_capture_id_captures_id_fk";
--> statement-breakpoint
ALTER TABLE "order_coupons" DROP CONSTRAINT "order_coupons_order_id_orders_id_fk";
--> statement-breakpoint
ALTER TABLE "order_items" DROP CONSTRAINT "order_items_order_id_orders_id_fk";
--> statement-breakpoint
DROP INDEX "addresses_composite_key";--> statement-breakpoint
DROP INDEX "emails_address_key";--> statement-breakpoint
DROP INDEX "personal_info_composite_key";
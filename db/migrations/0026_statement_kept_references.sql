ALTER TABLE "invoice_items" DROP CONSTRAINT "invoice_items_product_id_products_id_fk";
--> statement-breakpoint
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_account_id_brand_client_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_account_id_brand_client_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_order_id_orders_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_landing_id_landings_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_theme_id_themes_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_partner_id_partners_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_product_id_products_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_email_id_emails_id_fk";
--> statement-breakpoint
ALTER TABLE "captures" DROP CONSTRAINT "captures_contact_id_contacts_id_fk";
--> statement-breakpoint
ALTER TABLE "contact_brands" DROP CONSTRAINT "contact_brands_contact_id_contacts_id_fk";
--> statement-breakpoint
ALTER TABLE "contact_brands" DROP CONSTRAINT "contact_brands_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "contact_events" DROP CONSTRAINT "contact_events_contact_id_contacts_id_fk";
--> statement-breakpoint
ALTER TABLE "contact_events" DROP CONSTRAINT "contact_events_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "contacts" DROP CONSTRAINT "contacts_email_id_emails_id_fk";
--> statement-breakpoint
ALTER TABLE "relay_jobs" DROP CONSTRAINT "relay_jobs_capture_id_captures_id_fk";
--> statement-breakpoint
ALTER TABLE "relay_jobs" DROP CONSTRAINT "relay_jobs_partner_id_partners_id_fk";
--> statement-breakpoint
ALTER TABLE "relay_jobs" DROP CONSTRAINT "relay_jobs_order_id_orders_id_fk";
--> statement-breakpoint
ALTER TABLE "relay_jobs" DROP CONSTRAINT "relay_jobs_refund_id_refunds_id_fk";
--> statement-breakpoint
ALTER TABLE "brand_client_accounts" DROP CONSTRAINT "brand_client_accounts_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "brand_client_accounts" DROP CONSTRAINT "brand_client_accounts_email_id_emails_id_fk";
--> statement-breakpoint
ALTER TABLE "brand_client_accounts" DROP CONSTRAINT "brand_client_accounts_contact_id_contacts_id_fk";
--> statement-breakpoint
ALTER TABLE "brand_client_accounts" DROP CONSTRAINT "brand_client_accounts_personal_info_id_personal_info_id_fk";
--> statement-breakpoint
ALTER TABLE "order_coupons" DROP CONSTRAINT "order_coupons_coupon_id_coupons_id_fk";
--> statement-breakpoint
ALTER TABLE "order_items" DROP CONSTRAINT "order_items_product_id_products_id_fk";
--> statement-breakpoint
ALTER TABLE "order_items" DROP CONSTRAINT "order_items_offer_id_product_offers_id_fk";
--> statement-breakpoint
ALTER TABLE "order_items" DROP CONSTRAINT "order_items_subscription_id_subscriptions_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_account_id_brand_client_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_personal_info_id_personal_info_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_billing_address_id_addresses_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_shipping_address_id_addresses_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_campaign_id_campaigns_id_fk";
--> statement-breakpoint
ALTER TABLE "subscription_history" DROP CONSTRAINT "subscription_history_subscription_id_subscriptions_id_fk";
--> statement-breakpoint
ALTER TABLE "subscription_history" DROP CONSTRAINT "subscription_history_order_item_id_order_items_id_fk";
--> statement-breakpoint
ALTER TABLE "subscription_occurrences" DROP CONSTRAINT "subscription_occurrences_subscription_id_subscriptions_id_fk";
--> statement-breakpoint
ALTER TABLE "subscription_occurrences" DROP CONSTRAINT "subscription_occurrences_order_item_id_order_items_id_fk";
--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_brand_id_brands_id_fk";
--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_account_id_brand_client_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_product_id_products_id_fk";
--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_offer_id_product_offers_id_fk";

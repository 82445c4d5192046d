/**
 * Which references a foreign key keeps, and which the statement that writes them keeps.
 *
 * A foreign key costs every inserted child row a trigger that looks its parent up and locks it `FOR KEY
 * SHARE`; on the hot paths that was the largest single part of Postgres' CPU (about a third of a capture
 * batch's), and the parents it locked are the same few rows for every writer at once (a landing, its
 * brand, theme and partner; an order's brand and products), so concurrent batches also share those locks.
 *
 * The rule, table by table:
 * - **A constraint** wherever the parent can be deleted or its deletion must be refused or followed:
 *   markets and stores (a referenced one is refused with 409 by its foreign keys), redirect rules
 *   (`ON DELETE SET NULL`), relay targets, and every reference a row outside the hot paths makes.
 * - **The writing statement** where the parent is never deleted (brands, catalog rows, emails, contacts,
 *   people, addresses, accounts, orders and their items, invoices, subscriptions, captures: no path of the
 *   product deletes them) and every writer takes the parent's id from its own transaction: found, created
 *   or locked by the statement before it or by the same statement, never from a client.
 *
 * {@link statementKeptReferences} lists the second kind; `test/workers/references.test.ts` checks that
 * no row names a parent that is not there.
 */
export interface StatementKeptReference {
  table: string;
  column: string;
  parent: string;
}

export const statementKeptReferences: readonly StatementKeptReference[] = [
  // The capture pipeline (queues/capture): the catalog statement resolves the landing, its brand, theme,
  // partner and product; the identity statement upserts the email, the contact and the relationship; the
  // write statement inserts the capture with its stage rows, events and relay jobs.
  { table: "captures", column: "landing_id", parent: "landings" },
  { table: "captures", column: "brand_id", parent: "brands" },
  { table: "captures", column: "theme_id", parent: "themes" },
  { table: "captures", column: "partner_id", parent: "partners" },
  { table: "captures", column: "product_id", parent: "products" },
  { table: "captures", column: "email_id", parent: "emails" },
  { table: "captures", column: "contact_id", parent: "contacts" },
  { table: "contacts", column: "email_id", parent: "emails" },
  { table: "contact_brands", column: "contact_id", parent: "contacts" },
  { table: "contact_brands", column: "brand_id", parent: "brands" },
  { table: "contact_events", column: "contact_id", parent: "contacts" },
  { table: "contact_events", column: "brand_id", parent: "brands" },
  { table: "relay_jobs", column: "capture_id", parent: "captures" },
  { table: "relay_jobs", column: "partner_id", parent: "partners" },
  { table: "relay_jobs", column: "order_id", parent: "orders" },
  { table: "relay_jobs", column: "refund_id", parent: "refunds" },
  { table: "capture_field_errors", column: "capture_id", parent: "captures" },
  { table: "capture_geo", column: "capture_id", parent: "captures" },
  { table: "capture_http_logs", column: "capture_id", parent: "captures" },
  { table: "capture_knowledge", column: "capture_id", parent: "captures" },
  { table: "capture_marketing", column: "capture_id", parent: "captures" },
  // Order ingestion (domain/ledger/orders.ts): statement 1 finds or creates the account, person,
  // addresses, catalog rows, coupons and campaign and locks the subscriptions it renews; statement 2
  // writes the order, its items, invoice, payment and subscriptions with those ids. Payments, refunds and
  // subscription changes made later lock the account and find the order in their own transaction.
  { table: "brand_client_accounts", column: "brand_id", parent: "brands" },
  { table: "brand_client_accounts", column: "email_id", parent: "emails" },
  { table: "brand_client_accounts", column: "contact_id", parent: "contacts" },
  { table: "brand_client_accounts", column: "personal_info_id", parent: "personal_info" },
  { table: "orders", column: "brand_id", parent: "brands" },
  { table: "orders", column: "account_id", parent: "brand_client_accounts" },
  { table: "orders", column: "personal_info_id", parent: "personal_info" },
  { table: "orders", column: "billing_address_id", parent: "addresses" },
  { table: "orders", column: "shipping_address_id", parent: "addresses" },
  { table: "orders", column: "campaign_id", parent: "campaigns" },
  { table: "order_items", column: "order_id", parent: "orders" },
  { table: "order_items", column: "product_id", parent: "products" },
  { table: "order_items", column: "offer_id", parent: "product_offers" },
  { table: "order_items", column: "subscription_id", parent: "subscriptions" },
  { table: "order_coupons", column: "order_id", parent: "orders" },
  { table: "order_coupons", column: "coupon_id", parent: "coupons" },
  { table: "invoices", column: "brand_id", parent: "brands" },
  { table: "invoices", column: "account_id", parent: "brand_client_accounts" },
  { table: "invoices", column: "order_id", parent: "orders" },
  { table: "invoice_items", column: "invoice_id", parent: "invoices" },
  { table: "invoice_items", column: "order_item_id", parent: "order_items" },
  { table: "invoice_items", column: "product_id", parent: "products" },
  { table: "payments", column: "brand_id", parent: "brands" },
  { table: "payments", column: "account_id", parent: "brand_client_accounts" },
  { table: "payments", column: "order_id", parent: "orders" },
  { table: "subscriptions", column: "brand_id", parent: "brands" },
  { table: "subscriptions", column: "account_id", parent: "brand_client_accounts" },
  { table: "subscriptions", column: "product_id", parent: "products" },
  { table: "subscriptions", column: "offer_id", parent: "product_offers" },
  { table: "subscription_history", column: "subscription_id", parent: "subscriptions" },
  { table: "subscription_history", column: "order_item_id", parent: "order_items" },
  { table: "subscription_occurrences", column: "subscription_id", parent: "subscriptions" },
  { table: "subscription_occurrences", column: "order_item_id", parent: "order_items" },
];

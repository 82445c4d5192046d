import { sql } from "drizzle-orm";
import { check, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { brands, products } from "./catalog.ts";
import { createdAt, currency, id, money, ref, total } from "./common.ts";
import { brandClientAccounts, orders } from "./sales.ts";

/** The invoice of one order: one invoice item per order item, and one for shipping when charged. */
export const invoices = pgTable(
  "invoices",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    brandId: ref("brand_id").notNull(),
    accountId: ref("account_id").notNull(),
    // No foreign key: an invoice is written only with its order, by the statement that inserts the order
    // and with the id it reserved (domain/ledger/orders.ts); orders are never deleted.
    orderId: ref("order_id").notNull(),
    currency: currency(),
    /** Σ of its items' amounts. */
    amount: money("amount"),
    /** Σ of the credit notes against it. */
    creditedTotal: total("credited_total"),
    /**
     * Its place in the account's invoice series (1, 2, …, no gaps; see `brand_client_accounts.invoice_count`).
     * Null only for invoices issued before numbering existed.
     */
    number: integer("number"),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("invoices_order_key").on(t.orderId),
    uniqueIndex("invoices_account_number_key").on(t.accountId, t.number),
    index("invoices_account_issued_idx").on(t.accountId, t.issuedAt),
    check("invoices_amount", sql`${t.amount} >= 0`),
    check("invoices_credited_le_amount", sql`${t.creditedTotal} >= 0 AND ${t.creditedTotal} <= ${t.amount}`),
  ],
);

export const invoiceItemKind = pgEnum("invoice_item_kind", ["product", "shipping"]);

export const invoiceItems = pgTable(
  "invoice_items",
  {
    id: id(),
    // No foreign keys to the invoice and the order item: invoice items are written only by the statement
    // that inserts the invoice and the order items, with the ids it reserved; neither is ever deleted.
    invoiceId: ref("invoice_id").notNull(),
    kind: invoiceItemKind("kind").notNull(),
    /** The order item this line bills; null for shipping. */
    orderItemId: ref("order_item_id"),
    /** The product billed; null for shipping. Refunds find their invoices through it. */
    productId: ref("product_id"),
    description: text("description").notNull(),
    amount: money("amount"),
    creditedTotal: total("credited_total"),
  },
  (t) => [
    index("invoice_items_invoice_idx").on(t.invoiceId),
    index("invoice_items_product_idx").on(t.productId),
    uniqueIndex("invoice_items_order_item_key").on(t.orderItemId),
    check("invoice_items_amount", sql`${t.amount} >= 0`),
    check(
      "invoice_items_credited_le_amount",
      sql`${t.creditedTotal} >= 0 AND ${t.creditedTotal} <= ${t.amount}`,
    ),
    check(
      "invoice_items_kind_refs",
      sql`(${t.kind} = 'product') = (${t.productId} IS NOT NULL AND ${t.orderItemId} IS NOT NULL)`,
    ),
  ],
);

/**
 * Money paid back to a customer for a product. It names the account and the product, never an invoice:
 * the waterfall (domain/ledger/refund-waterfall.ts) decides which invoices it credits. A shipping refund
 * and a cancellation's refund name the order instead (its invoice is the one credited).
 */
export const refunds = pgTable(
  "refunds",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    accountId: ref("account_id")
      .notNull()
      .references(() => brandClientAccounts.id),
    /** The product refunded; null for a shipping refund. */
    productId: ref("product_id").references(() => products.id),
    /** The order whose shipping was refunded, or the cancelled order paid back; null for a product refund. */
    orderId: ref("order_id").references(() => orders.id),
    /** Where it came from (`api`, `shopify`, …) and the platform's id: the idempotency key when given. */
    platform: text("platform").notNull(),
    externalId: text("external_id"),
    currency: currency(),
    amount: money("amount"),
    reason: text("reason"),
    refundedAt: timestamp("refunded_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("refunds_brand_platform_external_key")
      .on(t.brandId, t.platform, t.externalId)
      .where(sql`${t.externalId} IS NOT NULL`),
    index("refunds_account_idx").on(t.accountId),
    check("refunds_amount", sql`${t.amount} > 0`),
  ],
);

/** What a refund took back from one invoice; its items say from which invoice items. */
export const creditNotes = pgTable(
  "credit_notes",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    accountId: ref("account_id")
      .notNull()
      .references(() => brandClientAccounts.id),
    invoiceId: ref("invoice_id")
      .notNull()
      .references(() => invoices.id),
    refundId: ref("refund_id").references(() => refunds.id),
    currency: currency(),
    /** Σ of its items. */
    amount: money("amount"),
    reason: text("reason"),
    /** Its place in the account's credit note series, as `invoices.number`. */
    number: integer("number"),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("credit_notes_account_number_key").on(t.accountId, t.number),
    index("credit_notes_account_idx").on(t.accountId),
    index("credit_notes_invoice_idx").on(t.invoiceId),
    index("credit_notes_refund_idx").on(t.refundId),
    check("credit_notes_amount", sql`${t.amount} > 0`),
  ],
);

export const creditNoteItems = pgTable(
  "credit_note_items",
  {
    id: id(),
    creditNoteId: ref("credit_note_id")
      .notNull()
      .references(() => creditNotes.id),
    invoiceItemId: ref("invoice_item_id")
      .notNull()
      .references(() => invoiceItems.id),
    amount: money("amount"),
  },
  (t) => [
    uniqueIndex("credit_note_items_note_item_key").on(t.creditNoteId, t.invoiceItemId),
    index("credit_note_items_invoice_item_idx").on(t.invoiceItemId),
    check("credit_note_items_amount", sql`${t.amount} > 0`),
  ],
);

/** Money received from a customer, optionally for one order. */
export const payments = pgTable(
  "payments",
  {
    id: id(),
    // Kept by the writing statement, not a foreign key: db/schema/references.ts.
    brandId: ref("brand_id").notNull(),
    accountId: ref("account_id").notNull(),
    orderId: ref("order_id"),
    platform: text("platform").notNull(),
    externalId: text("external_id"),
    /** `card`, `bank_transfer`, `virtual_account`, … as the platform names it. */
    method: text("method").notNull(),
    currency: currency(),
    amount: money("amount"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("payments_brand_platform_external_key")
      .on(t.brandId, t.platform, t.externalId)
      .where(sql`${t.externalId} IS NOT NULL`),
    index("payments_account_idx").on(t.accountId),
    index("payments_order_idx").on(t.orderId),
    check("payments_amount", sql`${t.amount} > 0`),
  ],
);

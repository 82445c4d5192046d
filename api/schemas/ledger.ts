import { z } from "@hono/zod-openapi";
import { FieldErrors } from "../../domain/core/errors.ts";
import type { EntityKind, HashIds } from "../../domain/core/hash-ids.ts";
import type { AccountTotals } from "../../domain/ledger/account-totals.ts";
import type {
  Account,
  AccountDetail,
  AccountSummary,
  ContactAccounts,
  CreditNote,
  Invoice,
  InvoiceDetail,
  InvoiceItem,
  Payment,
  Refund,
} from "../../domain/ledger/accounts.ts";
import { documentNumber } from "../../domain/ledger/document-numbers.ts";
import type { PaymentResult } from "../../domain/ledger/payments.ts";
import type { RefundResult } from "../../domain/ledger/refunds.ts";
import { documentNumberField, hashId, inputTimestamp, iso, isoOrNull, timestamp } from "./common.ts";
import { currencyCode, externalId, platformSlug, positiveAmount } from "./order.ts";

/**
 * Hash ids in a request body, decoded together: every one that does not decode is a 422 naming its
 * field (`malformed`); absent optional ones stay `null`.
 */
export function bodyIds<F extends string>(
  ids: HashIds,
  refs: Record<F, [kind: EntityKind, value: string | undefined]>,
): Record<F, number | null> {
  const errors = new FieldErrors();
  const decoded = {} as Record<F, number | null>;
  for (const [field, [kind, value]] of Object.entries(refs) as [F, [EntityKind, string | undefined]][]) {
    const id = value === undefined ? null : ids.decode(kind, value);
    if (value !== undefined && id === null) errors.add(field, "malformed", `Not a ${kind} id.`);
    decoded[field] = id;
  }
  errors.throwIfAny();
  return decoded;
}

/** A decoded required reference (present in the body: the schema requires it). */
export function required(id: number | null): number {
  if (id === null) throw new Error("a required body id was not decoded");
  return id;
}

const minor = (description: string) => z.number().int().openapi({ description, example: 19900 });

export const accountTotalsSchema = z
  .object({
    invoiced: minor("Σ invoice amounts (gross, before credit notes)."),
    credited: minor("Σ credit note amounts: invoiced money taken back by refunds."),
    paid: minor("Σ payments received."),
    refunded: minor("Σ refunds paid back."),
    balance: minor("paid − refunded: the money the brand holds; a refund never exceeds it."),
    outstanding: minor(
      "(invoiced − credited) − (paid − refunded): what the customer still owes; negative when in credit.",
    ),
  })
  .openapi("RunningTotals", {
    description: "The six running totals, in minor units of the account's currency.",
  });

const presentTotals = (t: AccountTotals) => ({
  invoiced: t.invoiced,
  credited: t.credited,
  paid: t.paid,
  refunded: t.refunded,
  balance: t.balance,
  outstanding: t.outstanding,
});

/** The account as a ledger write leaves it: id, currency and the six totals. */
export const accountBalanceSchema = z
  .object({ id: hashId("Account id."), currency: z.string(), totals: accountTotalsSchema })
  .openapi("AccountBalance");

const presentBalance = (ids: HashIds, account: Account) => ({
  id: ids.encode("account", account.id),
  currency: account.currency,
  totals: presentTotals(account),
});

export const accountSchema = z
  .object({
    id: hashId("Account id."),
    brand: hashId("Brand id."),
    market: z.string().openapi({ description: "Market code.", example: "kr" }),
    contact: hashId("The person (contact) across brands."),
    email: z.string().openapi({ description: "The normalised address.", example: "minji.kim@example.com" }),
    currency: z.string().openapi({ example: "KRW" }),
    totals: accountTotalsSchema,
    order_count: z.number().int(),
    first_order_at: timestamp.nullable(),
    last_order_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Account", { description: "A customer's account with one brand in one market." });
export type AccountJson = z.infer<typeof accountSchema>;

export const presentAccount = (ids: HashIds, account: AccountSummary): AccountJson => ({
  id: ids.encode("account", account.id),
  brand: ids.encode("brand", account.brandId),
  market: account.marketCode,
  contact: ids.encode("contact", account.contactId),
  email: account.email,
  currency: account.currency,
  totals: presentTotals(account),
  order_count: account.orderCount,
  first_order_at: isoOrNull(account.firstOrderAt),
  last_order_at: isoOrNull(account.lastOrderAt),
  created_at: iso(account.createdAt),
  updated_at: iso(account.updatedAt),
});

export const invoiceSchema = z
  .object({
    id: hashId("Invoice id."),
    brand: hashId("Brand id."),
    account: hashId("Account id."),
    order: hashId("The order it bills."),
    currency: z.string(),
    amount: minor("Σ of its lines."),
    credited_total: minor("Σ of the credit notes against it."),
    number: documentNumberField("invoice"),
    issued_at: timestamp,
    created_at: timestamp,
  })
  .openapi("Invoice");

const presentInvoice = (ids: HashIds, invoice: Invoice) => ({
  id: ids.encode("invoice", invoice.id),
  brand: ids.encode("brand", invoice.brandId),
  account: ids.encode("account", invoice.accountId),
  order: ids.encode("order", invoice.orderId),
  currency: invoice.currency,
  amount: invoice.amount,
  credited_total: invoice.creditedTotal,
  number: documentNumber("invoice", ids.encode("account", invoice.accountId), invoice.number),
  issued_at: iso(invoice.issuedAt),
  created_at: iso(invoice.createdAt),
});

export const invoiceItemSchema = z
  .object({
    id: hashId("Invoice item id."),
    kind: z.enum(["product", "shipping"]),
    order_item: hashId("The order item it bills (null for shipping).").nullable(),
    product: hashId("Product id (null for shipping).").nullable(),
    description: z.string(),
    amount: minor("The line's amount."),
    credited_total: minor("Σ of the credit note items against it."),
  })
  .openapi("InvoiceItem");

const presentInvoiceItem = (ids: HashIds, item: InvoiceItem) => ({
  id: ids.encode("invoiceItem", item.id),
  kind: item.kind,
  order_item: item.orderItemId === null ? null : ids.encode("orderItem", item.orderItemId),
  product: item.productId === null ? null : ids.encode("product", item.productId),
  description: item.description,
  amount: item.amount,
  credited_total: item.creditedTotal,
});

export const creditNoteSchema = z
  .object({
    id: hashId("Credit note id."),
    brand: hashId("Brand id."),
    account: hashId("Account id."),
    invoice: hashId("The invoice it credits."),
    refund: hashId("The refund that created it.").nullable(),
    currency: z.string(),
    amount: minor("Σ of its items."),
    reason: z.string().nullable(),
    number: documentNumberField("credit_note"),
    issued_at: timestamp,
    created_at: timestamp,
    items: z.array(
      // No id of its own: an item is the credit note's line for one invoice line (unique per note).
      z.object({
        invoice_item: hashId("The invoice line it credits."),
        description: z.string(),
        amount: minor("What it takes back from the invoice line."),
      }),
    ),
  })
  .openapi("CreditNote", { description: "What one refund took back from one invoice." });
export type CreditNoteJson = z.infer<typeof creditNoteSchema>;

export const presentCreditNote = (ids: HashIds, note: CreditNote): CreditNoteJson => ({
  id: ids.encode("creditNote", note.id),
  brand: ids.encode("brand", note.brandId),
  account: ids.encode("account", note.accountId),
  invoice: ids.encode("invoice", note.invoiceId),
  refund: note.refundId === null ? null : ids.encode("refund", note.refundId),
  currency: note.currency,
  amount: note.amount,
  reason: note.reason,
  number: documentNumber("credit_note", ids.encode("account", note.accountId), note.number),
  issued_at: iso(note.issuedAt),
  created_at: iso(note.createdAt),
  items: note.items.map((item) => ({
    invoice_item: ids.encode("invoiceItem", item.invoiceItemId),
    description: item.description,
    amount: item.amount,
  })),
});

export const paymentSchema = z
  .object({
    id: hashId("Payment id."),
    brand: hashId("Brand id."),
    account: hashId("Account id."),
    order: hashId("The order it pays for.").nullable(),
    platform: z.string(),
    external_id: z.string().nullable(),
    method: z.string(),
    currency: z.string(),
    amount: minor("Amount received."),
    received_at: timestamp,
    created_at: timestamp,
  })
  .openapi("Payment");

const presentPayment = (ids: HashIds, payment: Payment) => ({
  id: ids.encode("payment", payment.id),
  brand: ids.encode("brand", payment.brandId),
  account: ids.encode("account", payment.accountId),
  order: payment.orderId === null ? null : ids.encode("order", payment.orderId),
  platform: payment.platform,
  external_id: payment.externalId,
  method: payment.method,
  currency: payment.currency,
  amount: payment.amount,
  received_at: iso(payment.receivedAt),
  created_at: iso(payment.createdAt),
});

export const refundSchema = z
  .object({
    id: hashId("Refund id."),
    brand: hashId("Brand id."),
    account: hashId("Account id."),
    product: hashId("The product refunded; null for a shipping refund.").nullable(),
    order: hashId(
      "The order whose shipping was refunded, or the cancelled order paid back; null for a product refund.",
    ).nullable(),
    platform: z.string(),
    external_id: z.string().nullable(),
    currency: z.string(),
    amount: minor("Amount paid back."),
    reason: z.string().nullable(),
    refunded_at: timestamp,
    created_at: timestamp,
  })
  .openapi("Refund");

const presentRefund = (ids: HashIds, refund: Refund) => ({
  id: ids.encode("refund", refund.id),
  brand: ids.encode("brand", refund.brandId),
  account: ids.encode("account", refund.accountId),
  product: refund.productId === null ? null : ids.encode("product", refund.productId),
  order: refund.orderId === null ? null : ids.encode("order", refund.orderId),
  platform: refund.platform,
  external_id: refund.externalId,
  currency: refund.currency,
  amount: refund.amount,
  reason: refund.reason,
  refunded_at: iso(refund.refundedAt),
  created_at: iso(refund.createdAt),
});

// Writes

const occurredAt = (description: string) => inputTimestamp.optional().openapi({ description });

export const createPaymentBody = z
  .strictObject({
    account: hashId("Account id."),
    amount: positiveAmount,
    currency: currencyCode.openapi({ description: "Must be the account's currency." }),
    method: z.string().trim().min(1).max(32).openapi({ example: "card" }),
    platform: platformSlug.default("api"),
    external_id: externalId.optional(),
    order: hashId("An order of the same account this pays for.").optional(),
    received_at: occurredAt("When the money arrived; now if not given."),
  })
  .openapi("CreatePayment");

export const paymentResultSchema = z
  .object({ payment: paymentSchema, account: accountBalanceSchema })
  .openapi("PaymentResult");
export type PaymentResultJson = z.infer<typeof paymentResultSchema>;

export const presentPaymentResult = (ids: HashIds, result: PaymentResult): PaymentResultJson => ({
  payment: presentPayment(ids, result.payment),
  account: presentBalance(ids, result.account),
});

export const createRefundBody = z
  .strictObject({
    account: hashId("Account id."),
    product: hashId(
      "Product id: the refund credits this product's invoice lines, most recent invoice first.",
    ).optional(),
    order: hashId(
      "Order id, instead of `product`, for a shipping refund: it credits the shipping line of the order's invoice.",
    ).optional(),
    amount: positiveAmount,
    currency: currencyCode.openapi({ description: "Must be the account's currency." }),
    platform: platformSlug.default("api"),
    external_id: externalId.optional(),
    reason: z.string().trim().min(1).max(500).optional(),
    refunded_at: occurredAt("When the money was paid back; now if not given. Also the credit notes' date."),
  })
  .refine((body) => (body.product === undefined) !== (body.order === undefined), {
    message: "Name either a product, or an order for a shipping refund.",
    path: ["product"],
    params: { category: "not_allowed" },
  })
  .openapi("CreateRefund");

export const refundResultSchema = z
  .object({
    refund: refundSchema,
    credit_notes: z
      .array(creditNoteSchema)
      .openapi({ description: "One per invoice credited, most recent invoice first." }),
    account: accountBalanceSchema,
  })
  .openapi("RefundResult");
export type RefundResultJson = z.infer<typeof refundResultSchema>;

export const presentRefundResult = (ids: HashIds, result: RefundResult): RefundResultJson => ({
  refund: presentRefund(ids, result.refund),
  credit_notes: result.creditNotes.map((note) => presentCreditNote(ids, note)),
  account: presentBalance(ids, result.account),
});

// Reads

export const accountDetailSchema = accountSchema
  .extend({
    ledger: z.object({
      invoices: z.array(invoiceSchema),
      credit_notes: z.array(creditNoteSchema),
      payments: z.array(paymentSchema),
      refunds: z.array(refundSchema),
      counts: z
        .object({
          invoices: z.number().int(),
          credit_notes: z.number().int(),
          payments: z.number().int(),
          refunds: z.number().int(),
        })
        .openapi({ description: "How many of each the account has in all." }),
      limit: z.number().int().openapi({ description: "At most this many of each kind are listed." }),
    }),
  })
  .openapi("AccountLedger", {
    description:
      "The account with its ledger: the most recent invoices, credit notes, payments and refunds (newest first, capped at `ledger.limit` each; `ledger.counts` says how many exist).",
  });
export type AccountDetailJson = z.infer<typeof accountDetailSchema>;

export const presentAccountDetail = (
  ids: HashIds,
  account: AccountDetail,
  limit: number,
): AccountDetailJson => ({
  ...presentAccount(ids, account),
  ledger: {
    invoices: account.invoices.map((invoice) => presentInvoice(ids, invoice)),
    credit_notes: account.creditNotes.map((note) => presentCreditNote(ids, note)),
    payments: account.payments.map((payment) => presentPayment(ids, payment)),
    refunds: account.refunds.map((refund) => presentRefund(ids, refund)),
    counts: {
      invoices: account.counts.invoices,
      credit_notes: account.counts.creditNotes,
      payments: account.counts.payments,
      refunds: account.counts.refunds,
    },
    limit,
  },
});

const lifetimeValue = minor("paid − refunded: money received from the person and kept.");

export const contactAccountsSchema = z
  .object({
    contact: hashId("Contact id."),
    accounts: z.array(accountSchema),
    lifetime_value: z.object({
      by_brand: z.array(
        z.object({
          brand: hashId("Brand id."),
          currency: z.string(),
          paid: minor("Σ payments."),
          refunded: minor("Σ refunds."),
          lifetime_value: lifetimeValue,
        }),
      ),
      total: z
        .array(
          z.object({
            currency: z.string(),
            paid: minor("Σ payments."),
            refunded: minor("Σ refunds."),
            lifetime_value: lifetimeValue,
          }),
        )
        .openapi({
          description: "Across the brands shown, one entry per currency (never added across currencies).",
        }),
    }),
  })
  .openapi("ContactAccounts", {
    description:
      "A person's accounts with every brand (those the API key may see) and lifetime value, LTV = paid − refunded, per brand and currency and in total per currency.",
  });
export type ContactAccountsJson = z.infer<typeof contactAccountsSchema>;

export const presentContactAccounts = (ids: HashIds, view: ContactAccounts): ContactAccountsJson => ({
  contact: ids.encode("contact", view.contactId),
  accounts: view.accounts.map((account) => presentAccount(ids, account)),
  lifetime_value: {
    by_brand: view.byBrand.map((b) => ({
      brand: ids.encode("brand", b.brandId),
      currency: b.currency,
      paid: b.paid,
      refunded: b.refunded,
      lifetime_value: b.lifetimeValue,
    })),
    total: view.total.map((t) => ({
      currency: t.currency,
      paid: t.paid,
      refunded: t.refunded,
      lifetime_value: t.lifetimeValue,
    })),
  },
});

export const invoiceDetailSchema = invoiceSchema
  .extend({
    items: z.array(invoiceItemSchema),
    credit_notes: z
      .array(creditNoteSchema)
      .openapi({ description: "Credit notes against it, newest first." }),
  })
  .openapi("InvoiceDetail");
export type InvoiceDetailJson = z.infer<typeof invoiceDetailSchema>;

export const presentInvoiceDetail = (ids: HashIds, invoice: InvoiceDetail): InvoiceDetailJson => ({
  ...presentInvoice(ids, invoice),
  items: invoice.items.map((item) => presentInvoiceItem(ids, item)),
  credit_notes: invoice.creditNotes.map((note) => presentCreditNote(ids, note)),
});

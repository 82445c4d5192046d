import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { jsonRow, pgArray } from "../../db/sql.ts";
import { normalisedAddress } from "../contacts/contacts.ts";
import { sha256Hex } from "../contacts/email.ts";
import { Forbidden, NotFound, ValidationFailed } from "../core/errors.ts";
import { assertBrand, canSeeBrand } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { type AccountTotals, accountTotals } from "./account-totals.ts";

/**
 * Brand client accounts and their ledger: the row types the ledger verbs (payments, refunds) return,
 * the account lock every ledger write starts with, and the reads (an account with its ledger, the lookup
 * by email, a person's accounts across brands, one invoice, one credit note).
 */

// Rows as Postgres serialises them with to_jsonb: bigint as a JSON number, timestamptz as ISO text.
type Json = Record<string, unknown>;

const num = (row: Json, key: string): number => {
  const value = row[key];
  if (typeof value === "number") return value;
  if (typeof value === "string" && value !== "") return Number(value);
  throw new TypeError(`ledger row: ${key} is not a number`);
};
const numOrNull = (row: Json, key: string): number | null =>
  row[key] === null || row[key] === undefined ? null : num(row, key);
const text = (row: Json, key: string): string => {
  const value = row[key];
  if (typeof value !== "string") throw new TypeError(`ledger row: ${key} is not text`);
  return value;
};
const textOrNull = (row: Json, key: string): string | null => (row[key] === null ? null : text(row, key));
const date = (row: Json, key: string): Date => {
  const value = row[key];
  if (value instanceof Date) return value;
  return new Date(text(row, key));
};
const dateOrNull = (row: Json, key: string): Date | null =>
  row[key] === null || row[key] === undefined ? null : date(row, key);
const rows = (row: Json, key: string): Json[] => {
  const value = row[key];
  if (!Array.isArray(value)) throw new TypeError(`ledger row: ${key} is not a list`);
  return value as Json[];
};

// Accounts

export interface Account extends AccountTotals {
  id: number;
  brandId: number;
  marketId: number;
  contactId: number;
  emailId: number;
  currency: string;
  orderCount: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toAccount(row: Json): Account {
  return {
    id: num(row, "id"),
    brandId: num(row, "brand_id"),
    marketId: num(row, "market_id"),
    contactId: num(row, "contact_id"),
    emailId: num(row, "email_id"),
    currency: text(row, "currency"),
    ...accountTotals({
      invoiced: num(row, "invoiced"),
      credited: num(row, "credited"),
      paid: num(row, "paid"),
      refunded: num(row, "refunded"),
    }),
    orderCount: num(row, "order_count"),
    firstOrderAt: dateOrNull(row, "first_order_at"),
    lastOrderAt: dateOrNull(row, "last_order_at"),
    createdAt: date(row, "created_at"),
    updatedAt: date(row, "updated_at"),
  };
}

/**
 * Locks the account row for the rest of the transaction (`FOR UPDATE`) and returns it as it is after
 * any concurrent ledger write committed: every ledger write of one account takes turns here, so the
 * totals and the invoice lines read after this stay exact. A separate statement on purpose: reads in
 * the same statement as the lock would use the snapshot taken before waiting for it.
 */
export async function lockAccount(tx: Pick<Executor, "execute">, accountId: number): Promise<Account | null> {
  const row = await jsonRow(
    tx,
    sql`SELECT to_jsonb(a) FROM brand_client_accounts a WHERE a.id = ${accountId} FOR UPDATE`,
  );
  return row ? toAccount(row) : null;
}

/** {@link lockAccount} for a verb whose input names the account in the body: a 422 on `account`. */
export async function lockInputAccount(tx: Pick<Executor, "execute">, accountId: number): Promise<Account> {
  const account = await lockAccount(tx, accountId);
  if (!account)
    throw new ValidationFailed([{ field: "account", category: "not_found", message: "No such account." }]);
  return account;
}

/**
 * {@link lockAccount} for a verb that names an order: the account the order belongs to (an order never
 * changes account, so finding it in the same statement as the lock is safe); `null` when there is no such
 * order.
 */
export async function lockOrderAccount(
  tx: Pick<Executor, "execute">,
  orderId: number,
): Promise<Account | null> {
  const row = await jsonRow(
    tx,
    sql`SELECT to_jsonb(a) FROM brand_client_accounts a
         WHERE a.id = (SELECT o.account_id FROM orders o WHERE o.id = ${orderId}) FOR UPDATE`,
  );
  return row ? toAccount(row) : null;
}

// Ledger rows

export interface Invoice {
  id: number;
  brandId: number;
  accountId: number;
  orderId: number;
  currency: string;
  amount: number;
  creditedTotal: number;
  /** Its place in the account's invoice series; null if issued before numbering. */
  number: number | null;
  issuedAt: Date;
  createdAt: Date;
}

export interface InvoiceItem {
  id: number;
  kind: "product" | "shipping";
  orderItemId: number | null;
  productId: number | null;
  description: string;
  amount: number;
  creditedTotal: number;
}

export interface CreditNoteItem {
  id: number;
  invoiceItemId: number;
  /** The invoice line's description, so a credit note reads on its own. */
  description: string;
  amount: number;
}

export interface CreditNote {
  id: number;
  brandId: number;
  accountId: number;
  invoiceId: number;
  refundId: number | null;
  currency: string;
  amount: number;
  reason: string | null;
  /** Its place in the account's credit note series; null if issued before numbering. */
  number: number | null;
  issuedAt: Date;
  createdAt: Date;
  items: CreditNoteItem[];
}

export interface Payment {
  id: number;
  brandId: number;
  accountId: number;
  orderId: number | null;
  platform: string;
  externalId: string | null;
  method: string;
  currency: string;
  amount: number;
  receivedAt: Date;
  createdAt: Date;
}

export interface Refund {
  id: number;
  brandId: number;
  accountId: number;
  /** The product refunded; null for a shipping refund. */
  productId: number | null;
  /** The order whose shipping was refunded, or the cancelled order the refund paid back; null for a product refund. */
  orderId: number | null;
  platform: string;
  externalId: string | null;
  currency: string;
  amount: number;
  reason: string | null;
  refundedAt: Date;
  createdAt: Date;
}

export const toInvoice = (row: Json): Invoice => ({
  id: num(row, "id"),
  brandId: num(row, "brand_id"),
  accountId: num(row, "account_id"),
  orderId: num(row, "order_id"),
  currency: text(row, "currency"),
  amount: num(row, "amount"),
  creditedTotal: num(row, "credited_total"),
  number: numOrNull(row, "number"),
  issuedAt: date(row, "issued_at"),
  createdAt: date(row, "created_at"),
});

export const toInvoiceItem = (row: Json): InvoiceItem => ({
  id: num(row, "id"),
  kind: text(row, "kind") === "shipping" ? "shipping" : "product",
  orderItemId: numOrNull(row, "order_item_id"),
  productId: numOrNull(row, "product_id"),
  description: text(row, "description"),
  amount: num(row, "amount"),
  creditedTotal: num(row, "credited_total"),
});

/** A credit note row with an `items` list of `{ id, invoice_item_id, description, amount }`. */
export const toCreditNote = (row: Json): CreditNote => ({
  id: num(row, "id"),
  brandId: num(row, "brand_id"),
  accountId: num(row, "account_id"),
  invoiceId: num(row, "invoice_id"),
  refundId: numOrNull(row, "refund_id"),
  currency: text(row, "currency"),
  amount: num(row, "amount"),
  reason: textOrNull(row, "reason"),
  number: numOrNull(row, "number"),
  issuedAt: date(row, "issued_at"),
  createdAt: date(row, "created_at"),
  items: rows(row, "items").map((item) => ({
    id: num(item, "id"),
    invoiceItemId: num(item, "invoice_item_id"),
    description: text(item, "description"),
    amount: num(item, "amount"),
  })),
});

export const toPayment = (row: Json): Payment => ({
  id: num(row, "id"),
  brandId: num(row, "brand_id"),
  accountId: num(row, "account_id"),
  orderId: numOrNull(row, "order_id"),
  platform: text(row, "platform"),
  externalId: textOrNull(row, "external_id"),
  method: text(row, "method"),
  currency: text(row, "currency"),
  amount: num(row, "amount"),
  receivedAt: date(row, "received_at"),
  createdAt: date(row, "created_at"),
});

export const toRefund = (row: Json): Refund => ({
  id: num(row, "id"),
  brandId: num(row, "brand_id"),
  accountId: num(row, "account_id"),
  productId: numOrNull(row, "product_id"),
  orderId: numOrNull(row, "order_id"),
  platform: text(row, "platform"),
  externalId: textOrNull(row, "external_id"),
  currency: text(row, "currency"),
  amount: num(row, "amount"),
  reason: textOrNull(row, "reason"),
  refundedAt: date(row, "refunded_at"),
  createdAt: date(row, "created_at"),
});

/** `jsonb_agg(<expr> ORDER BY …)` that is `[]` rather than null over no rows. */
const agg = (expr: SQL, orderBy: SQL): SQL =>
  sql`coalesce(jsonb_agg(${expr} ORDER BY ${orderBy}), '[]'::jsonb)`;

/** A credit note's items with their invoice line's description, as a jsonb list; `note` is the alias. */
export const creditNoteItemsJson = (note: string): SQL => sql`(SELECT ${agg(
  sql`jsonb_build_object('id', ci.id, 'invoice_item_id', ci.invoice_item_id, 'description', ii.description,
                           'amount', ci.amount)`,
  sql`ci.id`,
)}
      FROM credit_note_items ci JOIN invoice_items ii ON ii.id = ci.invoice_item_id
     WHERE ci.credit_note_id = ${sql.raw(note)}.id)`;

/** The credit notes matching `where` (alias `cn`), each with its items, in id order. */
export const creditNotesJson = (where: SQL, limit?: number): SQL =>
  sql`(SELECT ${agg(
    sql`to_jsonb(cn) || jsonb_build_object('items', ${creditNoteItemsJson("cn")})`,
    sql`cn.id DESC`,
  )} FROM (SELECT * FROM credit_notes cn WHERE ${where} ORDER BY cn.id DESC ${
    limit === undefined ? sql`` : sql`LIMIT ${limit}`
  }) cn)`;

// Reads

/** How many of each kind of ledger row the account read returns: the most recent, newest first. */
export const ledgerLimit = 100;

export interface AccountDetail extends Account {
  email: string;
  marketCode: string;
  /** Most recent first, at most {@link ledgerLimit} of each; `counts` says how many there are in all. */
  invoices: Invoice[];
  creditNotes: CreditNote[];
  payments: Payment[];
  refunds: Refund[];
  counts: { invoices: number; creditNotes: number; payments: number; refunds: number };
}

/**
 * An account with its six totals and its ledger (the latest {@link ledgerLimit} invoices, credit notes,
 * payments and refunds, and how many of each exist). One query.
 */
export async function getAccount({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<AccountDetail> {
  const recent = (table: string, order: string) =>
    sql`(SELECT ${agg(sql`to_jsonb(t)`, sql.raw(`t.${order} DESC, t.id DESC`))}
           FROM (SELECT * FROM ${sql.identifier(table)} x WHERE x.account_id = a.id
                  ORDER BY x.${sql.raw(order)} DESC, x.id DESC LIMIT ${ledgerLimit}) t)`;
  const count = (table: string) =>
    sql`(SELECT count(*) FROM ${sql.identifier(table)} x WHERE x.account_id = a.id)`;
  const row = await jsonRow(
    ctx.db,
    sql`SELECT to_jsonb(a) || jsonb_build_object(
          'email', e.address, 'market_code', m.code,
          'invoices', ${recent("invoices", "issued_at")},
          'credit_notes', ${creditNotesJson(sql`cn.account_id = a.id`, ledgerLimit)},
          'payments', ${recent("payments", "received_at")},
          'refunds', ${recent("refunds", "refunded_at")},
          'counts', jsonb_build_object('invoices', ${count("invoices")}, 'credit_notes', ${count("credit_notes")},
                                       'payments', ${count("payments")}, 'refunds', ${count("refunds")}))
        FROM brand_client_accounts a
        JOIN emails e ON e.id = a.email_id
        JOIN markets m ON m.id = a.market_id
       WHERE a.id = ${input.id}`,
  );
  if (!row) throw new NotFound("account");
  const account = toAccount(row);
  assertBrand(ctx.principal, account.brandId);
  const counts = row.counts as Json;
  return {
    ...account,
    email: text(row, "email"),
    marketCode: text(row, "market_code"),
    invoices: rows(row, "invoices").map(toInvoice),
    creditNotes: rows(row, "credit_notes").map(toCreditNote),
    payments: rows(row, "payments").map(toPayment),
    refunds: rows(row, "refunds").map(toRefund),
    counts: {
      invoices: num(counts, "invoices"),
      creditNotes: num(counts, "credit_notes"),
      payments: num(counts, "payments"),
      refunds: num(counts, "refunds"),
    },
  };
}

export interface AccountSummary extends Account {
  email: string;
  marketCode: string;
}

const toSummary = (row: Json): AccountSummary => ({
  ...toAccount(row),
  email: text(row, "email"),
  marketCode: text(row, "market_code"),
});

const summaryColumns = sql`to_jsonb(a) || jsonb_build_object('email', e.address, 'market_code', m.code)`;

/**
 * The accounts of an email address (any spelling: it is normalised as captures are), optionally in one
 * brand, that the caller may see, ordered by brand then market. A brand outside the caller's scope is
 * refused (403). One query.
 */
export async function findAccountsByEmail({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { email: string; brandId?: number | undefined };
}): Promise<AccountSummary[]> {
  const sha256 = sha256Hex(normalisedAddress(input.email));
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const result = await ctx.db.execute<{ account: Json }>(sql`
    SELECT ${summaryColumns} AS account
      FROM emails e
      JOIN brand_client_accounts a ON a.email_id = e.id
      JOIN markets m ON m.id = a.market_id
     WHERE e.sha256 = ${sha256}
       ${input.brandId === undefined ? sql`` : sql`AND a.brand_id = ${input.brandId}`}
       ${scope === null ? sql`` : sql`AND a.brand_id = ANY(${pgArray([...scope])}::bigint[])`}
     ORDER BY a.brand_id, a.market_id`);
  return result.rows.map((row) => toSummary(row.account));
}

/** Lifetime value of one brand in one currency: paid − refunded over the person's accounts with it. */
export interface BrandValue {
  brandId: number;
  currency: string;
  paid: number;
  refunded: number;
  /** paid − refunded (= the accounts' balance): the money the brand kept from this person. */
  lifetimeValue: number;
}

export interface CurrencyValue {
  currency: string;
  paid: number;
  refunded: number;
  lifetimeValue: number;
}

export interface ContactAccounts {
  contactId: number;
  accounts: AccountSummary[];
  /** Per brand and currency (a brand selling in two markets may have two currencies), by brand. */
  byBrand: BrandValue[];
  /** Across every brand shown, per currency: amounts in different currencies are never added. */
  total: CurrencyValue[];
}

/**
 * A person's cross-brand view: every brand account of the contact the caller may see, and lifetime
 * value (LTV = paid − refunded: money received and kept, in minor units) per brand and in total per
 * currency. A brand-scoped key sees only its brands; if the person has accounts but none in its
 * brands, it is refused (403). A contact without any account gets empty lists. One query.
 */
export async function getContactAccounts({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { contactId: number };
}): Promise<ContactAccounts> {
  const row = await jsonRow(
    ctx.db,
    sql`SELECT jsonb_build_object('accounts', (
          SELECT ${agg(summaryColumns, sql`a.brand_id, a.market_id`)}
            FROM brand_client_accounts a
            JOIN emails e ON e.id = a.email_id
            JOIN markets m ON m.id = a.market_id
           WHERE a.contact_id = c.id))
          FROM contacts c WHERE c.id = ${input.contactId}`,
  );
  if (!row) throw new NotFound("contact");
  const all = rows(row, "accounts").map(toSummary);
  const accounts = all.filter((account) => canSeeBrand(ctx.principal, account.brandId));
  if (all.length > 0 && accounts.length === 0)
    throw new Forbidden("This API key is not allowed for any brand this person has an account with.");

  const byBrand = new Map<string, BrandValue>();
  const total = new Map<string, CurrencyValue>();
  for (const account of accounts) {
    const key = `${account.brandId}:${account.currency}`;
    const brand = byBrand.get(key) ?? {
      brandId: account.brandId,
      currency: account.currency,
      paid: 0,
      refunded: 0,
      lifetimeValue: 0,
    };
    brand.paid += account.paid;
    brand.refunded += account.refunded;
    brand.lifetimeValue = brand.paid - brand.refunded;
    byBrand.set(key, brand);
    const sum = total.get(account.currency) ?? {
      currency: account.currency,
      paid: 0,
      refunded: 0,
      lifetimeValue: 0,
    };
    sum.paid += account.paid;
    sum.refunded += account.refunded;
    sum.lifetimeValue = sum.paid - sum.refunded;
    total.set(account.currency, sum);
  }
  return {
    contactId: input.contactId,
    accounts,
    byBrand: [...byBrand.values()],
    total: [...total.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

export interface InvoiceDetail extends Invoice {
  items: InvoiceItem[];
  /** The credit notes against it, newest first. */
  creditNotes: CreditNote[];
}

/** One invoice with its lines and the credit notes against it. One query. */
export async function getInvoice({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<InvoiceDetail> {
  const row = await jsonRow(
    ctx.db,
    sql`SELECT to_jsonb(i) || jsonb_build_object(
          'items', (SELECT ${agg(sql`to_jsonb(ii)`, sql`ii.id`)} FROM invoice_items ii WHERE ii.invoice_id = i.id),
          'credit_notes', ${creditNotesJson(sql`cn.invoice_id = i.id`)})
        FROM invoices i WHERE i.id = ${input.id}`,
  );
  if (!row) throw new NotFound("invoice");
  const invoice = toInvoice(row);
  assertBrand(ctx.principal, invoice.brandId);
  return {
    ...invoice,
    items: rows(row, "items").map(toInvoiceItem),
    creditNotes: rows(row, "credit_notes").map(toCreditNote),
  };
}

/** One credit note with its items. One query. */
export async function getCreditNote({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<CreditNote> {
  const row = await jsonRow(
    ctx.db,
    sql`SELECT to_jsonb(cn) || jsonb_build_object('items', ${creditNoteItemsJson("cn")})
          FROM credit_notes cn WHERE cn.id = ${input.id}`,
  );
  if (!row) throw new NotFound("credit note");
  const note = toCreditNote(row);
  assertBrand(ctx.principal, note.brandId);
  return note;
}

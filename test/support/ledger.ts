import { sql } from "drizzle-orm";
import type { NormalisedOrder } from "../../api/schemas/order.ts";
import { accountTotals } from "../../domain/ledger/account-totals.ts";
import { type ApiResponse, call, ids, ok, rand, withDb } from "./api.ts";
import { orderBody, postOrder, type SalesTenant } from "./sales.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;

export const decode = (kind: Parameters<typeof ids.decode>[0], value: string): number => {
  const id = ids.decode(kind, value);
  if (id === null) throw new Error(`not a ${kind} id: ${value}`);
  return id;
};

export interface LedgerLine {
  sku: string;
  name?: string;
  unitPrice: number;
  quantity?: number;
}

/**
 * An order of `lines` for `email` placed at `placedAt` (its invoice's issued_at), through POST
 * /api/v1/orders; paid in full unless `paid` says otherwise (0: no payment). Returns the order JSON.
 */
export async function placeOrder(
  tenant: SalesTenant,
  email: string,
  placedAt: string,
  lines: LedgerLine[],
  options: { paid?: number; shipping?: number; overrides?: Partial<NormalisedOrder> } = {},
): Promise<Json> {
  const shipping = options.shipping ?? 0;
  const total = lines.reduce((sum, l) => sum + l.unitPrice * (l.quantity ?? 1), 0) + shipping;
  const paid = options.paid ?? total;
  const body = orderBody(tenant, {
    placed_at: placedAt,
    customer: { email },
    billing_address: undefined,
    shipping_address: undefined,
    items: lines.map((l) => ({
      sku: l.sku,
      name: l.name ?? l.sku,
      quantity: l.quantity ?? 1,
      unit_price: l.unitPrice,
    })),
    shipping,
    coupons: [],
    campaign: undefined,
    marketing: {},
    payment: paid > 0 ? { amount: paid, method: "card", external_id: `pay-${rand()}` } : undefined,
    ...options.overrides,
  });
  const response = await postOrder(tenant, body);
  if (response.status !== 201) throw new Error(`order → ${response.status}: ${response.text}`);
  return response.body;
}

/** The invoice line of `sku` in an order JSON. */
export function invoiceLine(order: Json, sku: string): { id: string; amount: number } {
  const item = order.items.find((i: Json) => i.sku === sku);
  const line = order.invoice.items.find((i: Json) => i.order_item === item?.id);
  if (!line) throw new Error(`no invoice line for ${sku}`);
  return line;
}

/** The product hash id of `sku` in an order JSON. */
export function productOf(order: Json, sku: string): string {
  const item = order.items.find((i: Json) => i.sku === sku);
  if (!item) throw new Error(`no item ${sku}`);
  return item.product;
}

/** `key`: an API key, `null` for none, or omitted for the test file's admin key (all brands). */
export const postRefund = (body: Json, key?: string | null): Promise<ApiResponse<Json>> =>
  call("POST", "/api/v1/refunds", key === undefined ? { body } : { key, body });

export const postPayment = (body: Json, key?: string | null): Promise<ApiResponse<Json>> =>
  call("POST", "/api/v1/payments", key === undefined ? { body } : { key, body });

export const getJson = (path: string, key?: string): Promise<Json> =>
  ok("GET", path, key === undefined ? {} : { key });

/**
 * Every ledger row and running total of an account, for "nothing was written" comparisons: counts and
 * sums of refunds, credit notes and their items, payments, the credited totals of its invoices, invoice
 * items, orders and order items, and the account row.
 */
export async function ledgerSnapshot(accountId: number): Promise<Record<string, unknown>> {
  return withDb(async (db) => {
    const result = await db.execute<{ snapshot: Record<string, unknown> }>(sql`SELECT jsonb_build_object(
      'account', (SELECT jsonb_build_object('invoiced', invoiced, 'credited', credited, 'paid', paid,
                    'refunded', refunded, 'balance', balance, 'outstanding', outstanding, 'updated_at', updated_at)
                    FROM brand_client_accounts WHERE id = ${accountId}),
      'refunds', (SELECT jsonb_build_array(count(*), coalesce(sum(amount), 0)) FROM refunds WHERE account_id = ${accountId}),
      'credit_notes', (SELECT jsonb_build_array(count(*), coalesce(sum(amount), 0)) FROM credit_notes WHERE account_id = ${accountId}),
      'credit_note_items', (SELECT jsonb_build_array(count(*), coalesce(sum(ci.amount), 0))
                              FROM credit_note_items ci JOIN credit_notes cn ON cn.id = ci.credit_note_id
                             WHERE cn.account_id = ${accountId}),
      'payments', (SELECT jsonb_build_array(count(*), coalesce(sum(amount), 0)) FROM payments WHERE account_id = ${accountId}),
      'invoices', (SELECT jsonb_agg(jsonb_build_array(id, credited_total) ORDER BY id) FROM invoices WHERE account_id = ${accountId}),
      'invoice_items', (SELECT jsonb_agg(jsonb_build_array(ii.id, ii.credited_total) ORDER BY ii.id)
                          FROM invoice_items ii JOIN invoices i ON i.id = ii.invoice_id WHERE i.account_id = ${accountId}),
      'orders', (SELECT jsonb_agg(jsonb_build_array(id, credited_total) ORDER BY id) FROM orders WHERE account_id = ${accountId}),
      'order_items', (SELECT jsonb_agg(jsonb_build_array(oi.id, oi.credited_total) ORDER BY oi.id)
                        FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.account_id = ${accountId})
    ) AS snapshot`);
    const row = result.rows[0];
    if (!row) throw new Error("no snapshot");
    return row.snapshot;
  });
}

/**
 * An account's six totals as stored, and as recomputed from its ledger rows (invoices, credit notes,
 * payments, refunds), plus every credited_total recomputed from the credit note items below it: the
 * two must always be equal.
 */
export async function storedAndRecomputed(accountId: number) {
  return withDb(async (db) => {
    const result = await db.execute<{ state: Json }>(sql`SELECT jsonb_build_object(
      'stored', (SELECT jsonb_build_object('invoiced', invoiced, 'credited', credited, 'paid', paid,
                    'refunded', refunded, 'balance', balance, 'outstanding', outstanding)
                   FROM brand_client_accounts WHERE id = ${accountId}),
      'sums', jsonb_build_object(
        'invoiced', (SELECT coalesce(sum(amount), 0) FROM invoices WHERE account_id = ${accountId}),
        'credited', (SELECT coalesce(sum(amount), 0) FROM credit_notes WHERE account_id = ${accountId}),
        'paid', (SELECT coalesce(sum(amount), 0) FROM payments WHERE account_id = ${accountId}),
        'refunded', (SELECT coalesce(sum(amount), 0) FROM refunds WHERE account_id = ${accountId})),
      -- Rows whose credited_total differs from what their credit notes add up to.
      'drift', jsonb_build_object(
        'invoice_items', (SELECT count(*) FROM invoice_items ii JOIN invoices i ON i.id = ii.invoice_id
                           WHERE i.account_id = ${accountId} AND ii.credited_total <>
                             (SELECT coalesce(sum(amount), 0) FROM credit_note_items WHERE invoice_item_id = ii.id)),
        'invoices', (SELECT count(*) FROM invoices i WHERE i.account_id = ${accountId} AND i.credited_total <>
                       (SELECT coalesce(sum(amount), 0) FROM credit_notes WHERE invoice_id = i.id)),
        'order_items', (SELECT count(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id
                         WHERE o.account_id = ${accountId} AND oi.credited_total <>
                           (SELECT coalesce(sum(ii.credited_total), 0) FROM invoice_items ii WHERE ii.order_item_id = oi.id)),
        'orders', (SELECT count(*) FROM orders o WHERE o.account_id = ${accountId} AND o.credited_total <>
                    (SELECT coalesce(sum(credited_total), 0) FROM invoices WHERE order_id = o.id)),
        'credit_notes', (SELECT count(*) FROM credit_notes cn WHERE cn.account_id = ${accountId} AND cn.amount <>
                          (SELECT coalesce(sum(amount), 0) FROM credit_note_items WHERE credit_note_id = cn.id)),
        'refunds', (SELECT count(*) FROM refunds r WHERE r.account_id = ${accountId} AND r.amount <>
                     (SELECT coalesce(sum(amount), 0) FROM credit_notes WHERE refund_id = r.id)),
        -- 1 when a document series is not exactly 1..counter: numbers are unique per account, so n
        -- numbers, none missing or below 1 and none above n, are 1..n.
        'invoice_series', (SELECT count(*) FROM brand_client_accounts a WHERE a.id = ${accountId} AND
                             (SELECT count(number) = a.invoice_count AND count(*) = a.invoice_count
                                     AND coalesce(max(number), 0) = a.invoice_count AND coalesce(min(number), 1) >= 1
                                FROM invoices WHERE account_id = a.id) IS NOT TRUE),
        'credit_note_series', (SELECT count(*) FROM brand_client_accounts a WHERE a.id = ${accountId} AND
                             (SELECT count(number) = a.credit_note_count AND count(*) = a.credit_note_count
                                     AND coalesce(max(number), 0) = a.credit_note_count AND coalesce(min(number), 1) >= 1
                                FROM credit_notes WHERE account_id = a.id) IS NOT TRUE))
    ) AS state`);
    const state = result.rows[0]?.state;
    const sums = state.sums;
    return {
      stored: state.stored,
      recomputed: accountTotals({
        invoiced: Number(sums.invoiced),
        credited: Number(sums.credited),
        paid: Number(sums.paid),
        refunded: Number(sums.refunded),
      }),
      drift: state.drift,
    };
  });
}

export const noDrift = {
  invoice_items: 0,
  invoices: 0,
  order_items: 0,
  orders: 0,
  credit_notes: 0,
  refunds: 0,
  invoice_series: 0,
  credit_note_series: 0,
};

import { and, asc, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { executePrepared } from "../../db/prepared.ts";
import { type FulfilmentStatus, orders } from "../../db/schema/sales.ts";
import { NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import type { AccountTotals } from "./account-totals.ts";

/** One line of an order's invoice. */
export interface InvoiceLine {
  id: number;
  kind: "product" | "shipping";
  order_item_id: number | null;
  product_id: number | null;
  description: string;
  amount: number;
  credited_total: number;
}

/** Timestamps arrive as JSON strings (ISO 8601); amounts as integers in minor units. */
export interface OrderDetail {
  id: number;
  brand_id: number;
  market_id: number;
  market: string;
  account_id: number;
  store_id: number | null;
  platform: string;
  external_id: string;
  currency: string;
  subtotal: number;
  discount_total: number;
  tax_total: number;
  shipping_total: number;
  total: number;
  credited_total: number;
  placed_at: string;
  created_at: string;
  marketing: Record<string, string>;
  capture_id: string | null;
  campaign: string | null;
  items: {
    id: number;
    line_no: number;
    product_id: number;
    sku: string;
    offer_id: number;
    offer: string;
    subscription_id: number | null;
    name: string;
    quantity: number;
    unit_price: number;
    discount: number;
    tax: number;
    total: number;
    credited_total: number;
  }[];
  invoice: {
    id: number;
    amount: number;
    credited_total: number;
    number: number | null;
    issued_at: string;
    items: InvoiceLine[];
  };
  coupons: { code: string; discount: number }[];
  payments: { id: number; amount: number; method: string; external_id: string | null; received_at: string }[];
  account: AccountTotals & { id: number; currency: string };
  fulfilment: { status: FulfilmentStatus | null; history: FulfilmentHistoryEntry[] };
  /** Set once the order is cancelled (domain/ledger/cancellations.ts): its invoice is then credited in full. */
  cancellation: { cancelled_at: string; reason: string | null } | null;
}

/** One fulfilment event of an order, as the store's platform sent it. */
export interface FulfilmentHistoryEntry {
  status: FulfilmentStatus;
  occurred_at: string;
  /** The platform's event id. */
  event_id: string;
  shipment_id: string | null;
  carrier: string | null;
  tracking_number: string | null;
  reason: string | null;
}

/**
 * One statement: the order with its items, invoice, coupons, payments, the account's totals, its
 * fulfilment status with every fulfilment event in the order they happened, and its cancellation.
 */
function detailStatement(orderId: number): SQL {
  return sql`SELECT json_build_object(
      'id', o.id, 'brand_id', o.brand_id, 'market_id', o.market_id, 'market', m.code,
      'account_id', o.account_id, 'store_id', o.store_id, 'platform', o.platform, 'external_id', o.external_id,
      'currency', o.currency, 'subtotal', o.subtotal, 'discount_total', o.discount_total,
      'tax_total', o.tax_total, 'shipping_total', o.shipping_total, 'total', o.total,
      'credited_total', o.credited_total, 'placed_at', o.placed_at, 'created_at', o.created_at,
      'marketing', o.marketing, 'capture_id', o.capture_id,
      'campaign', (SELECT code FROM campaigns WHERE id = o.campaign_id),
      'items', (SELECT json_agg(json_build_object(
          'id', i.id, 'line_no', i.line_no, 'product_id', i.product_id, 'sku', p.sku, 'offer_id', i.offer_id,
          'offer', f.code, 'subscription_id', i.subscription_id, 'name', i.name, 'quantity', i.quantity,
          'unit_price', i.unit_price, 'discount', i.discount, 'tax', i.tax, 'total', i.total,
          'credited_total', i.credited_total) ORDER BY i.line_no)
        FROM order_items i JOIN products p ON p.id = i.product_id JOIN product_offers f ON f.id = i.offer_id
        WHERE i.order_id = o.id),
      'invoice', (SELECT json_build_object('id', v.id, 'amount', v.amount, 'credited_total', v.credited_total,
          'number', v.number, 'issued_at', v.issued_at,
          'items', (SELECT json_agg(json_build_object('id', x.id, 'kind', x.kind, 'order_item_id', x.order_item_id,
              'product_id', x.product_id, 'description', x.description, 'amount', x.amount,
              'credited_total', x.credited_total) ORDER BY x.id)
            FROM invoice_items x WHERE x.invoice_id = v.id))
        FROM invoices v WHERE v.order_id = o.id),
      'coupons', COALESCE((SELECT json_agg(json_build_object('code', c.code, 'discount', oc.discount) ORDER BY c.code)
        FROM order_coupons oc JOIN coupons c ON c.id = oc.coupon_id WHERE oc.order_id = o.id), '[]'::json),
      'payments', COALESCE((SELECT json_agg(json_build_object('id', y.id, 'amount', y.amount, 'method', y.method,
          'external_id', y.external_id, 'received_at', y.received_at) ORDER BY y.id)
        FROM payments y WHERE y.order_id = o.id), '[]'::json),
      'account', (SELECT json_build_object('id', a.id, 'currency', a.currency, 'invoiced', a.invoiced,
          'credited', a.credited, 'paid', a.paid, 'refunded', a.refunded, 'balance', a.balance,
          'outstanding', a.outstanding)
        FROM brand_client_accounts a WHERE a.id = o.account_id),
      'fulfilment', json_build_object('status', o.fulfilment_status,
        'history', COALESCE((SELECT json_agg(json_build_object('status', h.status, 'occurred_at', h.occurred_at,
            'event_id', e.platform_event_id, 'shipment_id', h.shipment_id, 'carrier', h.carrier,
            'tracking_number', h.tracking_number, 'reason', h.reason) ORDER BY h.occurred_at, h.id)
          FROM order_fulfilment_history h JOIN commerce_events e ON e.id = h.event_id
          WHERE h.order_id = o.id), '[]'::json)),
      'cancellation', CASE WHEN o.cancelled_at IS NOT NULL
        THEN json_build_object('cancelled_at', o.cancelled_at, 'reason', o.cancel_reason) END)
    FROM orders o JOIN markets m ON m.id = o.market_id WHERE o.id = ${orderId}`;
}

/** An order as the API shows it; 403 for a key of another brand, 404 when there is no such order. */
export async function getOrder({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<OrderDetail> {
  const result = await executePrepared<{ detail: OrderDetail }>(
    ctx.db,
    sql`SELECT (${detailStatement(input.id)}) AS detail`,
  );
  const detail = result.rows[0]?.detail;
  if (!detail) throw new NotFound("order");
  assertBrand(ctx.principal, detail.brand_id);
  return detail;
}

export type OrderSummary = typeof orders.$inferSelect;

/** Orders in id order, optionally of one brand or one account, limited to the caller's brands. */
export async function listOrders({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined; accountId?: number | undefined };
}): Promise<Page<OrderSummary>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const db: Executor = ctx.db;
  const rows = await db
    .select()
    .from(orders)
    .where(
      and(
        input.after === null ? undefined : gt(orders.id, input.after),
        input.brandId === undefined ? undefined : eq(orders.brandId, input.brandId),
        input.accountId === undefined ? undefined : eq(orders.accountId, input.accountId),
        scope === null ? undefined : inArray(orders.brandId, [...scope]),
      ),
    )
    .orderBy(asc(orders.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

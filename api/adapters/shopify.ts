import { z } from "@hono/zod-openapi";
import { marketingColumns, marketingParams } from "../../domain/capture/marketing.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { NormalisedOrder } from "../schemas/order.ts";
import { idText, parsePayload, storeTime } from "./json.ts";
import { toMinorUnits } from "./money.ts";

/**
 * Shopify's `orders/create` and `refunds/create` webhook payloads (the REST Order and Refund resources) to
 * the normalised order and to refund requests. Pure: no I/O. Amounts are read in the shop's currency
 * (`shop_money`, which is what `price`, `total_price`… are in), never the presentment currency.
 */

const id = z.union([z.number().int().nonnegative(), z.string().min(1)]);
const amount = z.union([z.string(), z.number()]);
const money = z.looseObject({ amount, currency_code: z.string().optional() });
const moneySet = z.looseObject({ shop_money: money }).nullish();
const text = z.string().nullish();

const taxLine = z.looseObject({ price: amount, price_set: moneySet });
const discountAllocation = z.looseObject({ amount, amount_set: moneySet });

const sellingPlanAllocation = z
  .looseObject({
    selling_plan: z
      .looseObject({
        id: id.nullish(),
        name: text,
        options: z.array(z.looseObject({ name: text, value: text })).nullish(),
      })
      .nullish(),
    selling_plan_id: id.nullish(),
  })
  .nullish();

const lineItem = z.looseObject({
  id,
  product_id: id.nullish(),
  variant_id: id.nullish(),
  sku: text,
  title: z.string(),
  name: text,
  variant_title: text,
  quantity: z.number().int().positive(),
  price: amount,
  price_set: moneySet,
  tax_lines: z.array(taxLine).nullish(),
  discount_allocations: z.array(discountAllocation).nullish(),
  // API 2026-10 and later name the selling plan on the line; storefront-shaped payloads nest it.
  selling_plan_id: id.nullish(),
  selling_plan_allocation: sellingPlanAllocation,
});

const shippingLine = z.looseObject({
  price: amount,
  price_set: moneySet,
  discounted_price: amount.nullish(),
  discounted_price_set: moneySet,
  is_removed: z.boolean().nullish(),
  tax_lines: z.array(taxLine).nullish(),
});

const address = z
  .looseObject({
    first_name: text,
    last_name: text,
    address1: text,
    address2: text,
    city: text,
    province: text,
    province_code: text,
    zip: text,
    country_code: text,
    phone: text,
  })
  .nullish();

const transaction = z.looseObject({
  id: id.nullish(),
  kind: text,
  status: text,
  gateway: text,
  amount,
  currency: text,
  processed_at: text,
});

export const shopifyOrderPayload = z.looseObject({
  id,
  email: text,
  contact_email: text,
  phone: text,
  created_at: z.string(),
  processed_at: text,
  currency: z.string().regex(/^[A-Z]{3}$/),
  taxes_included: z.boolean().nullish(),
  total_price: amount,
  total_outstanding: amount.nullish(),
  financial_status: text,
  gateway: text,
  payment_gateway_names: z.array(z.string()).nullish(),
  source_name: text,
  landing_site: text,
  referring_site: text,
  discount_codes: z.array(z.looseObject({ code: z.string(), amount, type: text })).nullish(),
  line_items: z.array(lineItem).min(1),
  shipping_lines: z.array(shippingLine).nullish(),
  customer: z
    .looseObject({ id: id.nullish(), email: text, first_name: text, last_name: text, phone: text })
    .nullish(),
  billing_address: address,
  shipping_address: address,
  transactions: z.array(transaction).nullish(),
});
export type ShopifyOrderPayload = z.infer<typeof shopifyOrderPayload>;

export const shopifyRefundPayload = z.looseObject({
  id,
  order_id: id,
  created_at: z.string(),
  processed_at: text,
  note: text,
  refund_line_items: z.array(
    z.looseObject({
      id,
      line_item_id: id.nullish(),
      quantity: z.number().int().nonnegative(),
      subtotal: amount,
      subtotal_set: moneySet,
      total_tax: amount.nullish(),
      total_tax_set: moneySet,
      line_item: z.looseObject({ id: id.nullish(), product_id: id.nullish(), sku: text }),
    }),
  ),
  /** Refunds not tied to a line: `shipping_refund` (amounts negative) and `refund_discrepancy`. */
  order_adjustments: z
    .array(
      z.looseObject({
        id,
        kind: text,
        amount,
        amount_set: moneySet,
        tax_amount: amount.nullish(),
        tax_amount_set: moneySet,
      }),
    )
    .nullish(),
  transactions: z.array(transaction).nullish(),
});
export type ShopifyRefundPayload = z.infer<typeof shopifyRefundPayload>;

/** What the adapter needs besides the payload: where the store's orders belong. */
export interface StoreTarget {
  /** The brand's hash id. */
  brand: string;
  /** The market's code. */
  market: string;
}

const present = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** Shop money when the payload has it, else the plain field (in shop currency as well). */
const shopAmount = (
  plain: string | number,
  set: z.infer<typeof moneySet>,
  currency: string,
  field: string,
): number => toMinorUnits(set?.shop_money.amount ?? plain, currency, field);

/** Money an order adjustment gives back, as a positive amount: Shopify writes it negative ("-5.00"). */
const refundedAmount = (
  plain: string | number,
  set: z.infer<typeof moneySet>,
  currency: string,
  field: string,
): number => {
  const raw = set?.shop_money.amount ?? plain;
  return toMinorUnits(
    typeof raw === "number" ? Math.abs(raw) : raw.trim().replace(/^-/, ""),
    currency,
    field,
  );
};

const sumTaxes = (lines: z.infer<typeof taxLine>[] | null | undefined, currency: string, field: string) =>
  (lines ?? []).reduce(
    (acc, line, index) => acc + shopAmount(line.price, line.price_set, currency, `${field}.${index}.price`),
    0,
  );

/**
 * The product a Shopify line names in the brand's catalog: its SKU, or (a line without one, common for
 * simple shops) `SHOPIFY-<product id>`, so the order and its refund resolve the same product.
 */
export function shopifySku(line: {
  sku?: string | null | undefined;
  product_id?: string | number | null | undefined;
  variant_id?: string | number | null | undefined;
  id?: string | number | null | undefined;
}): string {
  const sku = present(line.sku);
  if (sku) return sku.slice(0, 64);
  const fallback = line.product_id ?? line.variant_id ?? line.id;
  return `SHOPIFY-${fallback === null || fallback === undefined ? "unknown" : idText(fallback)}`;
}

type Address = NonNullable<NormalisedOrder["billing_address"]>;

function toAddress(value: z.infer<typeof address>): Address | undefined {
  const country = present(value?.country_code);
  if (!value || !country || !/^[A-Za-z]{2}$/.test(country)) return undefined;
  const fields: Address = { country: country.toUpperCase() };
  const region = present(value.province_code) ?? present(value.province);
  if (region) fields.region = region.slice(0, 100);
  const city = present(value.city);
  if (city) fields.city = city.slice(0, 100);
  const postal = present(value.zip);
  if (postal) fields.postal_code = postal.slice(0, 20);
  const line1 = present(value.address1);
  if (line1) fields.line1 = line1.slice(0, 200);
  const line2 = present(value.address2);
  if (line2) fields.line2 = line2.slice(0, 200);
  return fields;
}

/**
 * First-touch parameters from the landing page Shopify recorded (`landing_site` is usually a path with
 * its query: `/products/serum?utm_source=…`) and the referring site, by the capture rail's own rules.
 */
export function landingMarketing(
  landingSite: string | null | undefined,
  referringSite: string | null | undefined,
): Record<string, string> {
  const landing = present(landingSite);
  let url = "";
  if (landing) {
    try {
      url = new URL(landing, "https://shop.invalid/").toString();
    } catch {
      url = "";
    }
  }
  const found = marketingParams({ fields: {}, url, referrer: present(referringSite) ?? null }, null);
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(marketingColumns(found)))
    if (value !== null) result[key] = value.slice(0, 512);
  for (const [key, value] of Object.entries(found.extra)) {
    const name = key.toLowerCase();
    if (/^[a-z0-9_]{1,40}$/.test(name) && result[name] === undefined) result[name] = value.slice(0, 512);
  }
  return result;
}

const intervals = ["day", "week", "month", "year"] as const;
type Interval = (typeof intervals)[number];

/** "Deliver every 2 weeks", "Monthly subscription, 10% off" → the billing interval; month when unsaid. */
export function sellingPlanInterval(texts: readonly (string | null | undefined)[]): {
  interval: Interval;
  interval_count: number;
} {
  for (const raw of texts) {
    const value = raw?.toLowerCase() ?? "";
    const every = /every\s+(\d{1,3})?\s*-?\s*(day|week|month|year)s?/.exec(value);
    if (every?.[2]) {
      const count = every[1] ? Number(every[1]) : 1;
      if (count >= 1 && count <= 365) return { interval: every[2] as Interval, interval_count: count };
    }
    const adjective = /\b(daily|weekly|monthly|yearly|annual|annually)\b/.exec(value)?.[1];
    if (adjective) {
      const byWord: Record<string, Interval> = {
        daily: "day",
        weekly: "week",
        monthly: "month",
        yearly: "year",
        annual: "year",
        annually: "year",
      };
      return { interval: byWord[adjective] ?? "month", interval_count: 1 };
    }
  }
  return { interval: "month", interval_count: 1 };
}

/** Orders Shopify creates for a contract's billing attempt (renewals), not at checkout. */
const renewalSources = new Set(["subscription_contract", "subscription_contract_checkout_one"]);

type OrderItem = NormalisedOrder["items"][number];

function subscriptionOf(
  line: z.infer<typeof lineItem>,
  order: ShopifyOrderPayload,
): OrderItem["subscription"] | undefined {
  const allocation = line.selling_plan_allocation;
  const planId = line.selling_plan_id ?? allocation?.selling_plan?.id ?? allocation?.selling_plan_id;
  if (planId === null || planId === undefined) return undefined;
  const plan = allocation?.selling_plan;
  const { interval, interval_count } = sellingPlanInterval([
    plan?.name,
    ...(plan?.options ?? []).map((option) => option.value),
  ]);
  // The orders webhook does not name the subscription contract; the customer, plan and variant together
  // identify it, and a renewal order carries the same three.
  const customerId = order.customer?.id;
  const externalId =
    customerId === null || customerId === undefined
      ? undefined
      : `${idText(customerId)}:${idText(planId)}:${line.variant_id === null || line.variant_id === undefined ? idText(line.id) : idText(line.variant_id)}`;
  const renew = renewalSources.has(order.source_name ?? "") && externalId !== undefined;
  return {
    action: renew ? "renew" : "create",
    ...(externalId === undefined ? {} : { external_id: externalId }),
    interval,
    interval_count,
  };
}

function paymentOf(order: ShopifyOrderPayload, total: number): NormalisedOrder["payment"] {
  const status = order.financial_status ?? "";
  if (status !== "paid" && status !== "partially_paid") return undefined;
  const placed = storeTime(order.processed_at ?? order.created_at, "processed_at");
  const settled = (order.transactions ?? []).filter(
    (entry) =>
      (entry.kind === "sale" || entry.kind === "capture") && (entry.status ?? "success") === "success",
  );
  if (settled.length > 0) {
    const paid = settled.reduce(
      (acc, entry, index) => acc + toMinorUnits(entry.amount, order.currency, `transactions.${index}.amount`),
      0,
    );
    const first = settled[0];
    if (paid <= 0 || !first) return undefined;
    return {
      amount: paid,
      method: (present(first.gateway) ?? present(order.payment_gateway_names?.[0]) ?? "shopify").slice(0, 32),
      ...(first.id === null || first.id === undefined ? {} : { external_id: idText(first.id) }),
      paid_at: first.processed_at ? storeTime(first.processed_at, "transactions.0.processed_at") : placed,
    };
  }
  // The orders/create payload carries no transactions: what is not outstanding has been paid.
  const outstanding =
    order.total_outstanding === null || order.total_outstanding === undefined
      ? 0
      : toMinorUnits(order.total_outstanding, order.currency, "total_outstanding");
  const paid = status === "paid" ? total : total - outstanding;
  if (paid <= 0) return undefined;
  return {
    amount: paid,
    method: (present(order.payment_gateway_names?.[0]) ?? present(order.gateway) ?? "shopify").slice(0, 32),
    paid_at: placed,
  };
}

/**
 * An `orders/create` payload as the normalised order. Line discounts are Shopify's discount allocations
 * (order-level codes included, as Shopify allocates them to lines); shipping is what the customer pays
 * for it after shipping discounts, with its tax. When the shop's prices include tax, each line's tax is
 * already inside its price, so `tax` is 0 and the totals still add up to `total_price`.
 */
export function shopifyOrderToNormalised(input: unknown, target: StoreTarget): NormalisedOrder {
  const order = parsePayload(shopifyOrderPayload, input, "");
  const currency = order.currency;
  const taxesIncluded = order.taxes_included === true;

  const email = present(order.email) ?? present(order.contact_email) ?? present(order.customer?.email);
  if (!email)
    throw new ValidationFailed([{ field: "email", category: "missing", message: "The order has no email." }]);

  const items: OrderItem[] = order.line_items.map((line, index) => {
    const field = `line_items.${index}`;
    const unitPrice = shopAmount(line.price, line.price_set, currency, `${field}.price`);
    const discount = (line.discount_allocations ?? []).reduce(
      (acc, allocation, at) =>
        acc +
        shopAmount(allocation.amount, allocation.amount_set, currency, `${field}.discount_allocations.${at}`),
      0,
    );
    const tax = taxesIncluded ? 0 : sumTaxes(line.tax_lines, currency, `${field}.tax_lines`);
    const item: OrderItem = {
      sku: shopifySku(line),
      name: (present(line.name) ?? line.title).slice(0, 200),
      offer: line.variant_id === null || line.variant_id === undefined ? "default" : idText(line.variant_id),
      quantity: line.quantity,
      unit_price: unitPrice,
      discount,
      tax,
    };
    const subscription = subscriptionOf(line, order);
    if (subscription) item.subscription = subscription;
    return item;
  });

  const shipping = (order.shipping_lines ?? [])
    .filter((line) => line.is_removed !== true)
    .reduce((acc, line, index) => {
      const field = `shipping_lines.${index}`;
      const charged = shopAmount(
        line.discounted_price ?? line.price,
        line.discounted_price_set ?? line.price_set,
        currency,
        `${field}.discounted_price`,
      );
      return acc + charged + (taxesIncluded ? 0 : sumTaxes(line.tax_lines, currency, `${field}.tax_lines`));
    }, 0);

  const coupons = new Map<string, number>();
  (order.discount_codes ?? []).forEach((code, index) => {
    const key = code.code.trim();
    if (!key) return;
    const value = toMinorUnits(code.amount, currency, `discount_codes.${index}.amount`);
    coupons.set(key, (coupons.get(key) ?? 0) + value);
  });

  const marketing = landingMarketing(order.landing_site, order.referring_site);
  const total = toMinorUnits(order.total_price, currency, "total_price");
  const customer = order.customer;
  const billing = order.billing_address;
  const firstName = present(customer?.first_name) ?? present(billing?.first_name);
  const lastName = present(customer?.last_name) ?? present(billing?.last_name);
  const phone = present(customer?.phone) ?? present(order.phone) ?? present(billing?.phone);

  const normalised: NormalisedOrder = {
    platform: "shopify",
    external_id: idText(order.id),
    brand: target.brand,
    market: target.market,
    currency,
    placed_at: storeTime(order.processed_at ?? order.created_at, "processed_at"),
    customer: {
      email,
      ...(firstName ? { first_name: firstName.slice(0, 100) } : {}),
      ...(lastName ? { last_name: lastName.slice(0, 100) } : {}),
      ...(phone ? { phone: phone.slice(0, 32) } : {}),
    },
    items,
    shipping,
    coupons: [...coupons].slice(0, 20).map(([code, discount]) => ({ code: code.slice(0, 64), discount })),
    marketing,
  };
  const billingAddress = toAddress(order.billing_address);
  if (billingAddress) normalised.billing_address = billingAddress;
  const shippingAddress = toAddress(order.shipping_address);
  if (shippingAddress) normalised.shipping_address = shippingAddress;
  const campaign = marketing.utm_campaign;
  if (campaign) normalised.campaign = campaign.slice(0, 128);
  const payment = paymentOf(order, total);
  if (payment) normalised.payment = payment;
  return normalised;
}

/**
 * One part of a Shopify refund: a product's share for the ledger's `refundProduct`, or the shipping
 * refunded for `refundShipping`.
 */
export type ShopifyRefundRequest = ShopifyRefundPart &
  ({ kind: "product"; sku: string } | { kind: "shipping" });

interface ShopifyRefundPart {
  /** The Shopify order id: with the brand, it finds the stored order and so the account. */
  orderExternalId: string;
  /**
   * `<refund id>:<refund line item id>`, or `<refund id>:shipping:<order adjustment id>`: the refund's
   * idempotency key in the ledger.
   */
  externalId: string;
  /** Minor units, tax included (see {@link shopifyRefundToRequests}). */
  amount: number;
  currency: string;
  refundedAt: string;
  reason?: string;
}

/**
 * A `refunds/create` payload as one refund request per refunded line with a non-zero amount. A line's
 * amount is its `subtotal` plus its `total_tax` — unless the order's prices included tax (`taxesIncluded`,
 * which the refund payload does not say; the caller knows it from the stored order), when `subtotal`
 * already holds the tax. Each `shipping_refund` order adjustment is a shipping refund of its `amount` and
 * `tax_amount` (negative in the payload), the tax again only when prices exclude it. Other adjustments
 * (`refund_discrepancy`: money returned beyond the lines, with nothing invoiced to credit) are left out.
 */
export function shopifyRefundToRequests(
  input: unknown,
  options: { currency: string; taxesIncluded: boolean },
): ShopifyRefundRequest[] {
  const refund = parsePayload(shopifyRefundPayload, input, "");
  const refundedAt = storeTime(refund.processed_at ?? refund.created_at, "processed_at");
  const reason = present(refund.note)?.slice(0, 500);
  const requests: ShopifyRefundRequest[] = [];
  const add = (
    part: { kind: "product"; sku: string } | { kind: "shipping" },
    key: string,
    amount: number,
    currency: string,
  ) => {
    if (amount <= 0) return;
    requests.push({
      ...part,
      orderExternalId: idText(refund.order_id),
      externalId: `${idText(refund.id)}:${key}`,
      amount,
      currency,
      refundedAt,
      ...(reason ? { reason } : {}),
    });
  };
  /** A tax amount to add, read by `read`: none when prices include tax or none is given. */
  const taxOf = (
    read: typeof shopAmount,
    value: string | number | null | undefined,
    set: z.infer<typeof moneySet>,
    currency: string,
    field: string,
  ) =>
    options.taxesIncluded || value === null || value === undefined ? 0 : read(value, set, currency, field);
  refund.refund_line_items.forEach((line, index) => {
    const field = `refund_line_items.${index}`;
    const currency = line.subtotal_set?.shop_money.currency_code ?? options.currency;
    const subtotal = shopAmount(line.subtotal, line.subtotal_set, currency, `${field}.subtotal`);
    const tax = taxOf(shopAmount, line.total_tax, line.total_tax_set, currency, `${field}.total_tax`);
    add({ kind: "product", sku: shopifySku(line.line_item) }, idText(line.id), subtotal + tax, currency);
  });
  (refund.order_adjustments ?? []).forEach((adjustment, index) => {
    if (adjustment.kind !== "shipping_refund") return;
    const field = `order_adjustments.${index}`;
    const currency = adjustment.amount_set?.shop_money.currency_code ?? options.currency;
    const shipping = refundedAmount(adjustment.amount, adjustment.amount_set, currency, `${field}.amount`);
    const tax = taxOf(
      refundedAmount,
      adjustment.tax_amount,
      adjustment.tax_amount_set,
      currency,
      `${field}.tax_amount`,
    );
    add({ kind: "shipping" }, `shipping:${idText(adjustment.id)}`, shipping + tax, currency);
  });
  return requests;
}

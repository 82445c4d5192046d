import { z } from "@hono/zod-openapi";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { NormalisedOrder } from "../schemas/order.ts";
import { idText, parsePayload, storeTime } from "./json.ts";
import { allocate, toMinorUnits } from "./money.ts";

/**
 * A Cafe24 Admin API order (`GET /api/v2/admin/orders/{order_id}?embed=items,receivers,buyer`, the
 * `order` object) to the normalised order. Pure: no I/O. Cafe24 writes every amount as a decimal string
 * ("32000.00" even for won) and dates in KST.
 */

const amount = z.union([z.string(), z.number()]);
const text = z.string().nullish();

const item = z.looseObject({
  order_item_code: text,
  product_no: z.union([z.number(), z.string()]).nullish(),
  product_code: z.string().min(1),
  custom_product_code: text,
  variant_code: text,
  custom_variant_code: text,
  product_name: z.string().min(1),
  option_value: text,
  product_price: amount,
  option_price: amount.nullish(),
  quantity: z.number().int().positive(),
  additional_discount_price: amount.nullish(),
  coupon_discount_price: amount.nullish(),
  app_item_discount_amount: amount.nullish(),
  subscription: text,
});

const orderAmount = z.looseObject({
  order_price_amount: amount.nullish(),
  shipping_fee: amount.nullish(),
  shipping_fee_discount_amount: amount.nullish(),
  coupon_shipping_fee_amount: amount.nullish(),
  points_spent_amount: amount.nullish(),
  credits_spent_amount: amount.nullish(),
  payment_amount: amount.nullish(),
  tax: amount.nullish(),
});

export const cafe24OrderPayload = z.looseObject({
  order_id: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  order_date: z.string().min(1),
  payment_date: text,
  member_email: text,
  paid: text,
  payment_method: z.union([z.array(z.string()), z.string()]).nullish(),
  include_tax: text,
  subscription: text,
  payment_amount: amount.nullish(),
  actual_order_amount: orderAmount.nullish(),
  tax_detail: z
    .array(
      z.looseObject({
        amount,
        price_before_tax_type: text,
        order_item_code: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
  buyer: z
    .looseObject({
      name: text,
      email: text,
      phone: text,
      cellphone: text,
      buyer_zipcode: text,
      buyer_address1: text,
      buyer_address2: text,
    })
    .nullish(),
  receivers: z
    .array(
      z.looseObject({
        zipcode: text,
        address1: text,
        address2: text,
        address_state: text,
        address_city: text,
        country_code: text,
      }),
    )
    .nullish(),
  items: z.array(item).min(1),
});
export type Cafe24OrderPayload = z.infer<typeof cafe24OrderPayload>;

export interface Cafe24Target {
  /** The brand's hash id. */
  brand: string;
  /** The market's code. */
  market: string;
  /** The market's country: Cafe24 addresses of a domestic mall name none. */
  country: string;
}

const present = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** Cafe24 dates are KST; a date written without an offset (`2026-05-20 09:30:00`) is read as +09:00. */
export function kstTime(value: string, field: string): string {
  const trimmed = value.trim().replace(" ", "T");
  const withZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? trimmed : `${trimmed}+09:00`;
  return storeTime(withZone, field);
}

type Address = NonNullable<NormalisedOrder["billing_address"]>;

function address(
  country: string,
  parts: {
    zip?: string | null;
    line1?: string | null;
    line2?: string | null;
    region?: string | null;
    city?: string | null;
  },
): Address | undefined {
  const line1 = present(parts.line1);
  if (!line1) return undefined;
  const result: Address = { country: country.toUpperCase(), line1: line1.slice(0, 200) };
  const line2 = present(parts.line2);
  if (line2) result.line2 = line2.slice(0, 200);
  const postal = present(parts.zip);
  if (postal) result.postal_code = postal.slice(0, 20);
  const region = present(parts.region);
  if (region) result.region = region.slice(0, 100);
  const city = present(parts.city);
  if (city) result.city = city.slice(0, 100);
  return result;
}

type OrderItem = NormalisedOrder["items"][number];

/**
 * The order as the normalised form. Per line: unit price = product price + option price; discount = the
 * line's own discounts (additional, product coupon, app) plus its share of the order-level discounts
 * (member grade, order coupons, …), which are not itemised: they are what remains between the lines and
 * what the customer was charged (`payment_amount` + points + credits), spread in proportion to each line.
 * Points and credits are store money the customer paid with, so the payment includes them. Prices of a
 * tax-inclusive mall (`include_tax` = T, every Korean mall) hold their VAT, so `tax` is 0; otherwise
 * `tax_detail` is spread over the lines it names, and its shipping part goes to shipping.
 */
export function cafe24OrderToNormalised(input: unknown, target: Cafe24Target): NormalisedOrder {
  const order = parsePayload(cafe24OrderPayload, input, "order");
  const currency = order.currency;
  const money = (value: string | number | null | undefined, field: string): number =>
    value === null || value === undefined || value === ""
      ? 0
      : toMinorUnits(value, currency, `order.${field}`);

  const email = present(order.member_email) ?? present(order.buyer?.email);
  if (!email)
    throw new ValidationFailed([
      { field: "order.member_email", category: "missing", message: "The order has no buyer email." },
    ]);

  const lines = order.items.map((line, index) => {
    const field = `items.${index}`;
    const unitPrice =
      money(line.product_price, `${field}.product_price`) + money(line.option_price, `${field}.option_price`);
    const ownDiscount =
      money(line.additional_discount_price, `${field}.additional_discount_price`) +
      money(line.coupon_discount_price, `${field}.coupon_discount_price`) +
      money(line.app_item_discount_amount, `${field}.app_item_discount_amount`);
    return { line, unitPrice, ownDiscount, gross: unitPrice * line.quantity };
  });

  const totals = order.actual_order_amount;
  const taxIncluded = (order.include_tax ?? "T") !== "F";
  let itemTax = lines.map(() => 0);
  let shippingTax = 0;
  if (!taxIncluded) {
    for (const [index, entry] of (order.tax_detail ?? []).entries()) {
      const value = money(entry.amount, `tax_detail.${index}.amount`);
      if (entry.price_before_tax_type === "S") {
        shippingTax += value;
        continue;
      }
      const codes = new Set(entry.order_item_code ?? []);
      const covered = lines.map(({ line }) =>
        codes.size === 0 || (line.order_item_code && codes.has(line.order_item_code)) ? 1 : 0,
      );
      const weights = lines.map(({ gross, ownDiscount }, at) =>
        covered[at] ? Math.max(0, gross - ownDiscount) : 0,
      );
      const shares = allocate(value, weights);
      itemTax = itemTax.map((tax, at) => tax + (shares[at] ?? 0));
    }
  }

  const shipping =
    money(totals?.shipping_fee, "actual_order_amount.shipping_fee") -
    money(totals?.shipping_fee_discount_amount, "actual_order_amount.shipping_fee_discount_amount") -
    money(totals?.coupon_shipping_fee_amount, "actual_order_amount.coupon_shipping_fee_amount") +
    shippingTax;
  if (shipping < 0)
    throw new ValidationFailed([
      {
        field: "order.actual_order_amount.shipping_fee_discount_amount",
        category: "out_of_range",
        message: "Shipping discounts exceed the shipping fee.",
      },
    ]);

  const charged =
    money(totals?.payment_amount ?? order.payment_amount, "actual_order_amount.payment_amount") +
    money(totals?.points_spent_amount, "actual_order_amount.points_spent_amount") +
    money(totals?.credits_spent_amount, "actual_order_amount.credits_spent_amount");
  const beforeOrderDiscounts =
    lines.reduce(
      (acc, { gross, ownDiscount }, index) => acc + gross - ownDiscount + (itemTax[index] ?? 0),
      0,
    ) + shipping;
  const orderDiscount = beforeOrderDiscounts - charged;
  if (orderDiscount < 0)
    throw new ValidationFailed([
      {
        field: "order.actual_order_amount.payment_amount",
        category: "out_of_range",
        message: "The amount charged is more than the lines, shipping and tax add up to.",
      },
    ]);
  const orderShares = allocate(
    orderDiscount,
    lines.map(({ gross, ownDiscount }) => Math.max(0, gross - ownDiscount)),
  );

  const items: OrderItem[] = lines.map(({ line, unitPrice, ownDiscount, gross }, index) => {
    const discount = ownDiscount + (orderShares[index] ?? 0);
    if (discount > gross)
      throw new ValidationFailed([
        {
          field: `order.items.${index}`,
          category: "out_of_range",
          message: "The line's discounts exceed its price.",
        },
      ]);
    const option = present(line.option_value);
    const name = option ? `${line.product_name} (${option})` : line.product_name;
    const result: OrderItem = {
      sku: (present(line.custom_product_code) ?? line.product_code).slice(0, 64),
      name: name.trim().slice(0, 200),
      offer: (present(line.custom_variant_code) ?? present(line.variant_code) ?? "default").slice(0, 64),
      quantity: line.quantity,
      unit_price: unitPrice,
      discount,
      tax: itemTax[index] ?? 0,
    };
    // Cafe24 marks a regular-delivery (정기배송) line; it names no subscription id, so each order starts one.
    if (line.subscription === "T") result.subscription = { action: "create" };
    return result;
  });

  const buyer = order.buyer;
  const name = present(buyer?.name);
  const phone = present(buyer?.cellphone) ?? present(buyer?.phone);
  const normalised: NormalisedOrder = {
    platform: "cafe24",
    external_id: idText(order.order_id),
    brand: target.brand,
    market: target.market,
    currency,
    placed_at: kstTime(order.order_date, "order.order_date"),
    customer: {
      email,
      // A Korean name is one string, family name first: it is kept whole rather than split.
      ...(name ? { first_name: name.slice(0, 100) } : {}),
      ...(phone ? { phone: phone.slice(0, 32) } : {}),
    },
    items,
    shipping,
    coupons: [],
    marketing: {},
  };
  const billing = address(target.country, {
    zip: buyer?.buyer_zipcode,
    line1: buyer?.buyer_address1,
    line2: buyer?.buyer_address2,
  });
  if (billing) normalised.billing_address = billing;
  const receiver = order.receivers?.[0];
  if (receiver) {
    const country = present(receiver.country_code);
    const shippingAddress = address(country && /^[A-Za-z]{2}$/.test(country) ? country : target.country, {
      zip: receiver.zipcode,
      line1: receiver.address1,
      line2: receiver.address2,
      region: receiver.address_state,
      city: receiver.address_city,
    });
    if (shippingAddress) normalised.shipping_address = shippingAddress;
  }
  if (order.paid === "T" && charged > 0) {
    const methods = Array.isArray(order.payment_method) ? order.payment_method : [order.payment_method];
    normalised.payment = {
      amount: charged,
      method: (present(methods[0] ?? undefined) ?? "cafe24").slice(0, 32),
      paid_at: kstTime(order.payment_date ?? order.order_date, "order.payment_date"),
    };
  }
  return normalised;
}

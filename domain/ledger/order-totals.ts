/** Amounts of one order line, in minor units. */
export interface PricedLine {
  quantity: number;
  unitPrice: number;
  discount: number;
  tax: number;
}

/** quantity × unit price − discount + tax (the order_items `total` check constraint says the same). */
export const lineTotal = (line: PricedLine): number =>
  line.quantity * line.unitPrice - line.discount + line.tax;

export interface OrderAmounts {
  subtotal: number;
  discountTotal: number;
  taxTotal: number;
  shippingTotal: number;
  /** subtotal − discount + tax + shipping: the amount the order's invoice bills. */
  total: number;
}

export function orderAmounts(lines: readonly PricedLine[], shipping: number): OrderAmounts {
  let subtotal = 0;
  let discountTotal = 0;
  let taxTotal = 0;
  for (const line of lines) {
    subtotal += line.quantity * line.unitPrice;
    discountTotal += line.discount;
    taxTotal += line.tax;
  }
  return {
    subtotal,
    discountTotal,
    taxTotal,
    shippingTotal: shipping,
    total: subtotal - discountTotal + taxTotal + shipping,
  };
}

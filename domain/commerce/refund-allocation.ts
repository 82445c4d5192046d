/**
 * An `order.refunded` event that names only an amount, spread over what its order can still be credited:
 * pure, so the applier (domain/commerce/order-refunds.ts) reads the order's invoice lines and turns the
 * parts into refunds (a product part through the waterfall, the shipping part on the order's shipping).
 */

/** One line of the order's invoice with what is left of it to credit. */
export interface CreditableOrderLine {
  kind: "product" | "shipping";
  /** The product billed and its SKU; null for shipping. */
  productId: number | null;
  sku: string | null;
  amount: number;
  /** What credit notes have already taken back from it. */
  credited: number;
}

export type RefundPart =
  | { kind: "product"; productId: number; sku: string; amount: number }
  | { kind: "shipping"; amount: number };

export type RefundAllocation =
  | { ok: true; parts: RefundPart[] }
  /** The order cannot take the amount: nothing is to be refunded. `refundable` is what it could take. */
  | { ok: false; refundable: number };

const rest = (line: CreditableOrderLine): number => Math.max(0, line.amount - line.credited);

/**
 * Splits `amount` over the order's lines still creditable: product lines in line order (the order given),
 * each up to what is left of it, then shipping. With `shipping` (what the event says of shipping was
 * refunded) that much is the shipping part and the rest goes to the product lines only. One part per
 * product (two lines of one SKU are one refund of it), in order of first appearance; the shipping part
 * last. The parts add up to `amount` exactly, or the allocation refuses.
 */
export function allocateRefund(
  lines: readonly CreditableOrderLine[],
  amount: number,
  shipping?: number,
): RefundAllocation {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new RangeError("A refund amount is a positive integer of minor units.");
  const products = lines.filter((line) => line.kind === "product");
  const shippingRest = lines.filter((line) => line.kind === "shipping").reduce((sum, l) => sum + rest(l), 0);
  const refundable = products.reduce((sum, line) => sum + rest(line), 0) + shippingRest;
  if (shipping !== undefined && (!Number.isSafeInteger(shipping) || shipping <= 0 || shipping > amount))
    throw new RangeError("A shipping part is a positive integer of minor units within the amount.");
  if (refundable < amount || (shipping !== undefined && shipping > shippingRest))
    return { ok: false, refundable };

  const byProduct = new Map<number, RefundPart & { kind: "product" }>();
  let remaining = amount - (shipping ?? 0);
  for (const line of products) {
    if (remaining === 0) break;
    const take = Math.min(remaining, rest(line));
    if (take === 0 || line.productId === null || line.sku === null) continue;
    remaining -= take;
    const part = byProduct.get(line.productId);
    if (part) part.amount += take;
    else
      byProduct.set(line.productId, {
        kind: "product",
        productId: line.productId,
        sku: line.sku,
        amount: take,
      });
  }
  const shippingPart = shipping ?? remaining;
  if (shipping !== undefined && remaining > 0) return { ok: false, refundable };
  const parts: RefundPart[] = [...byProduct.values()];
  if (shippingPart > 0) parts.push({ kind: "shipping", amount: shippingPart });
  return { ok: true, parts };
}

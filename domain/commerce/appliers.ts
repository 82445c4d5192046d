import { cartApplier } from "./carts.ts";
import { consentApplier } from "./consents.ts";
import { couponApplier } from "./coupons.ts";
import type { CommerceEventType } from "./event-types.ts";
import { fulfilmentApplier } from "./fulfilment.ts";
import { memberApplier } from "./members.ts";
import { orderCancelledApplier, orderCreatedApplier, orderPaidApplier } from "./order-appliers.ts";
import { orderRefundedApplier } from "./order-refunds.ts";
import { pointsApplier } from "./points.ts";
import { productApplier } from "./products.ts";
import { reviewApplier } from "./reviews.ts";
import type { CommerceApplier } from "./stored-event.ts";

/**
 * The appliers by type, run in this order (an order is created before what waits for it is applied, a
 * product is mapped before the reviews of it, and a cart finds the orders of its batch).
 * Adding a type's applier is one function and one line here; a type with none is stored `unapplied` and
 * applied later by re-running the appliers over the stored events (`applyStoredEvents`). An applier named
 * for several types (fulfilment) gets all their events at once, at its first line.
 *
 * Refunds and then a cancellation run after the payments, so a batch that pays, refunds part and cancels
 * an order pays back what is left: the cancellation credits what the refunds did not. Members come before
 * coupons, whose contact can be the member's.
 */
export const commerceAppliers: ReadonlyArray<readonly [CommerceEventType, CommerceApplier]> = [
  ["order.created", orderCreatedApplier],
  ["order.paid", orderPaidApplier],
  ["order.refunded", orderRefundedApplier],
  ["order.cancelled", orderCancelledApplier],
  ["order.shipped", fulfilmentApplier],
  ["order.delivered", fulfilmentApplier],
  ["order.returned", fulfilmentApplier],
  ["order.exchanged", fulfilmentApplier],
  ["consent.changed", consentApplier],
  ["member.joined", memberApplier],
  ["member.updated", memberApplier],
  ["member.withdrawn", memberApplier],
  ["coupon.issued", couponApplier],
  ["coupon.used", couponApplier],
  ["points.changed", pointsApplier],
  ["product.created", productApplier],
  ["product.updated", productApplier],
  ["review.posted", reviewApplier],
  ["cart.abandoned", cartApplier],
];

const registered = new Set<CommerceEventType>(commerceAppliers.map(([type]) => type));

/** Whether `type` has an applier (else its events are stored `unapplied`). */
export const hasApplier = (type: CommerceEventType): boolean => registered.has(type);

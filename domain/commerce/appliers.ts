import { consentApplier } from "./consents.ts";
import type { CommerceEventType } from "./event-types.ts";
import { fulfilmentApplier } from "./fulfilment.ts";
import { orderCancelledApplier, orderCreatedApplier, orderPaidApplier } from "./order-appliers.ts";
import { orderRefundedApplier } from "./order-refunds.ts";
import type { CommerceApplier } from "./stored-event.ts";

/**
 * The appliers by type, run in this order (an order is created before what waits for it is applied).
 * Adding a type's applier is one function and one line here; a type with none is stored `unapplied` and
 * applied later by re-running the appliers over the stored events (`applyStoredEvents`). An applier named
 * for several types (fulfilment) gets all their events at once, at its first line.
 *
 * Refunds and then a cancellation run after the payments, so a batch that pays, refunds part and cancels
 * an order pays back what is left: the cancellation credits what the refunds did not.
 *
 * Not yet: members, products, coupons, points, reviews and carts, which have no tables yet.
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
];

const registered = new Set<CommerceEventType>(commerceAppliers.map(([type]) => type));

/** Whether `type` has an applier (else its events are stored `unapplied`). */
export const hasApplier = (type: CommerceEventType): boolean => registered.has(type);

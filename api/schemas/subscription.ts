import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { subscriptionStates, subscriptionTransitions } from "../../domain/subscriptions/states.ts";
import type {
  Subscription,
  SubscriptionChange,
  SubscriptionDetail,
} from "../../domain/subscriptions/subscriptions.ts";
import { hashId, iso, isoOrNull, timestamp } from "./common.ts";

export const subscriptionState = z.enum(subscriptionStates).openapi({
  description:
    "draft → activation → pending → active ⇄ suspended; cancelled and expired are final. `allowed_transitions` lists the moves from the current state.",
  example: "active",
});

const nullableTimestamp = timestamp.nullable();

export const subscriptionSchema = z
  .object({
    id: hashId("Subscription id."),
    brand: hashId("Brand id."),
    account: hashId("The customer's brand account."),
    product: hashId("Product id."),
    offer: hashId("The product offer (plan) billed."),
    platform: z.string().openapi({ example: "shopify" }),
    external_id: z.string().nullable().openapi({ description: "The platform's subscription (contract) id." }),
    state: subscriptionState,
    occurrences: z
      .number()
      .int()
      .openapi({ description: "Billed periods so far (1 after the first order)." }),
    current_period_start: nullableTimestamp,
    current_period_end: nullableTimestamp,
    started_at: nullableTimestamp.openapi({ description: "When it first became active." }),
    ended_at: nullableTimestamp.openapi({ description: "When it was cancelled or expired." }),
    allowed_transitions: z.array(subscriptionState),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Subscription");
export type SubscriptionJson = z.infer<typeof subscriptionSchema>;

export const subscriptionChangeSchema = z
  .object({
    from_state: subscriptionState.nullable().openapi({ description: "Null for the change that created it." }),
    to_state: subscriptionState,
    occurrences: z.number().int(),
    source: z.string().openapi({ description: "`order`, `api` (a transition) or `batch` (expiry)." }),
    reason: z.string().nullable(),
    order_item: hashId("The order item that caused it (orders only).").nullable(),
    changed_at: timestamp,
  })
  .openapi("SubscriptionChange");

export const subscriptionPeriodSchema = z
  .object({
    number: z.number().int().openapi({ description: "1 for the first period." }),
    order: hashId("The order that billed it."),
    order_item: hashId("The order item that billed it."),
    period_start: timestamp,
    period_end: timestamp,
  })
  .openapi("SubscriptionPeriod");

export const subscriptionDetailSchema = subscriptionSchema
  .extend({
    history: z.array(subscriptionChangeSchema).openapi({ description: "Every change, in the order made." }),
    periods: z.array(subscriptionPeriodSchema).openapi({ description: "Every billed period, first first." }),
  })
  .openapi("SubscriptionDetail");
export type SubscriptionDetailJson = z.infer<typeof subscriptionDetailSchema>;

export const presentSubscription = (ids: HashIds, row: Subscription): SubscriptionJson => ({
  id: ids.encode("subscription", row.id),
  brand: ids.encode("brand", row.brandId),
  account: ids.encode("account", row.accountId),
  product: ids.encode("product", row.productId),
  offer: ids.encode("offer", row.offerId),
  platform: row.platform,
  external_id: row.externalId,
  state: row.state,
  occurrences: row.occurrences,
  current_period_start: isoOrNull(row.currentPeriodStart),
  current_period_end: isoOrNull(row.currentPeriodEnd),
  started_at: isoOrNull(row.startedAt),
  ended_at: isoOrNull(row.endedAt),
  allowed_transitions: [...subscriptionTransitions[row.state]],
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
});

const presentChange = (ids: HashIds, change: SubscriptionChange) => ({
  from_state: change.fromState,
  to_state: change.toState,
  occurrences: change.occurrences,
  source: change.source,
  reason: change.reason,
  order_item: change.orderItemId === null ? null : ids.encode("orderItem", change.orderItemId),
  changed_at: iso(change.changedAt),
});

export const presentSubscriptionDetail = (
  ids: HashIds,
  detail: SubscriptionDetail,
): SubscriptionDetailJson => ({
  ...presentSubscription(ids, detail),
  history: detail.history.map((change) => presentChange(ids, change)),
  periods: detail.periods.map((period) => ({
    number: period.number,
    order: ids.encode("order", period.orderId),
    order_item: ids.encode("orderItem", period.orderItemId),
    period_start: iso(period.periodStart),
    period_end: iso(period.periodEnd),
  })),
});

export const transitionBody = z
  .strictObject({
    to: subscriptionState.openapi({ description: "The state to move to." }),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: "Why, kept in the history.", example: "Customer asked to pause." }),
  })
  .openapi("SubscriptionTransition");

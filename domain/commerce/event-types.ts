import {
  type CommerceEventType,
  commerceEventStatuses,
  commerceEventTypes,
  consentChannels,
  consentStatuses,
} from "../../db/schema/commerce.ts";

export type {
  CommerceEventStatus,
  CommerceEventType,
  ConsentChannel,
  ConsentStatus,
} from "../../db/schema/commerce.ts";
/**
 * The 19 commerce event types (SPEC §9) and the consent vocabulary, as db/schema/commerce.ts declares
 * them for Postgres. A new type needs an entry there, its data schema (event-message.ts) and, to act on
 * it, an applier (appliers.ts).
 */
export { commerceEventStatuses, commerceEventTypes, consentChannels, consentStatuses };

/** The types that belong to one order: their data names it in `order_id`, and they wait for it. */
export const orderEventTypes: readonly CommerceEventType[] = commerceEventTypes.filter((type) =>
  type.startsWith("order."),
);

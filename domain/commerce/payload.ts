import { isNormalisedEmail, normaliseEmail, sha256Hex } from "../contacts/email.ts";
import type { CommerceEvent } from "./event-message.ts";

/**
 * The SHA-256 an event's email is kept as: of the address normalised as captures and orders normalise it,
 * so it joins `emails.sha256`; an address that does not normalise is hashed trimmed and lower-cased.
 */
export function commerceEmailHash(raw: string): string {
  const normalised = normaliseEmail(raw);
  return sha256Hex(isNormalisedEmail(normalised) ? normalised.address : raw.trim().toLowerCase());
}

/** The personal data fields a member event may carry, besides its email. */
const memberPersonFields = ["first_name", "last_name", "phone"] as const;

/**
 * What `commerce_events.payload` keeps of an event's data: everything but personal data. Emails become
 * `email_sha256`; an order's customer is reduced to that hash and its addresses are dropped (the order
 * rows keep them hashed through the identity tables, as every ingested order does); a member's name and
 * phone are dropped (the member row links them in personal_info).
 */
export function storedPayload(event: CommerceEvent): Record<string, unknown> {
  const data: Record<string, unknown> = { ...event.data };
  if (typeof data.email === "string") {
    data.email_sha256 = commerceEmailHash(data.email);
    delete data.email;
  }
  for (const field of memberPersonFields) delete data[field];
  if (event.type === "order.created" && event.data.order) {
    const { customer, billing_address: _billing, shipping_address: _shipping, ...order } = event.data.order;
    data.order = { ...order, customer: { email_sha256: commerceEmailHash(customer.email) } };
  }
  return data;
}

/** The platform's order id of an order event, which a `pending` event waits for. */
export function orderExternalIdOf(event: CommerceEvent): string | null {
  return event.type.startsWith("order.") &&
    "order_id" in event.data &&
    typeof event.data.order_id === "string"
    ? event.data.order_id
    : null;
}

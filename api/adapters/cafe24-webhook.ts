import { z } from "@hono/zod-openapi";
import type { CommerceEvent } from "../../domain/commerce/event-message.ts";
import type { CommerceEventType } from "../../domain/commerce/event-types.ts";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { kstTime } from "./cafe24.ts";
import { parsePayload } from "./json.ts";
import { toMinorUnits } from "./money.ts";
import { verifyShopifyHmac } from "./shopify-hmac.ts";

/**
 * Cafe24's own webhook (`{ event_no, resource: { mall_id, … } }`, as Cafe24's developer documentation's
 * "Event sample data" shows each event) to normalised commerce events. Pure: no I/O.
 *
 * The signature: `X-Cafe24-Hmac-SHA256`, the base64 of the HMAC-SHA256 of the raw body under the app's
 * client secret (`CAFE24_WEBHOOK_SECRET`), the same construction as Shopify's, so the same constant-time
 * check verifies it. Cafe24 sends no event id in the body, so an event's id is derived from what was
 * sent: `cafe24:<event_no>:<SHA-256 of the raw body>` (a redelivery of the same body is the same event).
 */
export const verifyCafe24Hmac = verifyShopifyHmac;
export const cafe24SignatureHeader = "x-cafe24-hmac-sha256";

/**
 * Cafe24 event numbers and what each becomes; data, so a number is one line (README, "Commerce events").
 *
 * Not mapped, from Cafe24's "Event sample data": no published event says a coupon was issued to or used
 * by a customer (90151–90154 are a coupon registered, edited and its issuance status changed, for the
 * whole store); 90033 is any board post, not a review (no product, no rating, and which board holds
 * reviews is each mall's setting); 90084 is an item added to a cart, not a cart abandoned.
 */
export const cafe24EventTypes: Readonly<Record<number, CommerceEventType>> = {
  90023: "order.created", // an order has been placed
  90024: "order.shipped", // an order's shipping status changed: M in transit is shipped, T delivered
  90025: "order.paid", // an order's payment status changed (applied only when `paid` is T)
  90026: "order.cancelled", // an order's cancellation status changed
  90027: "order.returned", // an order's return status changed
  90028: "order.exchanged", // an order's exchange status changed
  90029: "order.refunded", // an order's refund status changed
  90032: "member.joined", // a customer signed up (its `sms` and `news_mail` also become a consent.changed)
  90080: "member.updated", // a customer's account information changed
  90147: "member.withdrawn", // a customer's account was deleted
  90001: "product.created",
  90002: "product.updated",
  90148: "points.changed",
};

const text = z.string().nullish();
const number = z.union([z.number(), z.string()]);
export const cafe24WebhookPayload = z.looseObject({
  event_no: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(Number),
  resource: z.looseObject({
    mall_id: z.string().trim().min(1).max(64),
    order_id: text,
    member_id: text,
    currency: text,
    paid: text,
    shipping_status: text,
    payment_method: z.union([z.array(z.string()), z.string()]).nullish(),
    payment_date: text,
    order_date: text,
    cancel_date: text,
    created_date: text,
    updated_date: text,
    actual_payment_amount: number.nullish(),
    email: text,
    buyer_email: text,
    sms: text,
    news_mail: text,
    claim_reason: text,
    product_no: number.nullish(),
    product_code: text,
    product_name: text,
    name: text,
    cellphone: text,
    phone: text,
    price: number.nullish(),
    mileage_money: number.nullish(),
    avail_mileage: number.nullish(),
    issue_datetime: text,
    diff_key: z.array(z.string()).nullish(),
    group_no: number.nullish(),
  }),
});
export type Cafe24WebhookPayload = z.infer<typeof cafe24WebhookPayload>;

/** What one Cafe24 webhook becomes: its mall and events, and why a known event gave none. */
export interface Cafe24Mapped {
  mallId: string;
  events: CommerceEvent[];
  /** Reasons by count: `unmapped_event` (an event number not in the table), `not_paid`, … */
  skipped: Record<string, number>;
}

const present = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};
const integer = (value: number | string | null | undefined): number | undefined => {
  if (value === null || value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
};

/** Reads the raw body of a verified Cafe24 webhook; a mismatch is a 422 naming the field. */
export function parseCafe24Webhook(input: unknown): Cafe24WebhookPayload {
  return parsePayload(cafe24WebhookPayload, input, "");
}

/**
 * The normalised events of one Cafe24 webhook (`rawBody` is what was signed: it names the event). Times
 * without an offset are KST; an event without a time of its own is stamped `receivedAt`.
 */
export function cafe24ToCommerceEvents(
  payload: Cafe24WebhookPayload,
  rawBody: Uint8Array,
  receivedAt: Date,
): Cafe24Mapped {
  const r = payload.resource;
  const mapped: Cafe24Mapped = { mallId: r.mall_id, events: [], skipped: {} };
  const skip = (reason: string) => {
    mapped.skipped[reason] = (mapped.skipped[reason] ?? 0) + 1;
  };
  const type = cafe24EventTypes[payload.event_no];
  if (!type) {
    skip("unmapped_event");
    return mapped;
  }
  const id = `cafe24:${payload.event_no}:${sha256Hex(new TextDecoder().decode(rawBody))}`;
  const at = (value: string | null | undefined, field: string): string => {
    const given = present(value);
    return given ? kstTime(given, `resource.${field}`) : receivedAt.toISOString();
  };
  const orderId = present(r.order_id);
  const memberId = present(r.member_id);
  const email = present(r.email) ?? present(r.buyer_email);
  const needs = (value: string | undefined, field: string): value is string => {
    if (value === undefined) skip(`missing_${field}`);
    return value !== undefined;
  };
  switch (type) {
    case "order.created":
      if (needs(orderId, "order_id"))
        mapped.events.push({
          id,
          type,
          occurred_at: at(r.order_date, "order_date"),
          data: { order_id: orderId },
        });
      break;
    case "order.paid": {
      if (!needs(orderId, "order_id")) break;
      const currency = present(r.currency);
      if (r.paid !== "T") {
        skip("not_paid");
        break;
      }
      if (!needs(currency, "currency")) break;
      const amount = toMinorUnits(r.actual_payment_amount ?? "", currency, "resource.actual_payment_amount");
      if (amount === 0) {
        // Paid in points or credits only: no money reached the account.
        skip("zero_payment");
        break;
      }
      const method = (Array.isArray(r.payment_method) ? r.payment_method[0] : r.payment_method) ?? "unknown";
      mapped.events.push({
        id,
        type,
        occurred_at: at(r.payment_date, "payment_date"),
        data: {
          order_id: orderId,
          amount,
          currency,
          method: method.slice(0, 32) || "unknown",
          // One payment per order on Cafe24: a repeated status change does not pay twice.
          payment_id: `${orderId}:payment`,
        },
      });
      break;
    }
    case "order.shipped":
    case "order.delivered": {
      if (!needs(orderId, "order_id")) break;
      // 90024's `shipping_status`: F not yet shipped, M in transit, T delivered, W on hold. Without one the
      // event is taken as a shipment, as before the field was read.
      const status = present(r.shipping_status);
      if (status === "F" || status === "W") {
        skip("not_shipped");
        break;
      }
      mapped.events.push({
        id,
        type: status === "T" ? "order.delivered" : type,
        occurred_at: at(null, "updated_date"),
        data: { order_id: orderId },
      });
      break;
    }
    case "order.cancelled":
      if (needs(orderId, "order_id"))
        mapped.events.push({
          id,
          type,
          occurred_at: at(r.cancel_date, "cancel_date"),
          data: { order_id: orderId },
        });
      break;
    case "order.returned":
    case "order.exchanged": {
      if (!needs(orderId, "order_id")) break;
      const reason = present(r.claim_reason);
      mapped.events.push({
        id,
        type,
        occurred_at: at(null, "updated_date"),
        data: { order_id: orderId, ...(reason ? { reason: reason.slice(0, 500) } : {}) },
      });
      break;
    }
    case "order.refunded": {
      if (!needs(orderId, "order_id")) break;
      const currency = present(r.currency);
      if (!needs(currency, "currency")) break;
      const amount = toMinorUnits(r.actual_payment_amount ?? "", currency, "resource.actual_payment_amount");
      if (amount === 0) {
        skip("zero_refund");
        break;
      }
      mapped.events.push({
        id,
        type,
        occurred_at: at(null, "updated_date"),
        data: { order_id: orderId, amount, currency },
      });
      break;
    }
    case "member.joined": {
      if (!needs(memberId, "member_id")) break;
      const occurred = at(r.created_date, "created_date");
      const name = present(r.name);
      const phone = present(r.cellphone) ?? present(r.phone);
      mapped.events.push({
        id: `${id}:member`,
        type,
        occurred_at: occurred,
        data: {
          member_id: memberId,
          ...(email ? { email } : {}),
          // A Korean name is one string, family name first: kept whole, as the order adapter keeps it.
          ...(name ? { first_name: name.slice(0, 100) } : {}),
          ...(phone ? { phone: phone.slice(0, 32) } : {}),
        },
      });
      // Cafe24 asks for SMS and email marketing consent at sign-up: `sms` and `news_mail` are T or F.
      const consents = [
        ...(r.sms === "T" || r.sms === "F"
          ? [
              {
                channel: "sms" as const,
                status: r.sms === "T" ? ("granted" as const) : ("withdrawn" as const),
              },
            ]
          : []),
        ...(r.news_mail === "T" || r.news_mail === "F"
          ? [
              {
                channel: "email" as const,
                status: r.news_mail === "T" ? ("granted" as const) : ("withdrawn" as const),
              },
            ]
          : []),
      ];
      if (email && consents.length > 0)
        mapped.events.push({
          id: `${id}:consent`,
          type: "consent.changed",
          occurred_at: occurred,
          data: { email, member_id: memberId, consents, source: "cafe24:member_join" },
        });
      break;
    }
    case "member.updated":
      if (needs(memberId, "member_id"))
        mapped.events.push({
          id,
          type,
          occurred_at: at(null, "updated_date"),
          data: { member_id: memberId, ...(r.diff_key ? { changed: r.diff_key.slice(0, 50) } : {}) },
        });
      break;
    case "member.withdrawn": {
      // Cafe24 names the deleted accounts as one comma-separated list.
      const members = (memberId ?? "")
        .split(",")
        .map((m) => m.trim())
        .filter((m) => m !== "");
      if (members.length === 0) skip("missing_member_id");
      for (const member of members)
        mapped.events.push({
          id: `${id}:${member}`,
          type,
          occurred_at: at(null, "updated_date"),
          data: { member_id: member },
        });
      break;
    }
    case "product.created":
    case "product.updated": {
      const productNo =
        r.product_no === null || r.product_no === undefined ? undefined : String(r.product_no);
      if (!needs(productNo, "product_no")) break;
      const code = present(r.product_code);
      const name = present(r.product_name);
      mapped.events.push({
        id,
        type,
        occurred_at: at(type === "product.created" ? r.created_date : r.updated_date, "updated_date"),
        data: {
          product_id: productNo,
          ...(code ? { sku: code } : {}),
          ...(name ? { name: name.slice(0, 250) } : {}),
        },
      });
      break;
    }
    case "points.changed": {
      const delta = integer(r.mileage_money);
      if (!needs(memberId, "member_id") || delta === undefined) {
        if (delta === undefined) skip("missing_mileage_money");
        break;
      }
      const balance = integer(r.avail_mileage);
      mapped.events.push({
        id,
        type,
        occurred_at: at(r.issue_datetime, "issue_datetime"),
        data: { member_id: memberId, delta, ...(balance === undefined ? {} : { balance }) },
      });
      break;
    }
    default:
      skip("unmapped_event");
  }
  return mapped;
}

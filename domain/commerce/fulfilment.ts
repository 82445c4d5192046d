import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { FulfilmentStatus } from "../../db/schema/sales.ts";
import { recordset } from "../../db/sql.ts";
import { commerceEventData } from "./event-message.ts";
import type { CommerceEventType } from "./event-types.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf } from "./stored-event.ts";

/** The fulfilment event types and the order status each one means. */
export const fulfilmentStatusOf = {
  "order.shipped": "shipped",
  "order.delivered": "delivered",
  "order.returned": "returned",
  "order.exchanged": "exchanged",
} as const satisfies Partial<Record<CommerceEventType, FulfilmentStatus>>;
export type FulfilmentEventType = keyof typeof fulfilmentStatusOf;

const isFulfilmentType = (type: CommerceEventType): type is FulfilmentEventType => type in fulfilmentStatusOf;

type FulfilmentData = z.infer<(typeof commerceEventData)[FulfilmentEventType]>;

/** What a fulfilment event says beyond its order: the shipment, the carrier and tracking number, or why. */
const detailsOf = (data: FulfilmentData) => ({
  shipment_id: ("shipment_id" in data && data.shipment_id) || null,
  carrier: ("carrier" in data && data.carrier) || null,
  tracking_number: ("tracking_number" in data && data.tracking_number) || null,
  reason: ("reason" in data && data.reason) || null,
});

type MatchedRow = { event_id: string | number; order_id: string | number };

/**
 * `order.shipped`, `order.delivered`, `order.returned`, `order.exchanged` → the order's fulfilment status
 * with its history, for every fulfilment event of the batch in ONE statement: a history row per event
 * (once: keyed by the event), and `orders.fulfilment_status` moved to the batch's latest event of the
 * order by the time it happened, only when that is at least as recent as the one the order holds, so an
 * older event delivered late is history only. An event whose order is not stored yet stays `pending`; the
 * order's `order.created` applies it (same batch, or a later one).
 */
export const fulfilmentApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      if (!isFulfilmentType(event.type)) throw new Error(`not a fulfilment event: ${event.type}`);
      const { data, outcome } = dataOf(commerceEventData[event.type], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      rows.push({
        ord: rows.length,
        event_id: event.id,
        brand_id: event.brandId,
        platform: event.platform,
        external_id: data.order_id,
        status: fulfilmentStatusOf[event.type],
        occurred_at: event.occurredAt,
        ...detailsOf(data),
      });
    }
    if (rows.length === 0) return outcomes;
    const result = await ctx.tx.execute<{ matched: MatchedRow[] }>(sql`
      WITH input AS (
        SELECT * FROM ${recordset(
          rows,
          "ord integer, event_id bigint, brand_id bigint, platform text, external_id text, status text, occurred_at timestamptz, shipment_id text, carrier text, tracking_number text, reason text",
        )}
      ),
      matched AS (
        SELECT i.*, o.id AS order_id
          FROM input i
          JOIN orders o ON o.brand_id = i.brand_id AND o.platform = i.platform AND o.external_id = i.external_id
      ),
      history AS (
        INSERT INTO order_fulfilment_history (order_id, status, event_id, occurred_at, shipment_id, carrier,
                                              tracking_number, reason)
        SELECT order_id, status::order_fulfilment_status, event_id, occurred_at, shipment_id, carrier,
               tracking_number, reason
          FROM matched ORDER BY ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      ),
      latest AS (
        SELECT DISTINCT ON (order_id) order_id, status, occurred_at
          FROM matched ORDER BY order_id, occurred_at DESC, ord DESC
      ),
      moved AS (
        UPDATE orders o
           SET fulfilment_status = l.status::order_fulfilment_status, fulfilment_at = l.occurred_at
          FROM latest l
         WHERE o.id = l.order_id AND (o.fulfilment_at IS NULL OR o.fulfilment_at <= l.occurred_at)
        RETURNING o.id
      )
      SELECT (SELECT coalesce(jsonb_agg(jsonb_build_object('event_id', event_id, 'order_id', order_id)),
                              '[]'::jsonb) FROM matched) AS matched,
             (SELECT count(*) FROM history)::int AS history,
             (SELECT count(*) FROM moved)::int AS moved`);
    const orderOf = new Map(
      (result.rows[0]?.matched ?? []).map((r) => [Number(r.event_id), Number(r.order_id)]),
    );
    for (const row of rows) {
      const id = Number(row.event_id);
      const orderId = orderOf.get(id);
      outcomes.push(
        orderId === undefined
          ? { id, status: "pending", error: "Waiting for its order." }
          : { id, status: "applied", orderId },
      );
    }
    return outcomes;
  },
};

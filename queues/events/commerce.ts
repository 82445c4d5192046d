import { sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import { hasApplier } from "../../domain/commerce/appliers.ts";
import { runAppliers } from "../../domain/commerce/apply.ts";
import type { CommerceEventMessage } from "../../domain/commerce/event-message.ts";
import type { CommerceEventStatus, CommerceEventType } from "../../domain/commerce/event-types.ts";
import { orderExternalIdOf, storedPayload } from "../../domain/commerce/payload.ts";
import type { ApplyOutcome, StoredCommerceEvent } from "../../domain/commerce/stored-event.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";

export { type CommerceEventMessage, commerceEventMessage } from "../../domain/commerce/event-message.ts";

/** What storing and applying one batch of commerce events did. */
export interface CommerceBatchResult {
  received: number;
  /** New commerce_events rows. */
  stored: number;
  /** Already stored (same store and platform event id, earlier or earlier in this batch): nothing done. */
  duplicates: number;
  /** Naming a store that is no longer registered: dropped, and logged. */
  unknownStores: number;
  applied: number;
  pending: number;
  unapplied: number;
  failed: number;
  /** Events stored earlier that waited for an order (or a product's SKU) this batch brought, applied now. */
  released: number;
  /** Sale postback jobs the ledger made, for the relay queue after COMMIT. */
  relayJobIds: number[];
  /** Emails whose brand relationships the member events created or moved: the knowledge index, after COMMIT. */
  refreshEmailIds: number[];
}

const columns =
  "ord integer, store_id bigint, platform_event_id text, type text, order_external_id text, occurred_at timestamptz, received_at timestamptz, payload jsonb, status text";

type StoredRow = {
  id: number | string;
  ord: number | null;
  storeId: number | string;
  brandId: number | string;
  platform: string;
  marketCode: string;
  platformEventId: string;
  type: CommerceEventType;
  occurredAt: string;
  orderExternalId: string | null;
  payload: unknown;
};

/**
 * Stores a batch of commerce events and applies them, inside the caller's transaction. Statement 1 stores
 * every event once (ON CONFLICT (store_id, platform_event_id) DO NOTHING, with its store's brand and the
 * data without personal data) and returns the new rows plus the `pending` events of the orders this batch
 * creates. Then the appliers run over the new events (as received) and those waiting ones (as stored):
 * the consents in one statement, the ledger verbs one order or payment at a time. The last statement
 * writes every outcome. A redelivered event is not new, so it changes nothing.
 */
export async function storeCommerceEvents(
  tx: Transaction,
  messages: readonly CommerceEventMessage[],
  ids: HashIds,
): Promise<CommerceBatchResult> {
  const result: CommerceBatchResult = {
    received: messages.length,
    stored: 0,
    duplicates: 0,
    unknownStores: 0,
    applied: 0,
    pending: 0,
    unapplied: 0,
    failed: 0,
    released: 0,
    relayJobIds: [],
    refreshEmailIds: [],
  };
  if (messages.length === 0) return result;
  const rows = messages.map((message, ord) => ({
    ord,
    store_id: message.storeId,
    platform_event_id: message.event.id,
    type: message.event.type,
    order_external_id: orderExternalIdOf(message.event),
    occurred_at: message.event.occurred_at,
    received_at: message.receivedAt,
    payload: storedPayload(message.event),
    status: hasApplier(message.event.type) ? "pending" : "unapplied",
  }));
  const stored = await tx.execute<{ known: number; inserted: StoredRow[]; waiting: StoredRow[] }>(sql`
    WITH input AS (SELECT * FROM ${recordset(rows, columns)}),
    known AS (
      SELECT DISTINCT ON (i.store_id, i.platform_event_id) i.*, s.brand_id, s.platform, m.code AS market_code
        FROM input i JOIN stores s ON s.id = i.store_id JOIN markets m ON m.id = s.market_id
       ORDER BY i.store_id, i.platform_event_id, i.ord
    ),
    inserted AS (
      INSERT INTO commerce_events (store_id, brand_id, platform, platform_event_id, type, order_external_id,
                                   occurred_at, received_at, payload, status, error)
      SELECT store_id, brand_id, platform, platform_event_id, type::commerce_event_type, order_external_id,
             occurred_at, received_at, payload, status::commerce_event_status,
             CASE WHEN status = 'unapplied' THEN 'No applier for this type yet.' END
        FROM known ORDER BY ord
      ON CONFLICT (store_id, platform_event_id) DO NOTHING
      RETURNING id, store_id, platform_event_id
    ),
    fresh AS (
      SELECT n.id, k.ord, k.store_id, k.brand_id, k.platform, k.market_code, k.platform_event_id, k.type,
             k.occurred_at, k.order_external_id
        FROM inserted n JOIN known k ON k.store_id = n.store_id AND k.platform_event_id = n.platform_event_id
    ),
    waiting AS (
      SELECT c.id, NULL::integer AS ord, c.store_id, c.brand_id, c.platform, m.code AS market_code,
             c.platform_event_id, c.type::text AS type, c.occurred_at, c.order_external_id, c.payload
        FROM commerce_events c
        JOIN stores s ON s.id = c.store_id JOIN markets m ON m.id = s.market_id
       WHERE c.status = 'pending'
         AND (c.store_id, c.order_external_id) IN
             (SELECT store_id, order_external_id FROM fresh WHERE type = 'order.created')
    )
    SELECT (SELECT count(*) FROM input i WHERE EXISTS (SELECT 1 FROM stores s WHERE s.id = i.store_id))::int
             AS known,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'ord', ord, 'storeId', store_id,
          'brandId', brand_id, 'platform', platform, 'marketCode', market_code,
          'platformEventId', platform_event_id, 'type', type, 'occurredAt', occurred_at,
          'orderExternalId', order_external_id) ORDER BY ord), '[]'::jsonb) FROM fresh) AS inserted,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'ord', ord, 'storeId', store_id,
          'brandId', brand_id, 'platform', platform, 'marketCode', market_code,
          'platformEventId', platform_event_id, 'type', type, 'occurredAt', occurred_at,
          'orderExternalId', order_external_id, 'payload', payload) ORDER BY id), '[]'::jsonb)
         FROM waiting) AS waiting`);
  const row = stored.rows[0];
  if (!row) throw new Error("the commerce events statement returned no row");
  result.stored = row.inserted.length;
  result.unknownStores = messages.length - row.known;
  result.duplicates = row.known - row.inserted.length;
  result.released = row.waiting.length;
  const events = [
    ...row.inserted.map((r) => storedEvent(r, messages[r.ord ?? -1]?.event.data)),
    ...row.waiting.map((r) => storedEvent(r, r.payload)),
  ];
  const outcomes = await runAppliers(
    { tx, ids, relayJobIds: result.relayJobIds, refreshEmailIds: result.refreshEmailIds },
    events,
  );
  await writeOutcomes(tx, outcomes);
  const releasedIds = new Set(row.waiting.map((r) => Number(r.id)));
  for (const outcome of outcomes) {
    if (releasedIds.has(outcome.id) && outcome.status === "pending") result.released -= 1;
    if (outcome.released && outcome.status !== "pending") result.released += 1;
    if (releasedIds.has(outcome.id) || outcome.released) continue;
    result[outcome.status] += 1;
  }
  return result;
}

/**
 * What re-running the appliers did, by outcome: of the events considered, and of those an applier released
 * along with them (pending events it was not given, see `ApplyOutcome.released`).
 */
export interface ReapplyResult {
  considered: number;
  applied: number;
  pending: number;
  unapplied: number;
  failed: number;
  relayJobIds: number[];
  /** As {@link CommerceBatchResult.refreshEmailIds}: for the caller to refresh after COMMIT. */
  refreshEmailIds: number[];
}

/**
 * Runs the appliers again over a store's stored events with these statuses, oldest first, at most `limit`
 * (in the caller's transaction; three statements): what a new applier can now act on, or payments whose
 * order arrived another way (`POST /api/v1/orders/cafe24`). The data is the stored payload, so what was
 * left out of it (an order's customer, an email) cannot be applied from it: such an event fails, saying so.
 */
export async function applyStoredEvents(
  tx: Transaction,
  ids: HashIds,
  filter: { storeId: number; statuses: readonly CommerceEventStatus[]; limit?: number },
): Promise<ReapplyResult> {
  const statuses = sql.join(
    filter.statuses.map((status) => sql`${status}`),
    sql`, `,
  );
  const found = await tx.execute<StoredRow>(sql`
    SELECT c.id, NULL AS ord, c.store_id AS "storeId", c.brand_id AS "brandId", c.platform,
           m.code AS "marketCode", c.platform_event_id AS "platformEventId", c.type::text AS type,
           c.occurred_at AS "occurredAt", c.order_external_id AS "orderExternalId", c.payload
      FROM commerce_events c JOIN stores s ON s.id = c.store_id JOIN markets m ON m.id = s.market_id
     WHERE c.store_id = ${filter.storeId} AND c.status::text IN (${statuses})
     ORDER BY c.id
     LIMIT ${filter.limit ?? 1000}`);
  const result: ReapplyResult = {
    considered: found.rows.length,
    applied: 0,
    pending: 0,
    unapplied: 0,
    failed: 0,
    relayJobIds: [],
    refreshEmailIds: [],
  };
  const events = found.rows.map((r) => storedEvent(r, r.payload));
  const outcomes = await runAppliers(
    { tx, ids, relayJobIds: result.relayJobIds, refreshEmailIds: result.refreshEmailIds },
    events,
  );
  await writeOutcomes(tx, outcomes);
  for (const outcome of outcomes) result[outcome.status] += 1;
  return result;
}

function storedEvent(r: StoredRow, data: unknown): StoredCommerceEvent {
  return {
    id: Number(r.id),
    storeId: Number(r.storeId),
    brandId: Number(r.brandId),
    platform: r.platform,
    marketCode: r.marketCode,
    platformEventId: r.platformEventId,
    type: r.type,
    occurredAt: new Date(r.occurredAt).toISOString(),
    orderExternalId: r.orderExternalId,
    data,
  };
}

/** Every outcome in one statement; `applied_at` set when an event is applied. */
async function writeOutcomes(tx: Transaction, outcomes: readonly ApplyOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await tx.execute(sql`
    UPDATE commerce_events c
       SET status = r.status::commerce_event_status,
           error = r.error,
           order_id = coalesce(r.order_id, c.order_id),
           applied_at = CASE WHEN r.status = 'applied' THEN now() ELSE c.applied_at END
      FROM ${recordset(
        outcomes.map((o) => ({
          id: o.id,
          status: o.status,
          error: o.error ?? null,
          order_id: o.orderId ?? null,
        })),
        "id bigint, status text, error text, order_id bigint",
      )}
     WHERE c.id = r.id`);
}

import { sql } from "drizzle-orm";
import { recordset } from "../../db/sql.ts";
import { RetryableConflict } from "../core/transaction.ts";
import { commerceEventData } from "./event-message.ts";
import type { CommerceEventType } from "./event-types.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf } from "./stored-event.ts";

/** The product event types; their data has one shape. */
export const productEventTypes = [
  "product.created",
  "product.updated",
] as const satisfies readonly CommerceEventType[];
type ProductEventType = (typeof productEventTypes)[number];

const isProductType = (type: CommerceEventType): type is ProductEventType =>
  (productEventTypes as readonly CommerceEventType[]).includes(type);

/** Why a product event is `pending`, and what releases it. */
export const waitingForSku =
  "Waiting for the product's SKU: a product.created or product.updated of this product naming one.";

type ResolvedRow = { event_id: string | number; product_id: string | number | null; waited: boolean };

/**
 * The newest value of `column` among a platform product's fresh events: by when they happened, then the
 * event given in this batch over one that waited, then the later in the batch.
 */
const newest = (column: string, when = `f.${column} IS NOT NULL`) =>
  sql.raw(
    `(array_agg(f.${column} ORDER BY f.occurred_at DESC, f.waited, f.ord DESC, f.event_id DESC) FILTER (WHERE ${when}))[1]`,
  );

/**
 * `product.created`, `product.updated` → the brand's catalog product (the `products` rows order ingestion
 * resolves SKUs against) and the store's mapping of the platform's product to it, for every product event
 * of the batch in ONE statement:
 * - the events of one platform product newer than its mapping (`store_products.changed_at`) are folded,
 *   each field the newest one that names it (an event without a price keeps the price);
 * - the product is found or created by (brand, SKU): the fold's SKU, else the mapped product's; its name
 *   is the newest event's name when that is newer than the one that last named it (`name_changed_at`),
 *   and the SKU when a new product's events name none;
 * - the mapping points at it with the price (in the event's currency, else the store market's) and the
 *   time of the newest event; an older event delivered late moves nothing: it is history only;
 * - a history row per event (once: keyed by the event), and the store's reviews of the platform product
 *   linked to the product it now is.
 * An event that names no SKU for a product never mapped cannot be applied yet: it stays `pending`, and the
 * first event of that product naming a SKU releases it (the statement reads the store's waiting events of
 * the platform products it is given, and folds them in by when they happened).
 */
export const productApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      if (!isProductType(event.type)) throw new Error(`not a product event: ${event.type}`);
      const { data, outcome } = dataOf(commerceEventData[event.type], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      rows.push({
        ord: rows.length,
        event_id: event.id,
        brand_id: event.brandId,
        store_id: event.storeId,
        type: event.type,
        platform_product_id: data.product_id,
        sku: data.sku ?? null,
        name: data.name ?? null,
        price: data.price ?? null,
        currency: data.price === undefined ? null : (data.currency ?? null),
        occurred_at: event.occurredAt,
      });
    }
    if (rows.length === 0) return outcomes;
    const result = await ctx.tx.execute<{ wanted: number; found: number; resolved: ResolvedRow[] }>(sql`
      WITH given AS (
        SELECT r.*, false AS waited FROM ${recordset(
          rows,
          "ord integer, event_id bigint, brand_id bigint, store_id bigint, type text, platform_product_id text, sku text, name text, price bigint, currency text, occurred_at timestamptz",
        )}
      ),
      waiting AS (
        SELECT NULL::integer AS ord, c.id AS event_id, c.brand_id, c.store_id, c.type::text AS type,
               c.payload->>'product_id' AS platform_product_id, c.payload->>'sku' AS sku,
               c.payload->>'name' AS name, (c.payload->>'price')::bigint AS price,
               c.payload->>'currency' AS currency, c.occurred_at, true AS waited
          FROM commerce_events c
         WHERE c.status = 'pending' AND c.type IN ('product.created', 'product.updated')
           AND (c.store_id, c.payload->>'product_id') IN (SELECT store_id, platform_product_id FROM given)
           AND c.id NOT IN (SELECT event_id FROM given)
      ),
      market AS (
        SELECT s.id AS store_id, m.currency FROM stores s JOIN markets m ON m.id = s.market_id
         WHERE s.id IN (SELECT store_id FROM given)
      ),
      input AS (
        SELECT u.ord, u.event_id, u.brand_id, u.store_id, u.type, u.platform_product_id, u.sku, u.name,
               u.price, CASE WHEN u.price IS NOT NULL THEN coalesce(u.currency, mk.currency) END AS currency,
               u.occurred_at, u.waited
          FROM (SELECT * FROM given UNION ALL SELECT * FROM waiting) u
          JOIN market mk ON mk.store_id = u.store_id
      ),
      cur AS (
        SELECT sp.store_id, sp.platform_product_id, sp.product_id, sp.price, sp.currency, sp.changed_at,
               p.sku AS product_sku
          FROM store_products sp JOIN products p ON p.id = sp.product_id
         WHERE (sp.store_id, sp.platform_product_id) IN (SELECT store_id, platform_product_id FROM given)
      ),
      fresh AS (
        SELECT i.* FROM input i
          LEFT JOIN cur c ON c.store_id = i.store_id AND c.platform_product_id = i.platform_product_id
         WHERE c.changed_at IS NULL OR c.changed_at <= i.occurred_at
      ),
      folded AS (
        SELECT f.store_id, f.platform_product_id, min(f.brand_id) AS brand_id,
               ${newest("sku")} AS sku, ${newest("name")} AS name,
               max(f.occurred_at) FILTER (WHERE f.name IS NOT NULL) AS named_at,
               ${newest("price")} AS price, ${newest("currency", "f.price IS NOT NULL")} AS currency,
               max(f.occurred_at) AS changed_at, ${newest("event_id", "true")} AS event_id
          FROM fresh f GROUP BY f.store_id, f.platform_product_id
      ),
      want AS (
        SELECT fo.store_id, fo.platform_product_id, fo.brand_id, coalesce(fo.sku, c.product_sku) AS sku,
               fo.name, fo.named_at,
               CASE WHEN fo.price IS NOT NULL THEN fo.price ELSE c.price END AS price,
               CASE WHEN fo.price IS NOT NULL THEN fo.currency ELSE c.currency END AS currency,
               fo.changed_at, fo.event_id
          FROM folded fo
          LEFT JOIN cur c ON c.store_id = fo.store_id AND c.platform_product_id = fo.platform_product_id
         WHERE coalesce(fo.sku, c.product_sku) IS NOT NULL
      ),
      named AS (
        SELECT DISTINCT ON (brand_id, sku) brand_id, sku, name, named_at
          FROM want ORDER BY brand_id, sku, named_at DESC NULLS LAST
      ),
      pr_new AS (
        INSERT INTO products AS p (brand_id, name, sku, name_changed_at)
        SELECT brand_id, coalesce(name, sku), sku, named_at FROM named ORDER BY brand_id, sku
        ON CONFLICT (brand_id, sku) DO UPDATE
           SET name = EXCLUDED.name, name_changed_at = EXCLUDED.name_changed_at
         WHERE EXCLUDED.name_changed_at IS NOT NULL
           AND (p.name_changed_at IS NULL OR p.name_changed_at <= EXCLUDED.name_changed_at)
        RETURNING p.id, p.brand_id, p.sku
      ),
      pr AS (
        SELECT id, brand_id, sku FROM pr_new
        UNION
        SELECT p.id, p.brand_id, p.sku FROM products p JOIN named n ON n.brand_id = p.brand_id AND n.sku = p.sku
      ),
      target AS (
        SELECT w.*, pr.id AS product_id FROM want w JOIN pr ON pr.brand_id = w.brand_id AND pr.sku = w.sku
      ),
      mapped AS (
        INSERT INTO store_products AS sp (store_id, platform_product_id, product_id, price, currency,
                                          changed_at, event_id)
        SELECT store_id, platform_product_id, product_id, price, currency, changed_at, event_id FROM target
         ORDER BY store_id, platform_product_id
        ON CONFLICT (store_id, platform_product_id) DO UPDATE
           SET product_id = EXCLUDED.product_id, price = EXCLUDED.price, currency = EXCLUDED.currency,
               changed_at = EXCLUDED.changed_at, event_id = EXCLUDED.event_id, updated_at = now()
         WHERE sp.changed_at <= EXCLUDED.changed_at
        RETURNING sp.store_id, sp.platform_product_id, sp.product_id
      ),
      resolved AS (
        SELECT i.*, coalesce(t.product_id, c.product_id) AS product_id
          FROM input i
          LEFT JOIN target t ON t.store_id = i.store_id AND t.platform_product_id = i.platform_product_id
          LEFT JOIN cur c ON c.store_id = i.store_id AND c.platform_product_id = i.platform_product_id
      ),
      history AS (
        INSERT INTO store_product_history (store_id, platform_product_id, product_id, event_id, type, sku,
                                           name, price, currency, occurred_at)
        SELECT store_id, platform_product_id, product_id, event_id, type::commerce_event_type, sku, name,
               price, currency, occurred_at
          FROM resolved WHERE product_id IS NOT NULL ORDER BY event_id
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      ),
      reviewed AS (
        UPDATE reviews r SET product_id = m.product_id, updated_at = now()
          FROM mapped m
         WHERE r.store_id = m.store_id AND r.platform_product_id = m.platform_product_id
           AND r.product_id IS DISTINCT FROM m.product_id
        RETURNING r.id
      )
      SELECT (SELECT count(*) FROM named)::int AS wanted,
             (SELECT count(*) FROM pr)::int AS found,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('event_id', event_id, 'product_id', product_id,
                                                           'waited', waited)), '[]'::jsonb)
                FROM resolved) AS resolved,
             (SELECT count(*) FROM history)::int AS history,
             (SELECT count(*) FROM reviewed)::int AS reviewed`);
    const counts = result.rows[0];
    // A product another transaction created meanwhile is not in this statement's snapshot.
    if (!counts || counts.found !== counts.wanted)
      throw new RetryableConflict("a product was being created by another transaction");
    for (const row of counts.resolved) {
      const id = Number(row.event_id);
      if (row.waited) {
        // A waiting event still without a SKU keeps its row as it is.
        if (row.product_id !== null) outcomes.push({ id, status: "applied", released: true });
        continue;
      }
      outcomes.push(
        row.product_id === null ? { id, status: "pending", error: waitingForSku } : { id, status: "applied" },
      );
    }
    return outcomes;
  },
};

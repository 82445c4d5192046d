import { sql } from "drizzle-orm";
import { recordset } from "../../db/sql.ts";
import { commerceEventData } from "./event-message.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf } from "./stored-event.ts";

/**
 * `review.posted` → the store's review, for every review event of the batch in ONE statement: one row per
 * (store, the platform's review id), written by the newest event of it by when it happened (a review
 * posted again, edited, moves it; an older event delivered late does not). Its product is the catalog
 * product the platform's product maps to (`store_products`) when it is mapped; when it is not yet, the
 * product's event links it (domain/commerce/products.ts). A review is applied whatever it names: it waits
 * for nothing.
 */
export const reviewApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      const { data, outcome } = dataOf(commerceEventData["review.posted"], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      rows.push({
        ord: rows.length,
        event_id: event.id,
        brand_id: event.brandId,
        store_id: event.storeId,
        review_id: data.review_id,
        product_id: data.product_id ?? null,
        member_id: data.member_id ?? null,
        rating: data.rating ?? null,
        posted_at: event.occurredAt,
      });
      outcomes.push({ id: event.id, status: "applied" });
    }
    if (rows.length === 0) return outcomes;
    await ctx.tx.execute(sql`
      WITH input AS (
        SELECT * FROM ${recordset(
          rows,
          "ord integer, event_id bigint, brand_id bigint, store_id bigint, review_id text, product_id text, member_id text, rating smallint, posted_at timestamptz",
        )}
      ),
      latest AS (
        SELECT DISTINCT ON (store_id, review_id) * FROM input
         ORDER BY store_id, review_id, posted_at DESC, ord DESC
      )
      INSERT INTO reviews AS rv (brand_id, store_id, platform_review_id, platform_product_id, product_id,
                                 member_external_id, rating, posted_at, event_id)
      SELECT l.brand_id, l.store_id, l.review_id, l.product_id, sp.product_id, l.member_id, l.rating,
             l.posted_at, l.event_id
        FROM latest l
        LEFT JOIN store_products sp ON sp.store_id = l.store_id AND sp.platform_product_id = l.product_id
       ORDER BY l.store_id, l.review_id
      ON CONFLICT (store_id, platform_review_id) DO UPDATE
         SET platform_product_id = coalesce(EXCLUDED.platform_product_id, rv.platform_product_id),
             product_id = CASE WHEN EXCLUDED.platform_product_id IS NULL THEN rv.product_id
                               ELSE EXCLUDED.product_id END,
             member_external_id = coalesce(EXCLUDED.member_external_id, rv.member_external_id),
             rating = coalesce(EXCLUDED.rating, rv.rating),
             posted_at = EXCLUDED.posted_at, event_id = EXCLUDED.event_id, updated_at = now()
       WHERE rv.posted_at <= EXCLUDED.posted_at`);
    return outcomes;
  },
};

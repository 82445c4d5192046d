import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import { emailHashes, isNormalisedEmail, normaliseEmail } from "../contacts/email.ts";
import { RetryableConflict } from "../core/transaction.ts";
import { commerceEventData } from "./event-message.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf } from "./stored-event.ts";

/**
 * The cart's data as received, or as stored (payload.ts keeps the email as `email_sha256`): re-applied from
 * the store, the cart finds the contact of an email already known by its hash, and creates none.
 */
const cartData = commerceEventData["cart.abandoned"].extend({
  email_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
type CartData = z.infer<typeof cartData>;

/**
 * What the event says of the cart's total: its own; else, when it lists the items, Σ quantity × unit price
 * if every item has a price (unknown if one has none); else nothing (`keep`: the stored total stays).
 */
export function cartTotalOf(data: Pick<CartData, "total" | "items">): {
  total: number | null;
  keep: boolean;
} {
  if (data.total !== undefined) return { total: data.total, keep: false };
  if (data.items === undefined) return { total: null, keep: true };
  let total = 0;
  for (const item of data.items) {
    if (item.unit_price === undefined) return { total: null, keep: false };
    total += item.quantity * item.unit_price;
  }
  return { total, keep: false };
}

/**
 * The first order of cart `c`'s contact in the cart's brand placed after the cart was abandoned: what
 * recovers it. Through the contact's accounts (`brand_client_accounts_contact_idx`), then their orders by
 * time (`orders_account_idx`).
 */
const recoveringOrder = (c: string) =>
  sql.raw(`LATERAL (
    SELECT o.id, o.placed_at FROM brand_client_accounts a JOIN orders o ON o.account_id = a.id
     WHERE a.contact_id = ${c}.contact_id AND o.brand_id = ${c}.brand_id AND o.placed_at > ${c}.abandoned_at
     ORDER BY o.placed_at, o.id LIMIT 1) rec`);

/**
 * `cart.abandoned` → the store's abandoned cart, for every cart event of the batch in ONE statement: the
 * contact found or created by the email's hash (emails, contacts; the address is kept only there, as
 * consents.ts does), then one row per (store, the platform's cart id) written by the newest event of it by
 * when it happened: a later abandonment replaces the items and total (what it leaves out is kept), an older
 * one delivered late changes nothing. The cart is recovered in the same statement when its contact's order
 * came first (an order placed after `abandoned_at`, delivered before the cart's event); an order placed
 * later recovers it through `recoverAbandonedCarts`. Events whose email does not normalise fail, naming it.
 */
export const cartApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      const { data, outcome } = dataOf(cartData, event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      let email: {
        address: string | null;
        domain: string | null;
        sha256: string | null;
        md5: string | null;
      } = { address: null, domain: null, sha256: data.email_sha256 ?? null, md5: null };
      if (data.email !== undefined) {
        const normalised = normaliseEmail(data.email);
        if (!isNormalisedEmail(normalised)) {
          outcomes.push({
            id: event.id,
            status: "failed",
            error: `email: not a usable address (${normalised}).`,
          });
          continue;
        }
        email = {
          address: normalised.address,
          domain: normalised.domain,
          ...emailHashes(normalised.address),
        };
      }
      const { total, keep } = cartTotalOf(data);
      rows.push({
        ord: rows.length,
        event_id: event.id,
        brand_id: event.brandId,
        store_id: event.storeId,
        cart_id: data.cart_id,
        member_id: data.member_id ?? null,
        ...email,
        currency: data.currency ?? null,
        total,
        keep_total: keep,
        items: data.items ?? null,
        abandoned_at: event.occurredAt,
      });
      outcomes.push({ id: event.id, status: "applied" });
    }
    if (rows.length === 0) return outcomes;
    const result = await ctx.tx.execute<{ wanted: number; linked: number }>(sql`
      WITH input AS (
        SELECT * FROM ${recordset(
          rows,
          "ord integer, event_id bigint, brand_id bigint, store_id bigint, cart_id text, member_id text, address text, domain text, sha256 char(64), md5 char(32), currency text, total bigint, keep_total boolean, items jsonb, abandoned_at timestamptz",
        )}
      ),
      em_new AS (
        INSERT INTO emails (address, domain, sha256, md5)
        SELECT DISTINCT ON (sha256) address, domain, sha256, md5 FROM input WHERE address IS NOT NULL
         ORDER BY sha256
        ON CONFLICT DO NOTHING
        RETURNING id, sha256
      ),
      em AS (
        SELECT id, sha256 FROM em_new
        UNION ALL
        SELECT e.id, e.sha256 FROM emails e WHERE e.sha256 IN (SELECT sha256 FROM input)
      ),
      ct_new AS (
        INSERT INTO contacts (email_id)
        SELECT id FROM em
        ON CONFLICT (email_id) DO NOTHING
        RETURNING id, email_id
      ),
      ct AS (
        SELECT ct_new.id, em.sha256 FROM ct_new JOIN em ON em.id = ct_new.email_id
        UNION ALL
        SELECT c.id, em.sha256 FROM contacts c JOIN em ON em.id = c.email_id
      ),
      linked AS (
        SELECT i.*, ct.id AS contact_id FROM input i LEFT JOIN ct ON ct.sha256 = i.sha256
      ),
      latest AS (
        SELECT DISTINCT ON (l.store_id, l.cart_id) l.*
          FROM linked l ORDER BY l.store_id, l.cart_id, l.abandoned_at DESC, l.ord DESC
      ),
      cart AS (
        SELECT l.brand_id, l.store_id, l.cart_id, l.event_id, l.abandoned_at,
               coalesce(l.contact_id, ex.contact_id) AS contact_id,
               coalesce(l.member_id, ex.member_external_id) AS member_id,
               coalesce(l.currency, ex.currency, m.currency) AS currency,
               CASE WHEN l.keep_total THEN ex.total ELSE l.total END AS total,
               coalesce(l.items, ex.items, '[]'::jsonb) AS items
          FROM latest l
          JOIN stores s ON s.id = l.store_id JOIN markets m ON m.id = s.market_id
          LEFT JOIN abandoned_carts ex ON ex.store_id = l.store_id AND ex.platform_cart_id = l.cart_id
      ),
      written AS (
        INSERT INTO abandoned_carts AS ac (brand_id, store_id, platform_cart_id, contact_id, member_external_id,
                                           currency, total, items, abandoned_at, recovered_order_id,
                                           recovered_at, event_id)
        SELECT c.brand_id, c.store_id, c.cart_id, c.contact_id, c.member_id, c.currency, c.total, c.items,
               c.abandoned_at, rec.id, rec.placed_at, c.event_id
          FROM cart c LEFT JOIN ${recoveringOrder("c")} ON true
         ORDER BY c.store_id, c.cart_id
        ON CONFLICT (store_id, platform_cart_id) DO UPDATE
           SET contact_id = EXCLUDED.contact_id, member_external_id = EXCLUDED.member_external_id,
               currency = EXCLUDED.currency, total = EXCLUDED.total, items = EXCLUDED.items,
               abandoned_at = EXCLUDED.abandoned_at, recovered_order_id = EXCLUDED.recovered_order_id,
               recovered_at = EXCLUDED.recovered_at, event_id = EXCLUDED.event_id, updated_at = now()
         WHERE ac.abandoned_at <= EXCLUDED.abandoned_at
        RETURNING ac.id
      )
      SELECT (SELECT count(*) FROM input WHERE address IS NOT NULL)::int AS wanted,
             (SELECT count(*) FROM linked WHERE address IS NOT NULL AND contact_id IS NOT NULL)::int AS linked,
             (SELECT count(*) FROM written)::int AS written`);
    const counts = result.rows[0];
    // An email or contact another transaction created meanwhile is not in this statement's snapshot.
    if (!counts || counts.linked !== counts.wanted)
      throw new RetryableConflict("an email or contact was being created by another transaction");
    return outcomes;
  },
};

/**
 * Marks the brand's carts not yet recovered (abandoned since `abandonedSince`, when given) whose contact has
 * since placed an order in the brand, with the first such order: one statement, whatever the count. Orders
 * come through the API, the Shopify webhooks and the commerce events alike, so recovery is derived here
 * from the orders rather than written by each path; the funnel calls it before it counts, and it is safe to
 * run again (a recovered cart is left alone). Returns how many carts it marked.
 */
export async function recoverAbandonedCarts(
  db: Pick<Executor, "execute">,
  scope: { brandId: number; abandonedSince?: Date },
): Promise<number> {
  const since = scope.abandonedSince?.toISOString() ?? null;
  const result = await db.execute<{ id: number }>(sql`
    UPDATE abandoned_carts ac SET recovered_order_id = r.order_id, recovered_at = r.placed_at, updated_at = now()
      FROM (SELECT c.id, rec.id AS order_id, rec.placed_at
              FROM abandoned_carts c CROSS JOIN ${recoveringOrder("c")}
             WHERE c.brand_id = ${scope.brandId} AND c.recovered_order_id IS NULL AND c.contact_id IS NOT NULL
               AND (${since}::timestamptz IS NULL OR c.abandoned_at >= ${since}::timestamptz)) r
     WHERE ac.id = r.id
    RETURNING ac.id`);
  return result.rows.length;
}

import { sql } from "drizzle-orm";
import { recordset } from "../../db/sql.ts";
import { commerceEventData } from "./event-message.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf } from "./stored-event.ts";

const columns =
  "ord integer, event_id bigint, platform_event_id text, brand_id bigint, store_id bigint, member_id text, delta bigint, platform_balance bigint, reason text, at timestamptz";

/**
 * `points.changed` → the member's points ledger and balance (db/schema/members.ts), for every event of
 * the batch in two statements. Statement 1 creates or locks the batch's member_points rows (in key
 * order), so a concurrent batch of the same member waits and statement 2 sees its ledger rows. Statement
 * 2: a ledger row per event (once: keyed by the event); the running balance of every row of the member
 * recomputed in event-time order (ties by the platform's event id), so a change delivered late moves the
 * `balance_after` of those that happened after it and any delivery order ends with the same rows; each
 * row the platform gave a balance flagged when that balance differs from the computed one; and the
 * member's balance: the platform's latest reported balance plus the deltas after it (the platform is
 * authoritative), or the computed sum when it never reported one, flagged when the two differ. Every
 * event that parses is `applied`.
 */
export const pointsApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const event of events) {
      const { data, outcome } = dataOf(commerceEventData["points.changed"], event);
      if (outcome) {
        outcomes.push(outcome);
        continue;
      }
      rows.push({
        ord: rows.length,
        event_id: event.id,
        platform_event_id: event.platformEventId,
        brand_id: event.brandId,
        store_id: event.storeId,
        member_id: data.member_id,
        delta: data.delta,
        platform_balance: data.balance ?? null,
        reason: data.reason ?? null,
        at: event.occurredAt,
      });
      outcomes.push({ id: event.id, status: "applied" });
    }
    if (rows.length === 0) return outcomes;
    const input = recordset(rows, columns);
    await ctx.tx.execute(sql`
      INSERT INTO member_points AS mp (store_id, brand_id, member_external_id)
      SELECT DISTINCT ON (store_id, member_id) store_id, brand_id, member_id
        FROM ${input}
       ORDER BY store_id, member_id
      ON CONFLICT (store_id, member_external_id) DO UPDATE SET member_external_id = mp.member_external_id`);
    await ctx.tx.execute(sql`
      WITH input AS (SELECT * FROM ${input}),
      fresh AS (
        SELECT i.* FROM input i WHERE NOT EXISTS (SELECT 1 FROM points_ledger p WHERE p.event_id = i.event_id)
      ),
      every AS (
        SELECT p.id AS ledger_id, p.event_id, p.store_id, p.member_external_id AS member_id, p.delta,
               p.platform_balance, p.occurred_at, ce.platform_event_id
          FROM points_ledger p JOIN commerce_events ce ON ce.id = p.event_id
         WHERE (p.store_id, p.member_external_id) IN (SELECT store_id, member_id FROM fresh)
        UNION ALL
        SELECT NULL::bigint, event_id, store_id, member_id, delta, platform_balance, at, platform_event_id
          FROM fresh
      ),
      running AS (
        SELECT e.*,
               sum(e.delta) OVER (PARTITION BY e.store_id, e.member_id ORDER BY e.occurred_at, e.platform_event_id
                                  ROWS UNBOUNDED PRECEDING) AS computed
          FROM every e
      ),
      inserted AS (
        INSERT INTO points_ledger (brand_id, store_id, member_external_id, delta, balance_after, platform_balance,
                                   balance_mismatch, reason, occurred_at, event_id)
        SELECT f.brand_id, f.store_id, f.member_id, f.delta, r.computed, f.platform_balance,
               coalesce(f.platform_balance <> r.computed, false), f.reason, f.at, f.event_id
          FROM fresh f JOIN running r ON r.ledger_id IS NULL AND r.event_id = f.event_id
         ORDER BY f.ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      ),
      rebalanced AS (
        UPDATE points_ledger p
           SET balance_after = r.computed, balance_mismatch = coalesce(p.platform_balance <> r.computed, false)
          FROM running r
         WHERE p.id = r.ledger_id AND p.balance_after <> r.computed
        RETURNING p.id
      ),
      totals AS (
        SELECT store_id, member_id, sum(delta) AS computed, count(*)::int AS entries, max(occurred_at) AS last_at,
               (array_agg(platform_balance ORDER BY occurred_at DESC, platform_event_id DESC)
                  FILTER (WHERE platform_balance IS NOT NULL))[1] AS reported,
               (array_agg(occurred_at ORDER BY occurred_at DESC, platform_event_id DESC)
                  FILTER (WHERE platform_balance IS NOT NULL))[1] AS reported_at,
               (array_agg(computed ORDER BY occurred_at DESC, platform_event_id DESC)
                  FILTER (WHERE platform_balance IS NOT NULL))[1] AS computed_then
          FROM running GROUP BY store_id, member_id
      ),
      current AS (
        UPDATE member_points mp
           SET balance = coalesce(t.reported + (t.computed - t.computed_then), t.computed),
               computed_balance = t.computed,
               platform_balance = t.reported,
               platform_balance_at = t.reported_at,
               mismatch = coalesce(t.reported <> t.computed_then, false),
               entries = t.entries,
               last_change_at = t.last_at,
               updated_at = now()
          FROM totals t
         WHERE mp.store_id = t.store_id AND mp.member_external_id = t.member_id
        RETURNING mp.id
      )
      SELECT (SELECT count(*) FROM inserted)::int AS inserted,
             (SELECT count(*) FROM rebalanced)::int AS rebalanced,
             (SELECT count(*) FROM current)::int AS current`);
    return outcomes;
  },
};

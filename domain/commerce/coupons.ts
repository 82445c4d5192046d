import { sql } from "drizzle-orm";
import type { z } from "zod";
import { recordset } from "../../db/sql.ts";
import { normaliseCouponCode } from "../ledger/orders.ts";
import { commerceEventData } from "./event-message.ts";
import { commerceEmailHash } from "./payload.ts";
import { type ApplyOutcome, type CommerceApplier, dataOf, type StoredCommerceEvent } from "./stored-event.ts";

const columns =
  "ord integer, event_id bigint, type text, brand_id bigint, store_id bigint, platform text, coupon_id text, code text, member_id text, sha256 char(64), order_external_id text, discount bigint, at timestamptz";

type CouponData = z.infer<(typeof commerceEventData)["coupon.issued" | "coupon.used"]>;

type CouponRow = {
  ord: number;
  event_id: number;
  type: "coupon.issued" | "coupon.used";
  brand_id: number;
  store_id: number;
  platform: string;
  coupon_id: string;
  code: string | null;
  member_id: string | null;
  sha256: string | null;
  order_external_id: string | null;
  discount: number | null;
  at: string;
};

function couponRow(event: StoredCommerceEvent, ord: number): { row: CouponRow } | { outcome: ApplyOutcome } {
  if (event.type !== "coupon.issued" && event.type !== "coupon.used")
    throw new Error(`not a coupon event: ${event.type}`);
  // Re-run from what was stored (applyStoredEvents), the email is only its hash, which is all this needs.
  const { email_sha256: storedHash, ...received } =
    typeof event.data === "object" && event.data !== null ? (event.data as Record<string, unknown>) : {};
  const parsed = dataOf<CouponData>(commerceEventData[event.type], { ...event, data: received });
  if (parsed.outcome) return { outcome: parsed.outcome };
  const data = parsed.data;
  return {
    row: {
      ord,
      event_id: event.id,
      type: event.type,
      brand_id: event.brandId,
      store_id: event.storeId,
      platform: event.platform,
      coupon_id: data.coupon_id,
      code: data.code === undefined ? null : normaliseCouponCode(data.code),
      member_id: data.member_id ?? null,
      sha256:
        data.email === undefined
          ? typeof storedHash === "string"
            ? storedHash
            : null
          : commerceEmailHash(data.email),
      order_external_id: ("order_id" in data && data.order_id) || null,
      discount: "discount" in data && data.discount !== undefined ? data.discount : null,
      at: event.occurredAt,
    },
  };
}

/**
 * `coupon.issued` → coupon_issues, `coupon.used` → coupon_uses, for every coupon event of the batch in ONE
 * statement, once per event (keyed by it). The code is upper-cased as the ledger stores order coupons
 * (`normaliseCouponCode`), for the acquisition engine to read beside them. The contact is the event's
 * email's when that email is known, else the member's (members.ts) when the member has one; neither is
 * created for a coupon. A use names its order's row when that order is stored by then (an order in the
 * same batch is: orders apply first), and its discount in the order's currency, else the store's market's.
 * Every event that parses is `applied`.
 */
export const couponApplier: CommerceApplier = {
  async apply(ctx, events) {
    const outcomes: ApplyOutcome[] = [];
    const rows: CouponRow[] = [];
    for (const event of events) {
      const made = couponRow(event, rows.length);
      if ("outcome" in made) {
        outcomes.push(made.outcome);
        continue;
      }
      rows.push(made.row);
      outcomes.push({ id: event.id, status: "applied" });
    }
    if (rows.length === 0) return outcomes;
    await ctx.tx.execute(sql`
      WITH input AS (SELECT * FROM ${recordset(rows, columns)}),
      linked AS (
        SELECT i.*, coalesce(c.id, m.contact_id) AS contact_id, o.id AS order_id,
               CASE WHEN i.discount IS NOT NULL THEN coalesce(o.currency, mk.currency) END AS currency
          FROM input i
          JOIN stores s ON s.id = i.store_id
          JOIN markets mk ON mk.id = s.market_id
          LEFT JOIN emails e ON e.sha256 = i.sha256
          LEFT JOIN contacts c ON c.email_id = e.id
          LEFT JOIN members m ON m.store_id = i.store_id AND m.external_id = i.member_id
          LEFT JOIN orders o
            ON o.brand_id = i.brand_id AND o.platform = i.platform AND o.external_id = i.order_external_id
      ),
      issued AS (
        INSERT INTO coupon_issues (brand_id, store_id, coupon_external_id, code, member_external_id, contact_id,
                                   issued_at, event_id)
        SELECT brand_id, store_id, coupon_id, code, member_id, contact_id, at, event_id
          FROM linked WHERE type = 'coupon.issued' ORDER BY ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      ),
      used AS (
        INSERT INTO coupon_uses (brand_id, store_id, coupon_external_id, code, member_external_id, contact_id,
                                 order_external_id, order_id, discount, currency, used_at, event_id)
        SELECT brand_id, store_id, coupon_id, code, member_id, contact_id, order_external_id, order_id, discount,
               currency, at, event_id
          FROM linked WHERE type = 'coupon.used' ORDER BY ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      )
      SELECT (SELECT count(*) FROM issued)::int AS issued, (SELECT count(*) FROM used)::int AS used`);
    return outcomes;
  },
};

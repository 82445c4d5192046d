import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { applyStoredEvents } from "../../queues/events/commerce.ts";
import issuedText from "../fixtures/commerce/coupon-issued.json?raw";
import usedText from "../fixtures/commerce/coupon-used.json?raw";
import joinedText from "../fixtures/commerce/member-joined.json?raw";
import orderText from "../fixtures/commerce/order-created.json?raw";
import pointsText from "../fixtures/commerce/points-changed.json?raw";
import { ids, rand, withDb } from "../support/api.ts";
import { applyCommerce, type CommerceShop, commerceShop, sendCommerce } from "../support/commerce.ts";
import { consumeEventsBatch } from "../support/events-batch.ts";

type Json = Record<string, unknown>;
type Row<K extends string> = Record<K, unknown> & Json;
const fixture = (text: string, overrides: Json = {}, data: Json = {}): Json => {
  const event = JSON.parse(text) as Json;
  return { ...event, ...overrides, data: { ...(event.data as Json), ...data } };
};
const iso = (value: unknown): string => new Date(value instanceof Date ? value : String(value)).toISOString();

async function contactIdOf(email: string): Promise<number | null> {
  const result = await withDb((db) =>
    db.execute<{ id: number }>(sql`
      SELECT c.id FROM contacts c JOIN emails e ON e.id = c.email_id WHERE e.sha256 = ${sha256Hex(email)}`),
  );
  return result.rows[0] ? Number(result.rows[0].id) : null;
}

describe("coupon events", () => {
  async function issues(store: CommerceShop) {
    const result = await withDb((db) =>
      db.execute<Row<"code" | "member_external_id" | "contact_id" | "issued_at">>(sql`
        SELECT coupon_external_id, code, member_external_id, contact_id, issued_at FROM coupon_issues
         WHERE store_id = ${store.storeId} AND brand_id = ${store.brand.internal} ORDER BY issued_at, id`),
    );
    return result.rows.map((r) => ({
      ...r,
      contact_id: r.contact_id === null ? null : Number(r.contact_id),
      issued_at: iso(r.issued_at),
    }));
  }

  async function uses(store: CommerceShop) {
    const result = await withDb((db) =>
      db.execute<Row<"code" | "contact_id" | "order_external_id" | "discount" | "currency" | "used_at">>(sql`
        SELECT u.coupon_external_id, u.code, u.member_external_id, u.contact_id, u.order_external_id,
               o.external_id AS order_row, u.discount::int AS discount, u.currency, u.used_at
          FROM coupon_uses u LEFT JOIN orders o ON o.id = u.order_id
         WHERE u.store_id = ${store.storeId} AND u.brand_id = ${store.brand.internal} ORDER BY u.used_at, u.id`),
    );
    return result.rows.map((r) => ({
      ...r,
      contact_id: r.contact_id === null ? null : Number(r.contact_id),
      used_at: iso(r.used_at),
    }));
  }

  it("coupon.issued and coupon.used: one row each, the code upper-cased, the member's contact, the order when stored", async () => {
    const store = await commerceShop("cafe24");
    const email = `minji.${rand()}@example.com`;
    await applyCommerce(store, [fixture(joinedText, {}, { email })]);
    const counts = await applyCommerce(store, [
      fixture(issuedText),
      fixture(orderText),
      fixture(usedText),
      fixture(
        usedText,
        { id: "use-unknown-order", occurred_at: "2026-12-05T00:00:00Z" },
        { order_id: "SO-999" },
      ),
    ]);
    expect(counts).toMatchObject({ stored: 4, applied: 4, failed: 0 });
    const contactId = await contactIdOf(email);
    expect(contactId).not.toBeNull();
    expect(await issues(store)).toEqual([
      {
        coupon_external_id: "6073127700000000013",
        code: "MINJI-WELCOME10",
        member_external_id: "minji88",
        contact_id: contactId,
        issued_at: "2026-12-04T01:00:00.000Z",
      },
    ]);
    expect(await uses(store)).toEqual([
      {
        coupon_external_id: "6073127700000000013",
        code: "MINJI-WELCOME10",
        member_external_id: "minji88",
        contact_id: contactId,
        order_external_id: "SO-100231",
        order_row: "SO-100231",
        discount: 4000,
        currency: "KRW",
        used_at: "2026-12-04T02:05:00.000Z",
      },
      {
        coupon_external_id: "6073127700000000013",
        code: "MINJI-WELCOME10",
        member_external_id: "minji88",
        contact_id: contactId,
        order_external_id: "SO-999",
        order_row: null,
        discount: 4000,
        currency: "KRW",
        used_at: "2026-12-05T00:00:00.000Z",
      },
    ]);
    // The code is the one the order's own coupon row carries, as the acquisition engine reads it.
    const orderCoupon = await withDb((db) =>
      db.execute<{ code: string }>(sql`
        SELECT c.code FROM order_coupons oc JOIN coupons c ON c.id = oc.coupon_id
          JOIN orders o ON o.id = oc.order_id
         WHERE o.brand_id = ${store.brand.internal} AND o.external_id = 'SO-100231'`),
    );
    expect(orderCoupon.rows.map((r) => r.code)).toEqual(["WELCOME10"]);
  });

  it("the same coupon event twice (in one batch, and redelivered) is one row; an email names a known contact", async () => {
    const store = await commerceShop("cafe24");
    const email = `jisoo.${rand()}@example.com`;
    await applyCommerce(store, [fixture(joinedText, {}, { email, member_id: "jisoo_p" })]);
    const issued = fixture(
      issuedText,
      { id: "issue-by-email" },
      { member_id: undefined, email: email.toUpperCase(), code: "vip-2026" },
    );
    const used = fixture(
      usedText,
      { id: "use-no-member" },
      { member_id: undefined, order_id: undefined, discount: undefined },
    );
    await consumeEventsBatch(await sendCommerce(store, [issued, issued, used]));
    expect(await applyCommerce(store, [issued, used])).toMatchObject({ stored: 0, duplicates: 2 });
    expect((await issues(store)).map((r) => [r.code, r.member_external_id, r.contact_id])).toEqual([
      ["VIP-2026", null, await contactIdOf(email)],
    ]);
    expect(
      (await uses(store)).map((r) => [r.code, r.contact_id, r.order_external_id, r.discount, r.currency]),
    ).toEqual([["MINJI-WELCOME10", null, null, null, null]]);
    // An issue stored before there was an applier is applied from its payload, the contact by the hash.
    await withDb((db) =>
      db.execute(sql`
        INSERT INTO commerce_events (store_id, brand_id, platform, platform_event_id, type, occurred_at, payload,
                                     status)
        VALUES (${store.storeId}, ${store.brand.internal}, 'cafe24', 'legacy-issue', 'coupon.issued',
                '2026-11-01T00:00:00Z',
                ${JSON.stringify({ coupon_id: "c-legacy", code: "old10", email_sha256: sha256Hex(email) })}::jsonb,
                'unapplied')`),
    );
    const rerun = await withDb((db) =>
      db.transaction((tx) => applyStoredEvents(tx, ids, { storeId: store.storeId, statuses: ["unapplied"] })),
    );
    expect(rerun).toMatchObject({ considered: 1, applied: 1 });
    expect((await issues(store)).map((r) => [r.code, r.contact_id, r.issued_at])).toEqual([
      ["OLD10", await contactIdOf(email), "2026-11-01T00:00:00.000Z"],
      ["VIP-2026", await contactIdOf(email), "2026-12-04T01:00:00.000Z"],
    ]);
  });
});

describe("points events", () => {
  type LedgerRow = {
    platform_event_id: string;
    delta: number;
    balance_after: number;
    platform_balance: number | null;
    balance_mismatch: boolean;
  };

  async function ledger(store: CommerceShop, memberId = "minji88"): Promise<LedgerRow[]> {
    const result = await withDb((db) =>
      db.execute<LedgerRow>(sql`
        SELECT ce.platform_event_id, p.delta::int AS delta, p.balance_after::int AS balance_after,
               p.platform_balance::int AS platform_balance, p.balance_mismatch
          FROM points_ledger p JOIN commerce_events ce ON ce.id = p.event_id
         WHERE p.store_id = ${store.storeId} AND p.member_external_id = ${memberId}
         ORDER BY p.occurred_at, ce.platform_event_id`),
    );
    return result.rows;
  }

  async function balance(store: CommerceShop, memberId = "minji88") {
    const result = await withDb((db) =>
      db.execute<
        Row<"balance" | "computed_balance" | "mismatch" | "platform_balance_at" | "last_change_at">
      >(sql`
        SELECT balance::int AS balance, computed_balance::int AS computed_balance,
               platform_balance::int AS platform_balance, platform_balance_at, mismatch, entries, last_change_at
          FROM member_points WHERE store_id = ${store.storeId} AND member_external_id = ${memberId}`),
    );
    return result.rows.map((r) => ({
      ...r,
      platform_balance_at: r.platform_balance_at === null ? null : iso(r.platform_balance_at),
      last_change_at: iso(r.last_change_at),
    }));
  }

  const change = (id: string, at: string, delta: number, platformBalance?: number) =>
    fixture(
      pointsText,
      { id, occurred_at: at },
      { delta, balance: platformBalance, reason: delta < 0 ? "points used for an order" : "points issued" },
    );

  /** Signed up with 1,000 points, 480 for a purchase, 300 spent (that event without a balance). */
  const consistent = [
    change("pts-1", "2026-12-04T00:58:30Z", 1000, 1000),
    change("pts-2", "2026-12-04T01:20:00Z", 480, 1480),
    change("pts-3", "2026-12-05T09:00:00Z", -300),
  ];

  it("a ledger row per change with the running balance; the platform's balances agree, so no mismatch", async () => {
    const store = await commerceShop("cafe24");
    expect(await applyCommerce(store, consistent)).toMatchObject({ stored: 3, applied: 3 });
    expect(await ledger(store)).toEqual([
      {
        platform_event_id: "pts-1",
        delta: 1000,
        balance_after: 1000,
        platform_balance: 1000,
        balance_mismatch: false,
      },
      {
        platform_event_id: "pts-2",
        delta: 480,
        balance_after: 1480,
        platform_balance: 1480,
        balance_mismatch: false,
      },
      {
        platform_event_id: "pts-3",
        delta: -300,
        balance_after: 1180,
        platform_balance: null,
        balance_mismatch: false,
      },
    ]);
    expect(await balance(store)).toEqual([
      {
        balance: 1180,
        computed_balance: 1180,
        platform_balance: 1480,
        platform_balance_at: "2026-12-04T01:20:00.000Z",
        mismatch: false,
        entries: 3,
        last_change_at: "2026-12-05T09:00:00.000Z",
      },
    ]);
  });

  it("a platform balance that differs is flagged, and the platform wins: its balance plus the changes after it", async () => {
    const store = await commerceShop("cafe24");
    // The member held 1,000 points before the store was connected: the first change we see says 1,480.
    await applyCommerce(store, [fixture(pointsText)]);
    await applyCommerce(store, [change("pts-3", "2026-12-05T09:00:00Z", -300)]);
    expect(await ledger(store)).toEqual([
      {
        platform_event_id: "evt_01JEQ3M0POINTS00001",
        delta: 480,
        balance_after: 480,
        platform_balance: 1480,
        balance_mismatch: true,
      },
      {
        platform_event_id: "pts-3",
        delta: -300,
        balance_after: 180,
        platform_balance: null,
        balance_mismatch: false,
      },
    ]);
    expect(await balance(store)).toEqual([
      {
        balance: 1180,
        computed_balance: 180,
        platform_balance: 1480,
        platform_balance_at: "2026-12-04T01:20:00.000Z",
        mismatch: true,
        entries: 2,
        last_change_at: "2026-12-05T09:00:00.000Z",
      },
    ]);
    const reason = await withDb((db) =>
      db.execute<{ reason: string }>(
        sql`SELECT reason FROM points_ledger WHERE store_id = ${store.storeId} ORDER BY occurred_at`,
      ),
    );
    expect(reason.rows.map((r) => r.reason)).toEqual([
      "points issued for a purchase",
      "points used for an order",
    ]);
  });

  it("out-of-order delivery ends with the ledger and balance of in-order delivery; a redelivery changes nothing", async () => {
    const inOrder = await commerceShop("cafe24");
    const reversed = await commerceShop("cafe24");
    const sameInstant = await commerceShop("cafe24");
    for (const event of consistent) await applyCommerce(inOrder, [event]);
    const [first, second, third] = consistent;
    await applyCommerce(reversed, [third]);
    expect((await balance(reversed)).map((b) => [b.balance, b.computed_balance, b.mismatch])).toEqual([
      [-300, -300, false],
    ]);
    await applyCommerce(reversed, [second]);
    // 480 then −300 computed, against the platform's 1,480 after the 480: flagged until the 1,000 arrives.
    expect(await ledger(reversed)).toEqual([
      {
        platform_event_id: "pts-2",
        delta: 480,
        balance_after: 480,
        platform_balance: 1480,
        balance_mismatch: true,
      },
      {
        platform_event_id: "pts-3",
        delta: -300,
        balance_after: 180,
        platform_balance: null,
        balance_mismatch: false,
      },
    ]);
    await applyCommerce(reversed, [first]);
    expect(await applyCommerce(reversed, [second])).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await ledger(reversed)).toEqual(await ledger(inOrder));
    expect(await balance(reversed)).toEqual(await balance(inOrder));
    // All three in one batch, newest first.
    await applyCommerce(sameInstant, [third, second, first]);
    expect(await ledger(sameInstant)).toEqual(await ledger(inOrder));
    expect(await balance(sameInstant)).toEqual(await balance(inOrder));
    expect((await balance(inOrder)).map((b) => b.balance)).toEqual([1180]);
  });

  it("members are kept apart, and a recomputed balance equals the sum of the ledger's deltas", async () => {
    const store = await commerceShop("cafe24");
    await applyCommerce(store, [
      ...consistent,
      fixture(pointsText, { id: "jisoo-1" }, { member_id: "jisoo_p", delta: 200, balance: undefined }),
    ]);
    const sums = await withDb((db) =>
      db.execute<{ member: string; sum: number; computed: number }>(sql`
        SELECT mp.member_external_id AS member, (SELECT sum(delta)::int FROM points_ledger p
                 WHERE p.store_id = mp.store_id AND p.member_external_id = mp.member_external_id) AS sum,
               mp.computed_balance::int AS computed
          FROM member_points mp WHERE mp.store_id = ${store.storeId} ORDER BY mp.member_external_id`),
    );
    expect(sums.rows).toEqual([
      { member: "jisoo_p", sum: 200, computed: 200 },
      { member: "minji88", sum: 1180, computed: 1180 },
    ]);
  });
});
